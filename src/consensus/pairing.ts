import { ChorusError } from "../core/index.js";
import { SeededRandom, seedString, type Seed } from "./prng.js";

/** `fortytwo`: adjacent + cross pairs (about 3n comparisons); `round-robin`: every pair (n(n-1) comparisons). */
export type PairingMode = "fortytwo" | "round-robin";

export interface PairingOptions {
  /** Default `fortytwo`. */
  mode?: PairingMode;
  /**
   * The order in which answers are placed around the ring (a permutation of 0..n-1). Default: the seeded
   * order `seededOrder(n, seed)` when `seed` is given, else 0..n-1.
   */
  order?: readonly number[];
  /** Places the answers in a seeded order, so that nobody chooses which answers are adjacent. */
  seed?: Seed;
}

/**
 * The seeded placement of n answers: `SeededRandom("order:" + seed).shuffle([0..n-1])`.
 * Sort the answer ids first (lower-case) so every party indexes them the same way.
 */
export function seededOrder(n: number, seed: Seed): number[] {
  return new SeededRandom(`order:${seedString(seed)}`).shuffle(Array.from({ length: n }, (_, i) => i));
}

/**
 * The comparison schedule over answers 0..n-1, as ordered pairs [shown first, shown second]; every pair appears
 * in both orders to cancel position bias, and no pair appears twice.
 * - `fortytwo` (default): answers on a ring in `order`; adjacent pairs (order[i], order[i+1 mod n]) and cross
 *   pairs (order[i], order[i + floor(n/2) mod n]): 3n comparisons for even n >= 4, 4n for odd n >= 5, all
 *   n(n-1) pairs for n <= 5. Every answer meets 3 or 4 others (all others when n <= 4), and the comparison
 *   graph is connected.
 * - `round-robin`: every unordered pair, both orders: n(n-1) comparisons.
 * Throws CONSENSUS_BAD_INPUT when n is not a whole number or `order` is not a permutation of 0..n-1.
 */
export function schedulePairs(n: number, opts: PairingOptions = {}): [number, number][] {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ChorusError("CONSENSUS_BAD_INPUT", `answer count must be a whole number, got ${n}`, { n });
  const order =
    opts.order ?? (opts.seed !== undefined ? seededOrder(n, opts.seed) : Array.from({ length: n }, (_, i) => i));
  if (order.length !== n || new Set(order).size !== n || order.some((x) => !Number.isInteger(x) || x < 0 || x >= n)) {
    throw new ChorusError("CONSENSUS_BAD_INPUT", `order must be a permutation of 0..${n - 1}`, {
      n,
      order: [...order],
    });
  }
  const seen = new Set<number>();
  const out: [number, number][] = [];
  const add = (x: number, y: number) => {
    if (x === y) return;
    for (const [a, b] of [
      [x, y],
      [y, x],
    ] as const) {
      const key = a * n + b;
      if (!seen.has(key)) {
        seen.add(key);
        out.push([a, b]);
      }
    }
  };
  if ((opts.mode ?? "fortytwo") === "round-robin") {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) add(order[i], order[j]);
    return out;
  }
  const mode: string | undefined = opts.mode;
  if (mode !== undefined && mode !== "fortytwo")
    throw new ChorusError("CONSENSUS_BAD_INPUT", `unknown pairing mode ${mode}`);
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    add(order[i], order[(i + 1) % n]);
    if (half > 1) add(order[i], order[(i + half) % n]);
  }
  return out;
}
