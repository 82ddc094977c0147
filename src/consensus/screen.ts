import type { NodeId, Screen } from "./types.js";

/**
 * The answers the weighted GOOD/BAD screen rejects: an answer is BAD when the weight of the judges that called
 * it BAD exceeds the weight of those that called it GOOD (strictly; unscreened answers and even splits pass).
 * Sums run in a canonical order (answer, then judge), so the result does not depend on arrival order. Input is
 * assumed validated (see validateJudging). Returns the BAD answers sorted by id.
 */
export function screenedOut(screens: readonly Screen[], weights: Readonly<Record<NodeId, number>>): NodeId[] {
  const sorted = [...screens].sort((x, y) =>
    x.answer < y.answer ? -1 : x.answer > y.answer ? 1 : x.judge < y.judge ? -1 : x.judge > y.judge ? 1 : 0,
  );
  const tally = new Map<NodeId, number>();
  for (const s of sorted) {
    const w = weights[s.judge] ?? 0;
    if (w === 0) continue;
    tally.set(s.answer, (tally.get(s.answer) ?? 0) + (s.verdict === "BAD" ? w : -w));
  }
  return [...tally]
    .filter(([, t]) => t > 0)
    .map(([a]) => a)
    .sort();
}
