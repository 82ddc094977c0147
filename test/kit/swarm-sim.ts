/**
 * The seeded simulated swarm behind `npm run bench:consensus` (scripts/bench-consensus.ts documents the
 * parameters and what is measured; scripts/bench-consensus.md is the README text).
 *
 * Only the nodes are simulated. Every consensus decision is made by the production code: the pairing and the
 * judge assignment by `productionRules().schedule` (seeded answer order, `schedulePairs`, `assignPairs`), the
 * reputation-weighted arm by `productionRules().aggregate` (`judgeWeights` over the members, `aggregate`,
 * `reputationDeltas`), the uniform arm by `aggregate` with every weight 1, the baseline by `majorityVote`.
 *
 * The model, per round (one multiple-choice question, every node answers and judges):
 *   question   domain ~ uniform over `domains`; difficulty h ~ U(0, 1); the correct option and one
 *              "distractor" (the popular wrong option) drawn uniformly among `options`.
 *   skill      per node and domain: s = clamp(base + dev, 0, 1), base ~ U(skillCenter ± nodeSpread) per node,
 *              dev ~ U(± domainSpread) per node and domain. Drawn once per swarm.
 *   answer     honest: correct with p = σ(slope · (s − h)); otherwise the distractor with probability
 *              `distractorPull`, else one of the other wrong options uniformly. So weak nodes (s < h) mostly
 *              answer wrong, and their wrong answers coincide on the distractor.
 *   judge      honest, `judgeMode: "verify"` (default): a correct-vs-wrong pair is decided for the correct
 *              answer with q = 0.5 + 0.5 · σ(slope · (s + judgeBonus − h)), else for the wrong one. q ≥ p always
 *              (verifying beats generating) and grows with skill; a clueless judge is a coin flip, never
 *              systematically misled. Same option on both sides: tie with `tieSame`, else a coin flip. Two
 *              different wrong options: tie with `tieWrong`, else a coin flip.
 *              `judgeMode: "resolve"` (a regime, not the default): the judge is no better than a generator: it
 *              prefers the answer equal to its own answer this round, and treats the rest as above.
 *   byzantine  the first round(P% · nodes) nodes of a seeded permutation (so the 10% set is inside the 30% set).
 *              They know the correct option and all answer the same wrong one: the distractor by default (so
 *              they join the honest weak nodes' wrong answer), or with `byzantineOption: "other"` a wrong option
 *              that is not the distractor. As judges they prefer byzantine > honest wrong > honest correct (tie
 *              within a class). Same stake as everyone; nothing slashes them.
 *   reputation every node starts at REP_INITIAL; after each round the weighted arm's deltas are applied and
 *              clamped to [0, REP_SCALE]; it carries over all warm-up and measured rounds.
 */
import { createHash } from "node:crypto";
import type { Address, Hex } from "viem";
import {
  aggregate,
  judgeWeights,
  majorityVote,
  normalizeAnswer,
  REP_INITIAL,
  REP_SCALE,
  SeededRandom,
  type Judgment,
  type Outcome,
  type PairingMode,
} from "../../src/consensus/index.js";
import { productionRules } from "../../src/protocol/index.js";
import { applyDelta } from "../../src/core/index.js";

