import { ChorusError } from "../errors.js";
import { SeededRandom } from "./prng.js";
import type { NodeId } from "./types.js";

/**
 * Gives each comparison to one judge: never a judge whose own answer is in the pair, always the eligible
 * judge with the fewest comparisons so far (load balanced), ties broken by a seeded order. Deterministic from
 * the seed. A pair no judge may take (every judge answered in it) is left out and returned in `unassigned`.
 */
export function assignPairs(
  pairs: readonly [NodeId, NodeId][],
  judges: readonly NodeId[],
  seed: string,
): { assignments: Record<NodeId, [NodeId, NodeId][]>; unassigned: [NodeId, NodeId][] } {
  const uniq = new Set(judges);
  if (uniq.size !== judges.length) throw new ChorusError("CONSENSUS_DUPLICATE_JUDGE", "a judge is listed twice");
  const rng = new SeededRandom(`assign:${seed}`);
  const order = rng.shuffle([...judges].sort());
  const rank = new Map(order.map((j, i) => [j, i]));
  const load = new Map(order.map((j) => [j, 0]));
  const assignments: Record<NodeId, [NodeId, NodeId][]> = Object.fromEntries(order.map((j) => [j, []]));
  const unassigned: [NodeId, NodeId][] = [];
  for (const [a, b] of pairs) {
    let best: NodeId | undefined;
    for (const j of order) {
      if (j === a || j === b) continue;
      if (best === undefined || load.get(j)! < load.get(best)! || (load.get(j) === load.get(best) && rank.get(j)! < rank.get(best)!)) best = j;
    }
    if (best === undefined) {
      unassigned.push([a, b]);
      continue;
    }
    assignments[best].push([a, b]);
    load.set(best, load.get(best)! + 1);
  }
  // Rebalance: move a comparison from the busiest judge to the idlest judge allowed to take it, until loads
  // differ by at most one or no move is possible (bounded; deterministic order).
  for (let guard = 0; guard < pairs.length * order.length; guard++) {
    const byLoad = [...order].sort((x, y) => load.get(x)! - load.get(y)! || rank.get(x)! - rank.get(y)!);
    const idle = byLoad[0];
    let moved = false;
    for (const busy of [...byLoad].reverse()) {
      if (load.get(busy)! - load.get(idle)! <= 1) break;
      for (const target of byLoad) {
        if (load.get(busy)! - load.get(target)! <= 1) break;
        const i = assignments[busy].findIndex(([a, b]) => a !== target && b !== target);
        if (i >= 0) {
          assignments[target].push(...assignments[busy].splice(i, 1));
          load.set(busy, load.get(busy)! - 1);
          load.set(target, load.get(target)! + 1);
          moved = true;
          break;
        }
      }
      if (moved) break;
    }
    if (!moved) break;
  }
  return { assignments, unassigned };
}
