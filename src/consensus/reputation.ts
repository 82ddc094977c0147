import { ChorusError, present } from "../core/index.js";
import { aggregate } from "./aggregate.js";
import type { FitOptions } from "./bradley-terry.js";
import { applyDelta, clamp, divTrunc, MAX_REP_DELTA, REP_ALPHA, REP_SCALE } from "./fixed.js";
import type { Judgment, Member, NodeId, Screen } from "./types.js";
import { validateMembers } from "./validate.js";

/** How much more a member's judging counts than its answer in its round target: target = (A + 3 J) / 4. */
export const JUDGE_TARGET_WEIGHT = 3;

export interface ReputationInput {
  /** The committee: every member gets a delta. */
  members: readonly Member[];
  /** The consensus order of the answers, best first (`Aggregate.ranking`). */
  ranking: readonly NodeId[];
  /**
   * The same answers cut into groups the consensus could not tell apart (`Aggregate.tiers`). Pass them:
   * without tiers every place is distinct, and answers of equal strength would be separated by their ids.
   */
  tiers?: readonly (readonly NodeId[])[];
  /** The round's judgments (validated); those naming an answer outside `ranking` are ignored. */
  judgments: readonly Judgment[];
  /**
   * Comparisons each judge was assigned (production: the judge-request's assignments). An assigned
   * comparison without a judgment is a missing verdict and scores like an uninformative one (0). Without it
   * only the judgments given count.
   */
  assigned?: Readonly<Record<NodeId, number>>;
  /**
   * Leave-own-judgments-out (production): score each judge against the consensus the round gives *without*
   * its own judgments and screens (`aggregate` refitted over `ranking` with these weights), so a judge, or a
   * clique, does not confirm itself. Without it every judge is scored against `tiers`.
   */
  leaveOut?: { weights: Readonly<Record<NodeId, number>>; screens?: readonly Screen[]; fit?: FitOptions };
}

/**
 * Reputation deltas after a round: integers the Settlement contract applies as they are (then clamps the
 * reputation to [0, REP_SCALE]). All arithmetic is on integers; every division truncates toward zero as
 * Solidity does. With n answers, and an answer in a tier that starts at place f (0 = best) and holds m answers:
 *
 *   answer target  A = (2(n-1) - (2f + m - 1)) * SCALE / (2(n-1))
 *                  = SCALE * (n-1 - mean place of its tier) / (n-1): 1.0 for a lone winner, 0 for a lone last
 *   judge target   J = (agree - disagree) * SCALE / count, in [-SCALE, SCALE]. Per judgment: +1 when it
 *                  prefers the better-placed of two answers in different tiers, -1 when it prefers the worse,
 *                  0 otherwise (a tie, an unparsable verdict, any verdict on two answers of one tier); `count`
 *                  also holds each assigned comparison left without a judgment (a missing verdict, 0). So a
 *                  judgment without information earns chance (0), never the maximum; a coin flip earns 0 on
 *                  average, a judge that always agrees 1, one that always disagrees -1. The tiers are those of
 *                  the consensus without this judge's own judgments (`leaveOut`).
 *   target         (A + 3 J) / 4 for a member that answered and judged (or was assigned comparisons), A or J
 *                  for one that did only one, 0 for one that did neither (missed its deadlines)
 *   delta          clamp( (target - reputation) * ALPHA / SCALE, -MAX_REP_DELTA, MAX_REP_DELTA )
 *
 * A round without separation (its consensus is one tier, as with a single answer, identical answers or only
 * ties) holds no evidence of quality: every member that answered or judged gets delta 0; only a member that
 * did neither moves (toward 0). So such a round moves nobody toward the top.
 *
 * SCALE = REP_SCALE = 1,000,000, ALPHA = REP_ALPHA = 100,000 (0.1) and MAX_REP_DELTA = 50,000. So
 * reputation is an exponential moving average of the round targets (each past round's weight decays by 0.9 per
 * round), moving at most 0.05 per round; a negative target pulls it toward 0, where the chain clamps it.
 * Judging weighs three times the answer because reputation is above all the judge's weight in the consensus.
 * Intermediate values stay below 2^38.
 * Throws CONSENSUS_BAD_MEMBER for a malformed member, CONSENSUS_BAD_INPUT when `tiers` does not partition
 * `ranking` in the same order or an assigned count is not a whole number, and the codes of `aggregate` for a
 * bad `leaveOut`.
 */
export function reputationDeltas(input: ReputationInput): Record<NodeId, number> {
  const targets = reputationTargets(input);
  const out: Record<NodeId, number> = {};
  for (const m of input.members) out[m.address] = deltaTowards(targets[m.address], m.reputation);
  return out;
}

