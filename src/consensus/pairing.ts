import { ChorusError } from "../errors.js";

export type PairingMode = "fortytwo" | "round-robin";

/**
 * The comparison schedule over answers 0..n-1, as ordered pairs [first shown, second shown].
 * - `fortytwo` (default): adjacent pairs (i, i+1) and cross pairs (i, i+n/2), each asked in both orders to
 *   cancel position bias: about 3n comparisons instead of n(n-1).
 * - `round-robin`: every unordered pair, in both orders.
 * Answers are first placed in a seeded order (`order`), so which answers are adjacent is not chosen by anyone.
 */
export function schedulePairs(n: number, opts: { mode?: PairingMode; order?: readonly number[] } = {}): [number, number][] {
  if (!Number.isInteger(n) || n < 0) throw new ChorusError("CONSENSUS_BAD_INPUT", `answer count must be a whole number, got ${n}`);
  const order = opts.order ?? Array.from({ length: n }, (_, i) => i);
  if (order.length !== n) throw new ChorusError("CONSENSUS_BAD_INPUT", `order has ${order.length} entries for ${n} answers`);
  const seen = new Set<string>();
  const out: [number, number][] = [];
  const add = (x: number, y: number) => {
    if (x === y) return;
    for (const [a, b] of [[x, y], [y, x]] as const) {
      const key = `${a},${b}`;
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
  if (n < 2) return out;
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    add(order[i], order[(i + 1) % n]);
    if (half > 1) add(order[i], order[(i + half) % n]);
  }
  return out;
}
