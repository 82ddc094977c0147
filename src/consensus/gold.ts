import { ChorusError } from "../core/index.js";
import { clamp, divTrunc, REP_SCALE } from "./fixed.js";
import { normalizeAnswer } from "./majority.js";
import { deltaTowards, JUDGE_TARGET_WEIGHT, reputationTargets, type ReputationInput } from "./reputation.js";
import type { Judgment, NodeId } from "./types.js";

/**
 * Gold rounds and the truth-anchored reputation rule (issue 20). Pure and integer, like reputation.ts.
 *
 * A gold round is an ordinary round whose query a curator committed beforehand with its answer key, revealed
 * after the round settled. Grading it against the key gives each member a *gold target* (the same shape as the
 * consensus target, but measured against the truth). Gold targets feed each node's *gold standing* (an integer
 * EMA per curator, then the median over curators). From then on, every round's reputation target is
 *
 *     target = (C + GOLD_WEIGHT * G) / (GOLD_WEIGHT + 1)      C = consensus target, G = gold standing
 *
 * so measured truth outweighs the consensus 3 to 1 in every round, not only in the 5% of rounds that are gold;
 * a node without any graded gold round keeps today's rule (target = C). Formulas: src/consensus/README.md,
 * section "Gold rounds".
 */

/** Weight of the gold standing against the consensus target in every round target: (C + 3 G) / 4. */
export const GOLD_WEIGHT = 3;
/** Step of a curator's standing EMA per graded item: 0.2 (the last ~5 items of that curator dominate). */
export const GOLD_ALPHA = 200_000;

/** Answers equal as majorityVote sees them; a single-letter key also accepts a reply whose choice is that letter. */
export function goldCorrect(answer: string, truth: string): boolean {
  const key = normalizeAnswer(truth);
  if (normalizeAnswer(answer) === key) return true;
  return /^[a-z]$/.test(key) && choiceLetter(answer) === key;
}

/**
 * The option letter a multiple-choice reply chose, lower case, or undefined: a lone letter ("B", "(b)", "B."),
 * or the last "answer is X" / "answer: X" in the reply.
 */