/** The EMA step every rule shares: `clamp((target - reputation) * ALPHA / SCALE, ±MAX_REP_DELTA)`; 0 for no target. */
export function deltaTowards(target: number | null, reputation: number): number {
  if (target === null) return 0;
  return clamp(divTrunc((target - reputation) * REP_ALPHA, REP_SCALE), -MAX_REP_DELTA, MAX_REP_DELTA);
}

/**
 * The round target of each member that `reputationDeltas` moves reputation towards (same input, same rules),
 * or `null` for a member a round without separation leaves where it is (it took part, the round held no
 * evidence). The truth-anchored rule (`./gold.ts`) mixes these consensus targets with gold standing.
 */
export function reputationTargets(input: ReputationInput): Record<NodeId, number | null> {
  validateMembers(input.members);
  const tiers = input.tiers ?? input.ranking.map((a) => [a]);
  const flat = tiers.flat();
  if (
    flat.length !== input.ranking.length ||
    flat.some((a, i) => a !== input.ranking[i]) ||
    new Set(flat).size !== flat.length
  ) {
    throw new ChorusError(
      "CONSENSUS_BAD_INPUT",
      "tiers must cut the ranking into consecutive groups, each answer once",
    );
  }
  for (const [judge, k] of Object.entries(input.assigned ?? {})) {
    if (!Number.isSafeInteger(k) || k < 0)
      throw new ChorusError("CONSENSUS_BAD_INPUT", `assigned count of ${judge} must be a whole number, got ${k}`, {
        judge,
      });
  }
  const n = flat.length;
  const tierOf = new Map<NodeId, number>();
  const answerTarget = new Map<NodeId, number>();
  let f = 0;
  tiers.forEach((tier, t) => {
    const m = tier.length;
    const target = n > 1 ? divTrunc((2 * (n - 1) - (2 * f + m - 1)) * REP_SCALE, 2 * (n - 1)) : REP_SCALE;
    for (const a of tier) {
      tierOf.set(a, t);
      answerTarget.set(a, target);
    }
    f += m;
  });
  const separated = tiers.length >= 2;

  const tierIndex = (ts: readonly (readonly NodeId[])[]) => {
    const m = new Map<NodeId, number>();
    ts.forEach((tier, t) => tier.forEach((a) => m.set(a, t)));
    return m;
  };
  const byJudge = new Map<NodeId, Judgment[]>();
  for (const j of input.judgments) {
    if (!tierOf.has(j.a) || !tierOf.has(j.b)) continue;
    byJudge.set(j.judge, [...(byJudge.get(j.judge) ?? []), j]);
  }
  /** J of a judge with `own` judgments and `count` >= own.length comparisons (the rest missing). */
  const judgeScore = (judge: NodeId, own: readonly Judgment[], count: number): number => {
    // Only a preference can score: without one J is 0 and no refit is needed.
    if (!own.some((j) => j.outcome === "A" || j.outcome === "B")) return 0;
    let order = tierOf;
    const lo = input.leaveOut;
    if (lo) {
      const others = input.judgments.filter((j) => j.judge !== judge);
      const screens = (lo.screens ?? []).filter((s) => s.judge !== judge);
      order = tierIndex(
        aggregate({ answers: input.ranking, judgments: others, screens, weights: lo.weights, fit: lo.fit }).tiers,
      );
    }
    let score = 0;
    for (const j of own) {
      const ta = present(order.get(j.a), "answer tier");
      const tb = present(order.get(j.b), "answer tier");
      if (ta === tb || (j.outcome !== "A" && j.outcome !== "B")) continue;
      score += (j.outcome === "A") === ta < tb ? 1 : -1;
    }
    return divTrunc(score * REP_SCALE, count);
  };

  const out: Record<NodeId, number | null> = {};
  for (const m of input.members) {
    const a = answerTarget.get(m.address);
    const own = byJudge.get(m.address) ?? [];
    const count = Math.max(own.length, input.assigned?.[m.address] ?? 0);
    if (!separated && (a !== undefined || count > 0)) {
      out[m.address] = null; // no separation, no evidence: nobody who took part moves
      continue;
    }
    const j = count > 0 ? judgeScore(m.address, own, count) : undefined;
    out[m.address] =
      a !== undefined && j !== undefined
        ? divTrunc(a + JUDGE_TARGET_WEIGHT * j, JUDGE_TARGET_WEIGHT + 1)
        : (a ?? j ?? 0);
  }
  return out;
}

/** What the chain does with a delta: `clamp(reputation + delta, 0, REP_SCALE)`. */
export function applyReputationDelta(reputation: number, delta: number): number {
  return applyDelta(reputation, delta);
}
