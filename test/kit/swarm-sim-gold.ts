/**
 * The gold arm of `npm run bench:consensus` (issue 20): the simulated swarm of ./swarm-sim.ts, unchanged (same
 * frozen parameters, same users' questions, answers and judgments), with a share of extra rounds that are gold
 * and reputation under the truth-anchored rule of src/consensus/gold.ts. Also the Sybil arm: the judge weight
 * one operator ends with when it splits its stake over k identities, with the production committee draw
 * (src/protocol/committee.ts `drawCommittee`) and judge weights (src/consensus `judgeWeights`).
 *
 * Gold rounds, modelled as the design leaves them (contracts/README.md, "Gold rounds"):
 *   schedule   before each users' round, gold rounds are inserted while a seeded uniform is below `goldShare`,
 *              so a share `goldShare` of all rounds is gold; the users' rounds are exactly those of swarm-sim
 *              (same labels), so every users' round sees the same question, answers and judgments as there.
 *   item       a fresh question from the same distribution (the curators' items must be; a stated assumption).
 *   leak       with probability `leak` per gold round the byzantine nodes recognise it and behave honestly
 *              (they know the truth: answer right, prefer right over wrong). The design sends items through
 *              ordinary gateways as ordinary clients and commits them under a hiding root, so the default is 0.
 *   settle     a gold round is an ordinary round when it settles: its consensus deltas apply like any round's.
 *   grading    `goldDelay` rounds later (the item's reveal after its round settled) the round is graded
 *              against the key (`gradeGoldRound`): each member's gold target folds into its standing for that
 *              item's curator (`foldGold`; `curators` curators take the items in turn) and its gold delta
 *              (`goldDeltas`) applies. Every round's target is then (C + 3 G) / 4 (`anchoredReputationDeltas`).
 *   accuracy   measured on the users' rounds only.
 */
import { createHash } from "node:crypto";
import type { Address, Hex } from "viem";
import { keccak256, toHex } from "viem";
import {
  aggregate,
  anchoredReputationDeltas,
  foldGold,
  goldDeltas,
  gradeGoldRound,
  judgeWeights,
  REP_INITIAL,
  REP_SCALE,
  standingOf,
  type GoldStandingState,
  type Judgment,
  type Outcome,
} from "../../src/consensus/index.js";
import { drawCommittee, productionRules } from "../../src/protocol/index.js";
import {
  buildSwarm,
  DEFAULT_PARAMS,
  drawAnswers,
  drawQuestion,
  judgeOne,
  Rng,
  type Question,
  type SimParams,
  type Swarm,
} from "./swarm-sim.js";

export interface GoldParams {
  /** Share of all rounds that are gold. */
  goldShare: number;
  /** Independent curators, taking the gold items in turn. */
  curators: number;
  /** Rounds between a gold round and its grading (settlement, then the item's reveal). */
  goldDelay: number;
  /** Probability that the byzantine nodes recognise a gold round (0: the design leaks nothing). */
  leak: number;
  /** Also apply `goldDeltas` (a step towards the gold target) when an item is graded, besides the standing. */
  goldDeltas: boolean;
}

export const DEFAULT_GOLD: GoldParams = { goldShare: 0.05, curators: 3, goldDelay: 20, leak: 0, goldDeltas: true };

export interface GoldSimResult {
  byzantine: number;
  /** Accuracy on the users' rounds, percent. */
  accGold: number;
  /** Ideal weights (byzantine 0, honest 1) on the same users' rounds, percent. */
  accIdeal: number;
  goldRounds: number;
  userRounds: number;
  repHonest: number;
  repByzantine: number;
  byzantineWeightShare: number;
  ms: number;
}

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function honestLeakJudge(swarm: Swarm, q: Question, answers: number[], a: number, b: number): Outcome {
  const ra = answers[a] === q.correct;
  const rb = answers[b] === q.correct;
  return ra === rb ? "tie" : ra ? "A" : "B";
}

