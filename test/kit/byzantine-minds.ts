/**
 * Honest and byzantine fake minds for the byzantine tests and `npm run bench:byzantine` (they live only under
 * test/helpers). The world is the seeded multiple-choice model of `npm run bench:consensus`
 * (test/kit/swarm-sim.ts, DEFAULT_PARAMS: skill centre 0.64 ± 0.3, slope 8, distractor pull 0.6, judge
 * bonus 0.1, tie rates 0.9 / 0.8), so honest nodes here answer and judge exactly as the calibrated honest
 * nodes there do; only the byzantine behaviours are new:
 *
 *   honest    answers with its skill; judges: the correct answer wins with q = 0.5 + 0.5 σ(8 (s + 0.1 − h))
 *   random    answers like an honest node of its skill, judges by a fair coin (never runs the judge prompt)
 *   colluder  all colluders answer the same wrong option (the distractor) with a hidden mark, and as judges
 *             always prefer a marked answer; pairs without a marked answer they judge honestly
 *   copier    answers (and commits) like an honest node, then tries to reveal the answer of another member it
 *             overheard: commit–reveal makes that reveal not match its commitment (see `copierReveal`)
 *
 * Questions are `Q<k>: ...`; every draw is seeded by the question number, the node and the pair, so a node's
 * behaviour does not depend on timing or on which other nodes are in the committee.
 */
import type { Address, Hex } from "viem";
import { signEnvelope, type Envelope, type PeerDomain } from "../../src/protocol/index.js";
import type { Member } from "../../src/round/member.js";
import type { Mind, Outcome } from "../../src/round/ports.js";
import type { DigestSigner } from "../../src/core/index.js";
import { DEFAULT_PARAMS, Rng } from "./swarm-sim.js";

export type Role = "honest" | "random" | "colluder" | "copier";

export const WORLD = { ...DEFAULT_PARAMS, seed: "chorus-bench-byzantine-v1" };
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** The colluders' hidden mark (honest judges read only the option). */
const MARK = " \u200b";
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

export interface Facts {
  k: number;
  domain: number;
  difficulty: number;
  correct: number;
  distractor: number;
}

export function questionText(k: number): string {
  return `Q${k}: which of the options ${LETTERS.slice(0, WORLD.options).split("").join(", ")} is right?`;
}

export function factsOf(question: string): Facts {
  const m = /^Q(\d+):/.exec(question);
  if (!m) throw new Error(`not a bench question: ${question.slice(0, 40)}`);
  const k = Number(m[1]);
  const r = new Rng(`${WORLD.seed}:q:${k}`);
  const domain = r.below(WORLD.domains);
  const difficulty = r.next();
  const correct = r.below(WORLD.options);
  const distractor = (correct + 1 + r.below(WORLD.options - 1)) % WORLD.options;
  return { k, domain, difficulty, correct, distractor };
}

/** Skill per domain of node i (the same draws as bench:consensus's swarm: base ± nodeSpread, ± domainSpread). */
export function skillsOf(i: number): number[] {
  const r = new Rng(`${WORLD.seed}:skill:${i}`);
  const base = WORLD.skillCenter + (2 * r.next() - 1) * WORLD.nodeSpread;
  return Array.from({ length: WORLD.domains }, () => clamp01(base + (2 * r.next() - 1) * WORLD.domainSpread));
}

/** The option an answer text names (-1 when none). */
export function optionOf(text: string): number {
  const m = /^option ([A-Z])\b/.exec(text);
  return m ? LETTERS.indexOf(m[1]) : -1;
}

export const isMarked = (text: string) => text.endsWith(MARK);

function honestOption(i: number, skill: number[], f: Facts): number {
  const r = new Rng(`${WORLD.seed}:answer:${f.k}:${i}`);
  const [u1, u2, u3] = [r.next(), r.next(), r.next()];
  if (u1 < sigmoid(WORLD.slope * (skill[f.domain] - f.difficulty))) return f.correct;
  const others = [...Array(WORLD.options).keys()].filter((o) => o !== f.correct && o !== f.distractor);
  if (u2 < WORLD.distractorPull || others.length === 0) return f.distractor;
  return others[Math.floor(u3 * others.length)];
}

function honestJudgment(skill: number[], f: Facts, a: string, b: string, r: Rng): Outcome {
  const [oa, ob] = [optionOf(a), optionOf(b)];
  const coin = (): Outcome => (r.next() < 0.5 ? "A" : "B");
  if (oa === ob) return r.next() < WORLD.tieSame ? "tie" : coin();
  if (oa === f.correct || ob === f.correct) {
    const q = 0.5 + 0.5 * sigmoid(WORLD.slope * (skill[f.domain] + WORLD.judgeBonus - f.difficulty));
    const pickCorrect = r.next() < q;
    return (oa === f.correct) === pickCorrect ? "A" : "B";
  }
  return r.next() < WORLD.tieWrong ? "tie" : coin();
}

