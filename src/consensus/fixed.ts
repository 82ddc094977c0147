/**
 * Fixed-point conventions shared with the contracts (Settlement applies exactly these numbers):
 * reputation and source scores are integers in [0, REP_SCALE] where REP_SCALE = 1.0; a node or source never
 * settled has REP_INITIAL; one round moves one score by at most MAX_REP_DELTA; the chain applies deltas in
 * order and clamps to [0, REP_SCALE].
 */
export const REP_SCALE = 1_000_000;
export const REP_INITIAL = 500_000;
export const MAX_REP_DELTA = 50_000;
/** EMA step toward a round's target, in REP_SCALE units (0.1): new ≈ 0.9 · old + 0.1 · target. */
export const REP_ALPHA = 100_000;

/** Solidity-style integer division: truncates toward zero. */
export function divTrunc(a: number, b: number): number {
  return Math.trunc(a / b);
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