export function simulateGold(
  overrides: Partial<SimParams> = {},
  goldOverrides: Partial<GoldParams> = {},
): GoldSimResult {
  const t0 = performance.now();
  const p: SimParams = { ...DEFAULT_PARAMS, ...overrides };
  const g: GoldParams = { ...DEFAULT_GOLD, ...goldOverrides };
  const swarm = buildSwarm(p);
  const n = p.nodes;
  const rules = productionRules({ pairing: p.pairing });
  const index = new Map(swarm.ids.map((id, i) => [id, i]));
  const ideal = Object.fromEntries(swarm.ids.map((id, i) => [id, swarm.byzantine[i] ? 0 : 1]));
  const rep = swarm.ids.map(() => REP_INITIAL);
  const standing: GoldStandingState[] = swarm.ids.map(() => ({}));
  const pending: { at: number; curator: string; grades: ReturnType<typeof gradeGoldRound> }[] = [];
  const schedule = new Rng(`${p.seed}:gold-schedule`);
  const leakRng = new Rng(`${p.seed}:gold-leak`);
  let clock = 0;
  let goldRounds = 0;
  let userRounds = 0;
  let okGold = 0;
  let okIdeal = 0;

  const applyDue = () => {
    while (pending.length && pending[0].at <= clock) {
      const item = pending.shift()!;
      const reps = Object.fromEntries(swarm.ids.map((id, i) => [id, rep[i]]));
      const deltas = goldDeltas(item.grades, reps);
      swarm.ids.forEach((id, i) => {
        standing[i] = foldGold(standing[i], item.curator, item.grades[id].target);
        if (g.goldDeltas) rep[i] = Math.min(REP_SCALE, Math.max(0, rep[i] + (deltas[id] ?? 0)));
      });
    }
  };

  const round = (label: string, kind: "warmup" | "user" | "gold", curator = "") => {
    applyDue();
    clock++;
    const q = drawQuestion(p, label);
    const leaked = kind === "gold" && swarm.byzantine.some(Boolean) && leakRng.next() < g.leak;
    let answers = drawAnswers(p, swarm, q, label);
    if (leaked) answers = answers.map((o, i) => (swarm.byzantine[i] ? q.correct : o));
    const seed: Hex = `0x${createHash("sha256").update(`${p.seed}:${label}:round`).digest("hex")}`;
    const sched = rules.schedule({ answers: swarm.ids, judges: swarm.ids, seed });
    const r = new Rng(`${p.seed}:${label}:judgments`);
    const judgments: Judgment[] = [];
    for (const judge of swarm.ids) {
      const j = index.get(judge)!;
      for (const [a, b] of sched[judge] ?? []) {
        const ia = index.get(a)!;
        const ib = index.get(b)!;
        // The honest model draws its uniforms even when a leak overrides the byzantine verdict, so the stream stays aligned.
        const o = judgeOne(p, swarm, q, answers, j, ia, ib, r);
        judgments.push({
          judge,
          a,
          b,
          outcome: leaked && swarm.byzantine[j] ? honestLeakJudge(swarm, q, answers, ia, ib) : o,
        });
      }
    }
    const members = swarm.ids.map((address, i) => ({ address, stake: p.stake, reputation: rep[i] }));
    const weights = judgeWeights(members);
    const result = aggregate({ answers: swarm.ids, judgments, weights });
    const deltas = anchoredReputationDeltas({
      members,
      ranking: result.ranking,
      tiers: result.tiers,
      judgments,
      leaveOut: { weights, screens: [] },
      standing: Object.fromEntries(swarm.ids.map((id, i) => [id, standingOf(standing[i])])),
    });
    for (let i = 0; i < n; i++) rep[i] = Math.min(REP_SCALE, Math.max(0, rep[i] + (deltas[swarm.ids[i]] ?? 0)));
    if (kind === "gold") {
      goldRounds++;
      const grades = gradeGoldRound({
        truth: LETTERS[q.correct],
        members: swarm.ids,
        answers: Object.fromEntries(swarm.ids.map((id, i) => [id, LETTERS[answers[i]]])),
        judgments,
        assignments: sched,
      });
      pending.push({ at: clock + g.goldDelay, curator, grades });
    }
    if (kind !== "user") return;
    userRounds++;
    if (answers[index.get(result.winner as Address)!] === q.correct) okGold++;
    const best = aggregate({ answers: swarm.ids, judgments, weights: ideal });
    if (answers[index.get(best.winner as Address)!] === q.correct) okIdeal++;
  };

  let k = 0;
  const gold = () => {
    while (schedule.next() < g.goldShare) {
      round(`gold:${k}`, "gold", `curator-${k % g.curators}`);
      k++;
    }
  };
  for (let i = 0; i < p.warmupRounds; i++) {
    gold();
    round(`warmup:${i}`, "warmup");
  }
  for (let i = 0; i < p.questions; i++) {
    gold();
    round(`question:${i}`, "user");
  }

  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
  const w = judgeWeights(swarm.ids.map((address, i) => ({ address, stake: p.stake, reputation: rep[i] })));
  let total = 0;
  let byz = 0;
  swarm.ids.forEach((id, i) => {
    total += w[id];
    if (swarm.byzantine[i]) byz += w[id];
  });
  return {
    byzantine: swarm.byzantine.filter(Boolean).length,
    accGold: (100 * okGold) / userRounds,
    accIdeal: (100 * okIdeal) / userRounds,
    goldRounds,
    userRounds,
    repHonest: mean(rep.filter((_, i) => !swarm.byzantine[i])) / REP_SCALE,
    repByzantine: mean(rep.filter((_, i) => swarm.byzantine[i])) / REP_SCALE,
    byzantineWeightShare: total > 0 ? byz / total : 0,
    ms: performance.now() - t0,
  };
}

