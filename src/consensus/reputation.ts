import { clamp, divTrunc, MAX_REP_DELTA, REP_ALPHA, REP_SCALE } from "./fixed.js";
import type { Judgment, Member, NodeId } from "./types.js";

/**
 * Reputation deltas after a round, integers the Settlement contract applies as they are.
 *
 *   answer target   a = (n-1-rank) * SCALE / (n-1)          (1.0 for the winner, 0 for the last; 1.0 if n = 1)
 *   judge target    j = agreeing halves * SCALE / (2 * judged) where a judgment agrees (2 halves) when it
 *                       prefers the answer ranked higher, a tie is 1 half, a disagreement 0
 *   target          (a + j) / 2 when the member answered and judged, else whichever it has; 0 when it did
 *                   not answer (missed a deadline, bad reveal)
 *   delta           clamp( (target - reputation) * ALPHA / SCALE, ±MAX_REP_DELTA )       ALPHA = 0.1
 *
 * So reputation moves a tenth of the way toward the round's score (an EMA: old rounds decay by 0.9 per round),
 * never more than 0.05 per round. Every division truncates toward zero, as Solidity does.
 */
export function reputationDeltas(input: {
  members: readonly Member[];
  ranking: readonly NodeId[];
  judgments: readonly Judgment[];
}): Record<NodeId, number> {
  const n = input.ranking.length;
  const rank = new Map(input.ranking.map((a, i) => [a, i]));
  const halves = new Map<NodeId, { agree: number; count: number }>();
  for (const j of input.judgments) {
    const ra = rank.get(j.a);
    const rb = rank.get(j.b);
    if (ra === undefined || rb === undefined) continue;
    const h = halves.get(j.judge) ?? { agree: 0, count: 0 };
    const preferA = ra < rb;
    h.agree += j.outcome === "tie" ? 1 : (j.outcome === "A") === preferA ? 2 : 0;
    h.count += 1;
    halves.set(j.judge, h);
  }
  const out: Record<NodeId, number> = {};
  for (const m of input.members) {
    const r = rank.get(m.address);
    const answerTarget = r === undefined ? undefined : n > 1 ? divTrunc((n - 1 - r) * REP_SCALE, n - 1) : REP_SCALE;
    const h = halves.get(m.address);
    const judgeTarget = h && h.count > 0 ? divTrunc(h.agree * REP_SCALE, 2 * h.count) : undefined;
    const target =
      answerTarget !== undefined && judgeTarget !== undefined
        ? divTrunc(answerTarget + judgeTarget, 2)
        : (answerTarget ?? judgeTarget ?? 0);
    out[m.address] = clamp(divTrunc((target - m.reputation) * REP_ALPHA, REP_SCALE), -MAX_REP_DELTA, MAX_REP_DELTA);
  }
  return out;
}
