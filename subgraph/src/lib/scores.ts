/**
 * Score arithmetic shared by node reputation and source reliability/usefulness, exactly as
 * contracts/libraries/EpochFinality.sol applies it: integers on the 1_000_000 scale; when an epoch becomes
 * final, each score moves ONCE by its net delta over the epoch (less its voided rounds' deltas) and the sum is
 * clamped to [0, 1_000_000]; a void penalty is a negative delta clamped the same way. Mirrors
 * src/chain/records.ts `applyDelta` (used by src/chain/finality.ts `finalReputations`). Pure (no host imports: graph-ts BigInt comparison
 * runs in WASM), so test/subgraph checks it against the TypeScript reference.
 */
import { BigInt } from "@graphprotocol/graph-ts";

/** 1.0 on the reputation / source-score scale. */
export const REP_SCALE: i32 = 1_000_000;
/** Reputation of a node never settled (FixedPoint.INITIAL_REPUTATION). */
export const REP_INITIAL: i32 = 250_000;
/** Reliability and usefulness of a source never scored (FixedPoint.INITIAL_SOURCE_SCORE). */
export const SOURCE_INITIAL: i32 = 500_000;

/** `value + delta`, clamped to [0, REP_SCALE]. Summed in i64, so any i32 net delta is exact. */
export function applyDelta(value: i32, delta: i32): i32 {
  const sum = i64(value) + i64(delta);
  if (sum < 0) return 0;
  if (sum > i64(REP_SCALE)) return REP_SCALE;
  return i32(sum);
}

/** A void's reputation penalty as a negative delta: -min(penalty, REP_SCALE), which applyDelta clamps the same way. */
export function penaltyDelta(penalty: BigInt): i32 {
  if (penalty.gt(BigInt.fromI32(REP_SCALE))) return -REP_SCALE;
  return -penalty.toI32();
}
