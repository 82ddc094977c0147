import { ChorusError, compareAddress, present } from "../core/index.js";
import { REP_SCALE } from "./fixed.js";
import type { Member, NodeId } from "./types.js";
import { validateMembers } from "./validate.js";

export interface WeightOptions {
  /**
   * Largest share of the total weight one judge may hold, in (0, 1]. Default 0.25. When at most 1/maxShare
   * judges have weight, the cap cannot hold and they all get the same weight (the smallest of theirs).
   */
  maxShare?: number;
  /** Stake counts up to this multiple of the committee's median stake, > 0. Default 2. */
  maxStakeMultiple?: number;
}

/**
 * Judge weights from reputation and stake:
 *
 *   raw_j = (reputation_j / REP_SCALE) * min(maxStakeMultiple, stake_j / median stake)
 *
 * then capped by water-filling so that no judge holds more than `maxShare` of the total: the k largest weights
 * are lowered to the common level L = maxShare * rest / (1 - k * maxShare) (rest = the sum of the others), with
 * the smallest k for which the next weight is already <= L (with at most 1/maxShare judges of positive weight
 * the cap cannot hold, and they all get the smallest of their weights). Reputation 0 or stake 0 gives weight 0, and a
 * weight-0 judge changes no result. Stake is compared as a bigint ratio at 1e-6 resolution; the capping uses
 * only + - * / in a fixed order (weights descending, then address), so weights are bit-identical everywhere.
 * Throws CONSENSUS_BAD_MEMBER for a malformed member, CONSENSUS_BAD_INPUT for bad options.
 */
export function judgeWeights(members: readonly Member[], opts: WeightOptions = {}): Record<NodeId, number> {
  const maxShare = opts.maxShare ?? 0.25;
  const maxMultiple = opts.maxStakeMultiple ?? 2;
  if (!(maxShare > 0 && maxShare <= 1))
    throw new ChorusError("CONSENSUS_BAD_INPUT", `maxShare must be in (0, 1], got ${maxShare}`);
  if (!(maxMultiple > 0) || !Number.isFinite(maxMultiple))
    throw new ChorusError("CONSENSUS_BAD_INPUT", `maxStakeMultiple must be > 0, got ${maxMultiple}`);
  validateMembers(members);
  const sortedStakes = members.map((m) => m.stake).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const median = sortedStakes.length ? sortedStakes[Math.floor((sortedStakes.length - 1) / 2)] : 0n;
  const ids = members.map((m) => m.address).sort(compareIds);
  const byId = new Map(members.map((m) => [m.address, m]));
  const w = new Map<NodeId, number>();
  const weight = (id: NodeId): number => w.get(id) ?? 0;
  for (const id of ids) {
    const m = present(byId.get(id), `member ${id}`);
    const stakeFactor = median > 0n ? Math.min(maxMultiple, Number((m.stake * 1_000_000n) / median) / 1_000_000) : 0;
    w.set(id, (m.reputation / REP_SCALE) * stakeFactor);
  }
  const byWeight = [...ids].sort((x, y) => weight(y) - weight(x) || compareIds(x, y));
  const positive = byWeight.filter((a) => weight(a) > 0).length;
  if (positive === 0) return Object.fromEntries(w);
  if (maxShare * positive <= 1) {
    // The cap cannot hold with so few judges: the most even split is equal weights (the smallest positive one).
    const low = weight(byWeight[positive - 1]);
    for (let i = 0; i < positive; i++) w.set(byWeight[i], low);
    return Object.fromEntries(w);
  }
  // rest[k] = sum of the weights from position k on, added smallest first (no cancellation).
  const rest = new Array<number>(byWeight.length + 1).fill(0);
  for (let k = byWeight.length - 1; k >= 0; k--) rest[k] = rest[k + 1] + weight(byWeight[k]);
  for (let k = 0; k < positive && k * maxShare < 1; k++) {
    const level = (maxShare * rest[k]) / (1 - k * maxShare);
    if (weight(byWeight[k]) <= level) {
      for (let i = 0; i < k; i++) w.set(byWeight[i], level);
      return Object.fromEntries(w);
    }
  }
  // Unreachable in exact arithmetic (some k < 1/maxShare always fits); should rounding miss it, fall back to
  // the most even split rather than leave a judge above the cap.
  const low = weight(byWeight[positive - 1]);
  for (let i = 0; i < positive; i++) w.set(byWeight[i], low);
  return Object.fromEntries(w);
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Node ids in order: addresses by value (`compareAddress`, whatever their case), other ids as strings. */
function compareIds(x: NodeId, y: NodeId): number {
  if (ADDRESS.test(x) && ADDRESS.test(y)) return compareAddress(x, y);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Weight 1 for every judge: the unweighted Bradley–Terry baseline. */
export function uniformWeights(judges: readonly NodeId[]): Record<NodeId, number> {
  return Object.fromEntries(judges.map((j) => [j, 1]));
}