const lastUser = (messages: { role: string; content: string }[]) =>
  [...messages].reverse().find((m) => m.role === "user")?.content ?? "";

/** The mind of node i playing `role` (the copier's mind is honest: its cheating is in `copierReveal`). */
export function byzantineMind(i: number, role: Role): Mind {
  const skill = skillsOf(i);
  return {
    async answer(query) {
      const f = factsOf(lastUser(query.messages));
      if (role === "colluder") return `option ${LETTERS[f.distractor]} is right.${MARK}`;
      return `option ${LETTERS[honestOption(i, skill, f)]} is right.`;
    },
    async compare({ question, answerA, answerB }) {
      const f = factsOf(question);
      const r = new Rng(`${WORLD.seed}:judge:${f.k}:${i}:${answerA}|${answerB}`);
      if (role === "random") return { outcome: r.next() < 0.5 ? "A" : "B" };
      if (role === "colluder") {
        const [ma, mb] = [isMarked(answerA), isMarked(answerB)];
        if (ma || mb) return { outcome: ma && mb ? "tie" : ma ? "A" : "B" };
      }
      return { outcome: honestJudgment(skill, f, answerA, answerB, r) };
    },
  };
}

/**
 * What a copier can overhear: the answers other members reveal, per round (a perfect eavesdropper on the
 * wire). Answers are only ever sent after the set of commitments is closed, so this is the earliest a copier
 * can learn them.
 */
export class RevealBoard {
  private readonly byRound = new Map<string, { from: Address; answer: string }[]>();
  private readonly waiters = new Map<string, (() => void)[]>();

  post(roundId: string, from: Address, answer: string): void {
    const key = roundId.toLowerCase();
    this.byRound.set(key, [...(this.byRound.get(key) ?? []), { from, answer }]);
    for (const w of this.waiters.get(key) ?? []) w();
    this.waiters.delete(key);
    if (this.byRound.size > 1000) this.byRound.delete(this.byRound.keys().next().value!);
  }

  /**
   * The answers revealed in this round: waits up to `ms` for the first one, then `settleMs` more for the
   * others (the reveals of one round go out together), as a copier would wait as long as it dares.
   */
  async overheard(roundId: string, ms: number, settleMs = 100): Promise<{ from: Address; answer: string }[]> {
    const key = roundId.toLowerCase();
    if (!this.byRound.has(key)) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        this.waiters.set(key, [
          ...(this.waiters.get(key) ?? []),
          () => {
            clearTimeout(t);
            resolve();
          },
        ]);
      });
    }
    if (this.byRound.has(key)) await new Promise((r) => setTimeout(r, settleMs));
    return this.byRound.get(key) ?? [];
  }
}

/** An honest member whose reveals the eavesdropper overhears. */
export function overheardMember(member: Member, board: RevealBoard): void {
  const original = member.handle.bind(member);
  member.handle = async (raw, opts) => {
    const reply = await original(raw, opts);
    if (reply.kind === "reveal") board.post(reply.roundId, reply.from, (reply.body as { answer: string }).answer);
    return reply;
  };
}

/**
 * The copier's cheat: it answers the reveal request with the answer of another member it overheard (the
 * first one revealed that differs from its own: copying the same text would be no copy), under its own salt
 * and signature. Its commitment was made before any answer was out,
 * so the reveal cannot match: the coordinator excludes it with the reveal as evidence. `copied` counts tries.
 */
export function copierReveal(
  member: Member,
  board: RevealBoard,
  domain: PeerDomain,
  signer: DigestSigner,
  stats: { copied: number },
): void {
  const original = member.handle.bind(member);
  member.handle = async (raw, opts) => {
    const reply: Envelope = await original(raw, opts);
    if (reply.kind !== "reveal") return reply;
    const own = (reply.body as { answer: string }).answer;
    const heard = (await board.overheard(reply.roundId, 300)).filter(
      (h) => h.from.toLowerCase() !== signer.address.toLowerCase() && h.answer !== own,
    );
    if (heard.length === 0) return reply;
    stats.copied++;
    const body = reply.body as { answer: string; salt: Hex };
    return signEnvelope(domain, signer, "reveal", reply.roundId, { answer: heard[0].answer, salt: body.salt });
  };
}