export interface SimParams {
  /** Seed of everything (swarm, questions, answers, judgments, byzantine set, round seeds). */
  seed: string;
  /** Nodes in the swarm; every node is in every round's committee (answers and judges). */
  nodes: number;
  /** Knowledge domains; each node has one skill per domain. */
  domains: number;
  /** Options per multiple-choice question. */
  options: number;
  /** Measured rounds (one question each). */
  questions: number;
  /** Rounds before measuring, in which only reputation moves. */
  warmupRounds: number;
  /** Centre of the node base-skill distribution. The one calibrated parameter (majority vote only). */
  skillCenter: number;
  /** Half-width of the node base-skill distribution. */
  nodeSpread: number;
  /** Half-width of a node's per-domain deviation from its base skill. */
  domainSpread: number;
  /** Steepness of σ(slope · (skill − difficulty)) for generating and judging. */
  slope: number;
  /** Share of an honest wrong answer that goes to the distractor (1 / (options − 1) = no popular wrong answer). */
  distractorPull: number;
  /** How honest judges decide (see the module comment). */
  judgeMode: "verify" | "resolve";
  /** Skill a judge gains when verifying instead of generating (verify mode). */
  judgeBonus: number;
  /** P(tie) when both answers are the same option. */
  tieSame: number;
  /** P(tie) when both answers are different wrong options. */
  tieWrong: number;
  /** Percent of nodes that are byzantine (rounded to whole nodes, half up). */
  byzantinePercent: number;
  /** The wrong option the byzantine nodes coordinate on: the distractor, or another wrong option. */
  byzantineOption: "distractor" | "other";
  /** Pairing schedule of the BT arms. */
  pairing: PairingMode;
  /** Stake of every node, token wei (equal stakes: weights are reputation only). */
  stake: bigint;
  /**
   * Percent of nodes that are lazy judges (a regime, 0 by default): they answer like honest nodes but judge
   * every pair a tie. Drawn after the byzantine nodes from the same seeded permutation (disjoint from them).
   */
  lazyPercent: number;
}

export const DEFAULT_PARAMS: SimParams = {
  seed: "chorus-bench-consensus-v1",
  nodes: 15,
  domains: 4,
  options: 4,
  questions: 2000,
  warmupRounds: 200,
  skillCenter: 0.64, // CALIBRATED once by `--calibrate` (majority voting only, closest to 68.69%); frozen
  nodeSpread: 0.3,
  domainSpread: 0.15,
  slope: 8,
  distractorPull: 0.6,
  judgeMode: "verify",
  judgeBonus: 0.1,
  tieSame: 0.9,
  tieWrong: 0.8,
  byzantinePercent: 0,
  byzantineOption: "distractor",
  pairing: "fortytwo",
  stake: 1000n * 10n ** 18n,
  lazyPercent: 0,
};

/** sfc32 seeded from SeededRandom (SHA-256): fast, and the same stream on every machine. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(label: string) {
    const s = new SeededRandom(label);
    this.a = s.nextUint32();
    this.b = s.nextUint32();
    this.c = s.nextUint32();
    this.d = s.nextUint32();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export interface Swarm {
  ids: Address[];
  /** skill[node][domain] in [0, 1]. */
  skill: number[][];
  byzantine: boolean[];
  lazy: boolean[];
}

export function byzantineCount(p: Pick<SimParams, "nodes" | "byzantinePercent">): number {
  return Math.min(p.nodes, Math.floor((p.byzantinePercent * p.nodes) / 100 + 0.5));
}

/** Skills use the same uniform draws whatever skillCenter is, so a calibration sweep only shifts them. */
export function buildSwarm(p: SimParams): Swarm {
  const r = new Rng(`${p.seed}:swarm`);
  const ids: Address[] = [];
  const skill: number[][] = [];
  for (let i = 0; i < p.nodes; i++) {
    const id: Address = `0x${createHash("sha256").update(`${p.seed}:node:${i}`).digest("hex").slice(0, 40)}`;
    ids.push(id);
    const base = p.skillCenter + (2 * r.next() - 1) * p.nodeSpread;
    const row: number[] = [];
    for (let d = 0; d < p.domains; d++) row.push(clamp01(base + (2 * r.next() - 1) * p.domainSpread));
    skill.push(row);
  }
  const order = new SeededRandom(`${p.seed}:byzantine`).shuffle(ids.map((_, i) => i));
  const byzantine = ids.map(() => false);
  for (const i of order.slice(0, byzantineCount(p))) byzantine[i] = true;
  const lazy = ids.map(() => false);
  const lazyCount = Math.min(p.nodes - byzantineCount(p), Math.floor((p.lazyPercent * p.nodes) / 100 + 0.5));
  for (const i of order.slice(byzantineCount(p), byzantineCount(p) + lazyCount)) lazy[i] = true;
  return { ids, skill, byzantine, lazy };
}

export interface Question {
  domain: number;
  difficulty: number;
  correct: number;
  distractor: number;
}

