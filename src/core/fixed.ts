import { ChorusError } from "./errors.js";

/**
 * Fixed-point conventions shared with the contracts (Settlement applies exactly these numbers):
 * reputation and source scores are integers in [0, REP_SCALE] where REP_SCALE stands for 1.0; a node or source
 * never settled has REP_INITIAL (a source SOURCE_INITIAL); one round moves one score by at most MAX_REP_DELTA; the chain applies deltas in
 * order and clamps to [0, REP_SCALE].
 */
export const REP_SCALE = 1_000_000;
/**
 * Reputation of a node that was never settled: 0.25, about where honest nodes settle under
 * `reputationDeltas` (0.24-0.38 in the benches), so leaving and joining again under a new key gains no weight.
 */
export const REP_INITIAL = 250_000;
/** Reliability and usefulness of a data source never scored: 0.5. */
export const SOURCE_INITIAL = 500_000;
/** Largest |delta| one round may apply to one node: 0.05. */
export const MAX_REP_DELTA = 50_000;
/** EMA step toward a round's target, in REP_SCALE units (0.1): new = old + trunc((target - old) * 0.1). */
export const REP_ALPHA = 100_000;

/**
 * Solidity-style integer division: the quotient truncated toward zero (`-7 / 2 == -3`). Exact for every pair of
 * safe integers (the remainder `%` is exact on doubles, so `a - a % b` is an exact multiple of `b`).
 * Throws CONSENSUS_BAD_INPUT for a zero divisor or a non-integer operand.
 */
export function divTrunc(a: number, b: number): number {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b === 0) {
    throw new ChorusError(
      "CONSENSUS_BAD_INPUT",
      `integer division needs safe integers and a non-zero divisor, got ${a} / ${b}`,
      { a, b },
    );
  }
  const q = (a - (a % b)) / b;
  return q === 0 ? 0 : q; // never -0
}

/** `v` limited to [lo, hi]. */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Applies a delta the way the contracts do: add, then clamp to [0, REP_SCALE]. The one add-then-clamp. */
export function applyDelta(value: number, delta: number): number {
  return clamp(value + delta, 0, REP_SCALE);
}