export interface SybilParams {
  /** Other (honest) nodes, each with `unitStake`. */
  others: number;
  /** The operator's whole stake, in units of one other node's stake. */
  operatorUnits: number;
  /** Expected committee seats (deploy default 7). */
  tau: number;
  /** Records need at least this many members (deploy default 3); smaller draws are voided and not counted. */
  minCommittee: number;
  rounds: number;
  seed: string;
}

export const DEFAULT_SYBIL: SybilParams = {
  others: 90,
  operatorUnits: 10,
  tau: 7,
  minCommittee: 3,
  rounds: 4000,
  seed: "chorus-bench-sybil-v1",
};

/**
 * The operator's share of the judge weight, summed over the settled committees (total operator weight / total
 * weight), when it splits `operatorUnits` units of stake evenly over `k` identities; every node at REP_INITIAL.
 * Committees by `drawCommittee` (seats ∝ stake · min(rep, REP_REF)), weights by `judgeWeights` over the whole
 * committee, as src/protocol/rules.ts computes them.
 */
export function sybilWeightShare(
  k: number,
  o: Partial<SybilParams> = {},
): { share: number; seatShare: number; settled: number } {
  const s: SybilParams = { ...DEFAULT_SYBIL, ...o };
  const unit = 1000n * 10n ** 18n;
  const addr = (label: string) => keccak256(toHex(label)).slice(0, 42) as Address;
  const operator = new Set<string>();
  const candidates = [] as { address: Address; stake: bigint; reputation: number }[];
  for (let i = 0; i < s.others; i++)
    candidates.push({ address: addr(`${s.seed}:other:${i}`), stake: unit, reputation: REP_INITIAL });
  const opStake = (BigInt(s.operatorUnits) * unit) / BigInt(k);
  for (let i = 0; i < k; i++) {
    const a = addr(`${s.seed}:operator:${k}:${i}`);
    operator.add(a.toLowerCase());
    candidates.push({ address: a, stake: opStake, reputation: REP_INITIAL });
  }
  let opWeight = 0;
  let allWeight = 0;
  let opSeats = 0n;
  let allSeats = 0n;
  let settled = 0;
  for (let r = 0; r < s.rounds; r++) {
    const seed = keccak256(toHex(`${s.seed}:round:${r}`));
    const c = drawCommittee(seed, candidates, s.tau);
    if (c.members.length < s.minCommittee) continue;
    settled++;
    const byAddr = new Map(candidates.map((x) => [x.address.toLowerCase(), x]));
    const members = c.members.map((m) => ({
      address: m.toLowerCase(),
      stake: byAddr.get(m.toLowerCase())!.stake,
      reputation: REP_INITIAL,
    }));
    const w = judgeWeights(members);
    for (const m of members) {
      allWeight += w[m.address];
      allSeats += c.seats.get(m.address)!;
      if (operator.has(m.address)) {
        opWeight += w[m.address];
        opSeats += c.seats.get(m.address)!;
      }
    }
  }
  return { share: opWeight / allWeight, seatShare: Number(opSeats) / Number(allSeats), settled };
}