export function drawQuestion(p: SimParams, label: string): Question {
  const r = new Rng(`${p.seed}:${label}:question`);
  const domain = r.below(p.domains);
  const difficulty = r.next();
  const correct = r.below(p.options);
  const distractor = (correct + 1 + r.below(p.options - 1)) % p.options;
  return { domain, difficulty, correct, distractor };
}

/** Every node draws the same three uniforms whatever it is, so honest answers do not depend on P or the arm. */
export function drawAnswers(p: SimParams, swarm: Swarm, q: Question, label: string): number[] {
  const r = new Rng(`${p.seed}:${label}:answers`);
  const others: number[] = [];
  for (let o = 0; o < p.options; o++) if (o !== q.correct && o !== q.distractor) others.push(o);
  return swarm.ids.map((_, i) => {
    const u1 = r.next();
    const u2 = r.next();
    const u3 = r.next();
    if (swarm.byzantine[i]) return p.byzantineOption === "other" && others.length > 0 ? others[0] : q.distractor;
    if (u1 < sigmoid(p.slope * (swarm.skill[i][q.domain] - q.difficulty))) return q.correct;
    if (u2 < p.distractorPull || others.length === 0) return q.distractor;
    return others[Math.floor(u3 * others.length)];
  });
}

function coin(r: Rng): Outcome {
  return r.next() < 0.5 ? "A" : "B";
}

export function judgeOne(
  p: SimParams,
  swarm: Swarm,
  q: Question,
  answers: number[],
  judge: number,
  a: number,
  b: number,
  r: Rng,
): Outcome {
  const oa = answers[a];
  const ob = answers[b];
  if (swarm.byzantine[judge]) {
    const rank = (i: number) => (swarm.byzantine[i] ? 2 : answers[i] !== q.correct ? 1 : 0);
    return rank(a) > rank(b) ? "A" : rank(a) < rank(b) ? "B" : "tie";
  }
  if (swarm.lazy[judge]) return "tie";
  if (oa === ob) return r.next() < p.tieSame ? "tie" : coin(r);
  if (p.judgeMode === "resolve") {
    const own = answers[judge];
    if (oa === own) return "A";
    if (ob === own) return "B";
    return r.next() < p.tieWrong ? "tie" : coin(r);
  }
  if (oa === q.correct || ob === q.correct) {
    const qAcc = 0.5 + 0.5 * sigmoid(p.slope * (swarm.skill[judge][q.domain] + p.judgeBonus - q.difficulty));
    const pickCorrect = r.next() < qAcc;
    return (oa === q.correct) === pickCorrect ? "A" : "B";
  }
  return r.next() < p.tieWrong ? "tie" : coin(r);
}

export interface SimResult {
  params: SimParams;
  byzantine: number;
  /** Accuracy in percent over the measured questions. */
  accMajority: number;
  accUniform: number;
  accWeighted: number;
  /**
   * Diagnostic, not a production arm: BT where every byzantine judge has weight 0 and every honest judge 1,
   * i.e. what a reputation that identified the colluders perfectly could reach.
   */
  accIdealWeights: number;
  /** Percent of measured questions where at least one honest node answered correctly (ceiling of any picker). */
  anyCorrect: number;
  /** Best single honest node's accuracy, percent. */
  bestNode: number;
  /** Mean reputation (fraction of REP_SCALE) at the end, honest and byzantine nodes. */
  repHonest: number;
  repByzantine: number;
  /** Mean reputation (REP_SCALE units) of the lazy judges at the end; NaN without any. */
  repLazy: number;
  /** Share of the total judge weight held by byzantine nodes at the end. */
  byzantineWeightShare: number;
  /** Wall time of the simulation, ms. */
  ms: number;
}