export function choiceLetter(text: string): string | undefined {
  const t = text.normalize("NFKC");
  const lone = /^\s*[([]?\s*([A-Za-z])\s*[)\].:]?\s*$/.exec(t);
  if (lone) return lone[1].toLowerCase();
  const all = [...t.matchAll(/answer\s*(?:is|:)?\s*[:-]?\s*[([*]*\s*([A-Za-z])\b(?![A-Za-z'])/gi)];
  return all.length ? all[all.length - 1][1].toLowerCase() : undefined;
}

export interface GoldRoundInput {
  /** The revealed answer key of the item. */
  truth: string;
  /** The round's committee (every member gets a grade). */
  members: readonly NodeId[];
  /** The round's verified answers by member. */
  answers: Readonly<Record<NodeId, string>>;
  /** The round's counted judgments. */
  judgments: readonly Judgment[];
  /** The pairs each judge was assigned (the judge-request): an assigned gradable pair left unjudged scores 0. */
  assignments?: Readonly<Record<NodeId, readonly (readonly [NodeId, NodeId])[]>>;
}

/** One member's grade in a gold round. */
export interface GoldGrade {
  /** Did its answer match the key (undefined: it gave none)? */
  correct?: boolean;
  /** Chance-corrected judging accuracy against the key, in [-1e6, 1e6] (undefined: no gradable comparison). */
  judge?: number;
  /** Gradable comparisons (one answer right, the other wrong) it judged or was assigned. */
  gradable: number;
  /** (A + 3 J) / 4, A or J as it did; null when it did neither (no evidence: the standing does not move). */
  target: number | null;
}

/**
 * Grades every member of a gold round against the key. Answer A = 1e6 when right, else 0. A comparison is
 * gradable when exactly one of its two answers is right: preferring the right one scores +1, the wrong one −1,
 * a tie, an unparsable verdict or a missing verdict 0; J = score · 1e6 / gradable (truncated). Target as the
 * consensus rule: (A + 3 J) / 4, A alone, J alone, null for neither.
 */
export function gradeGoldRound(input: GoldRoundInput): Record<NodeId, GoldGrade> {
  const right = new Map<NodeId, boolean>();
  for (const [id, text] of Object.entries(input.answers)) right.set(id, goldCorrect(text, input.truth));
  const gradable = (a: NodeId, b: NodeId) => right.has(a) && right.has(b) && right.get(a) !== right.get(b);
  const out: Record<NodeId, GoldGrade> = {};
  for (const m of input.members) {
    const own = input.judgments.filter((j) => j.judge === m && gradable(j.a, j.b));
    const assigned = (input.assignments?.[m] ?? []).filter(([a, b]) => gradable(a, b)).length;
    const count = Math.max(own.length, assigned);
    let score = 0;
    for (const j of own) {
      if (j.outcome !== "A" && j.outcome !== "B") continue;
      score += (j.outcome === "A") === right.get(j.a) ? 1 : -1;
    }
    const judge = count > 0 ? divTrunc(score * REP_SCALE, count) : undefined;
    const correct = right.get(m);
    const a = correct === undefined ? undefined : correct ? REP_SCALE : 0;
    const target =
      a !== undefined && judge !== undefined
        ? divTrunc(a + JUDGE_TARGET_WEIGHT * judge, JUDGE_TARGET_WEIGHT + 1)
        : (a ?? judge ?? null);
    out[m] = { correct, judge, gradable: count, target };
  }
  return out;
}

/** A node's standing per curator: the integer EMA of that curator's gold targets for it. */
export type GoldStandingState = Readonly<Record<string, number>>;

/** Folds one graded item (by `curator`) into a node's standing: the first item sets it, later ones move it by GOLD_ALPHA. */
export function foldGold(state: GoldStandingState, curator: string, target: number | null): GoldStandingState {
  if (target === null) return state;
  if (!Number.isSafeInteger(target) || target < -REP_SCALE || target > REP_SCALE) {
    throw new ChorusError("CONSENSUS_BAD_INPUT", `gold target must be an integer in [-1e6, 1e6], got ${target}`);
  }
  const key = curator.toLowerCase();
  const prev = Object.hasOwn(state, key) ? state[key] : undefined;
  const next = prev === undefined ? target : prev + divTrunc((target - prev) * GOLD_ALPHA, REP_SCALE);
  return { ...state, [key]: next };
}

/**
 * The standing the rule uses: the median over curators of their EMAs (the mean of the two middle ones for an
 * even count, truncated), null without any graded item. With k >= 3 independent curators a single curator
 * (or a curator grading its friends) cannot move it outside the range the others measured.
 */
export function standingOf(state: GoldStandingState): number | null {
  const v = Object.values(state).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : divTrunc(v[mid - 1] + v[mid], 2);
}

/** The truth-anchored target: (C + 3 G) / 4; C without a standing; null (no move) when the round had no separation. */
export function anchoredTarget(consensus: number | null, standing: number | null): number | null {
  if (consensus === null || standing === null) return consensus;
  return divTrunc(consensus + GOLD_WEIGHT * clamp(standing, -REP_SCALE, REP_SCALE), GOLD_WEIGHT + 1);
}

/**
 * Reputation deltas of an ordinary round under the truth-anchored rule: `reputationTargets` (the consensus
 * target, unchanged), mixed with each member's gold standing by `anchoredTarget`, then the shared EMA step.
 * With no standing for anyone this is exactly `reputationDeltas`.
 */
export function anchoredReputationDeltas(
  input: ReputationInput & { standing: Readonly<Record<NodeId, number | null | undefined>> },
): Record<NodeId, number> {
  const targets = reputationTargets(input);
  const out: Record<NodeId, number> = {};
  for (const m of input.members)
    out[m.address] = deltaTowards(anchoredTarget(targets[m.address], input.standing[m.address] ?? null), m.reputation);
  return out;
}

/**
 * The gold adjustment of a graded gold round, settled in a later record: each graded member moves towards its
 * gold target by the same EMA step (|delta| <= MAX_REP_DELTA); members without a target get 0.
 */
export function goldDeltas(
  grades: Readonly<Record<NodeId, GoldGrade>>,
  reputation: Readonly<Record<NodeId, number>>,
): Record<NodeId, number> {
  const out: Record<NodeId, number> = {};
  for (const [id, g] of Object.entries(grades)) out[id] = deltaTowards(g.target, reputation[id] ?? 0);
  return out;
}
