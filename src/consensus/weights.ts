import { REP_SCALE } from "./fixed.js";
import type { Member, NodeId } from "./types.js";

export interface WeightOptions {
  /** Largest share of the total weight one judge may hold. Default 0.25. */
  maxShare?: number;
  /** Stake counts up to this multiple of the median stake. Default 2. */
  maxStakeMultiple?: number;
}

/**
 * A judge's weight: reputation (as a fraction of 1) times its stake relative to the committee's median stake
 * (capped at `maxStakeMultiple`), then capped so that no judge holds more than `maxShare` of the total
 * (the excess is clipped iteratively, in a fixed order). Reputation 0 or stake 0 means weight 0.
 */
export function judgeWeights(members: readonly Member[], opts: WeightOptions = {}): Record<NodeId, number> {
  const maxShare = opts.maxShare ?? 0.25;
  const maxMultiple = opts.maxStakeMultiple ?? 2;
  const sortedStakes = members.map((m) => m.stake).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const median = sortedStakes.length ? sortedStakes[Math.floor((sortedStakes.length - 1) / 2)] : 0n;
  const ids = [...members].sort((a, b) => (a.address < b.address ? -1 : 1));
  const w = new Map<NodeId, number>();
  for (const m of ids) {
    const stakeFactor = median > 0n ? Math.min(maxMultiple, Number((m.stake * 1_000_000n) / median) / 1_000_000) : 0;
    w.set(m.address, (Math.max(0, m.reputation) / REP_SCALE) * stakeFactor);
  }
  // Cap shares by water-filling: the k largest weights are lowered to a common level c such that
  // c = maxShare * (k * c + the rest), i.e. c = maxShare * rest / (1 - k * maxShare); k grows until the next
  // weight is already below c. Only + - * / in a fixed (sorted) order.
  const byWeight = ids.map((m) => m.address).sort((x, y) => w.get(y)! - w.get(x)! || (x < y ? -1 : 1));
  const positive = byWeight.filter((a) => w.get(a)! > 0).length;
  if (positive * maxShare >= 1) {
    let rest = 0;
    for (const a of byWeight) rest += w.get(a)!;
    let done = false;
    for (let k = 0; k < positive && k * maxShare < 1; k++) {
      const level = (maxShare * rest) / (1 - k * maxShare);
      if (w.get(byWeight[k])! <= level) {
        for (let i = 0; i < k; i++) w.set(byWeight[i], level);
        done = true;
        break;
      }
      rest -= w.get(byWeight[k])!;
    }
    // At the boundary (positive * maxShare == 1, up to rounding) the cap means equal weights.
    if (!done) for (let i = 0; i < positive; i++) w.set(byWeight[i], w.get(byWeight[positive - 1])!);
  }
  return Object.fromEntries(w);
}