export function simulate(overrides: Partial<SimParams> = {}, opts: { majorityOnly?: boolean } = {}): SimResult {
  const t0 = performance.now();
  const p: SimParams = { ...DEFAULT_PARAMS, ...overrides };
  const swarm = buildSwarm(p);
  const n = p.nodes;
  const rules = productionRules({ pairing: p.pairing });
  const ones = Object.fromEntries(swarm.ids.map((id) => [id, 1]));
  const ideal = Object.fromEntries(swarm.ids.map((id, i) => [id, swarm.byzantine[i] ? 0 : 1]));
  const anyByzantine = swarm.byzantine.some(Boolean);
  const index = new Map(swarm.ids.map((id, i) => [id, i]));
  const rep = swarm.ids.map(() => REP_INITIAL);
  const nodeCorrect = swarm.ids.map(() => 0);
  let okMajority = 0;
  let okUniform = 0;
  let okWeighted = 0;
  let okIdeal = 0;
  let anyCorrect = 0;

  const round = (label: string, measured: boolean) => {
    const q = drawQuestion(p, label);
    const answers = drawAnswers(p, swarm, q, label);
    if (measured) {
      let any = false;
      for (let i = 0; i < n; i++) {
        if (answers[i] !== q.correct) continue;
        nodeCorrect[i]++;
        if (!swarm.byzantine[i]) any = true;
      }
      if (any) anyCorrect++;
      const mv = majorityVote(Object.fromEntries(swarm.ids.map((id, i) => [id, LETTERS[answers[i]]])));
      if (mv.answer === normalizeAnswer(LETTERS[q.correct])) okMajority++;
    }
    if (opts.majorityOnly) return;
    const seed: Hex = `0x${createHash("sha256").update(`${p.seed}:${label}:round`).digest("hex")}`;
    const schedule = rules.schedule({ answers: swarm.ids, judges: swarm.ids, seed });
    const r = new Rng(`${p.seed}:${label}:judgments`);
    const judgments: Judgment[] = [];
    for (const judge of swarm.ids) {
      const j = index.get(judge)!;
      for (const [a, b] of schedule[judge] ?? []) {
        judgments.push({ judge, a, b, outcome: judgeOne(p, swarm, q, answers, j, index.get(a)!, index.get(b)!, r) });
      }
    }
    const members = swarm.ids.map((address, i) => ({ address, stake: p.stake, reputation: rep[i] }));
    const weighted = rules.aggregate({
      answers: swarm.ids,
      members,
      judgments: judgments as never,
      screens: [],
      excluded: [],
      seed,
    });
    for (let i = 0; i < n; i++) rep[i] = applyDelta(rep[i], weighted.deltas[swarm.ids[i]] ?? 0);
    if (!measured) return;
    if (answers[index.get(weighted.winner.toLowerCase() as Address)!] === q.correct) okWeighted++;
    const uniform = aggregate({ answers: swarm.ids, judgments, weights: ones });
    if (answers[index.get(uniform.winner as Address)!] === q.correct) okUniform++;
    const best = anyByzantine ? aggregate({ answers: swarm.ids, judgments, weights: ideal }) : uniform;
    if (answers[index.get(best.winner as Address)!] === q.correct) okIdeal++;
  };

  for (let i = 0; i < p.warmupRounds; i++) round(`warmup:${i}`, false);
  for (let i = 0; i < p.questions; i++) round(`question:${i}`, true);

  const pct = (k: number) => (100 * k) / p.questions;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
  const weights = judgeWeights(swarm.ids.map((address, i) => ({ address, stake: p.stake, reputation: rep[i] })));
  let total = 0;
  let byz = 0;
  swarm.ids.forEach((id, i) => {
    total += weights[id];
    if (swarm.byzantine[i]) byz += weights[id];
  });
  return {
    params: p,
    byzantine: swarm.byzantine.filter(Boolean).length,
    accMajority: pct(okMajority),
    accUniform: pct(okUniform),
    accWeighted: pct(okWeighted),
    accIdealWeights: pct(okIdeal),
    anyCorrect: pct(anyCorrect),
    bestNode: Math.max(...nodeCorrect.filter((_, i) => !swarm.byzantine[i]).map(pct)),
    repHonest: mean(rep.filter((_, i) => !swarm.byzantine[i] && !swarm.lazy[i])) / REP_SCALE,
    repByzantine: mean(rep.filter((_, i) => swarm.byzantine[i])) / REP_SCALE,
    repLazy: mean(rep.filter((_, i) => swarm.lazy[i])),
    byzantineWeightShare: total > 0 ? byz / total : 0,
    ms: performance.now() - t0,
  };
}
