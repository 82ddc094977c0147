import { ChorusError, present } from "../core/index.js";
import { SeededRandom, seedString, type Seed } from "./prng.js";
import type { NodeId } from "./types.js";

/** A judge's entry in one of the assignment's own tables (every judge has one in each). */
const at = <V>(m: ReadonlyMap<NodeId, V>, j: NodeId): V => present(m.get(j), `judge ${j}'s entry`);

/** Comparisons per judge, in the order they were given, and the comparisons nobody may judge. */
export interface Assignment {
  assignments: Record<NodeId, [NodeId, NodeId][]>;
  unassigned: [NodeId, NodeId][];
}

/**
 * Gives each comparison to exactly one judge, deterministically from the seed:
 * - never a judge whose own answer is in the pair (a pair every judge answered in goes to `unassigned`);
 * - preferably a judge that does not already hold the same pair in the other order, so that the two orders are
 *   seen by two judges and a judge's own bias cancels as well as position bias;
 * - then the judge with the fewest comparisons so far, ties by a seeded order of the judges;
 * - finally a rebalancing pass moves comparisons from the busiest to the idlest judge allowed to take them
 *   while loads differ by more than one (each move lowers the sum of squared loads, so it ends).
 * Judges are compared as given: pass lower-case addresses. Throws CONSENSUS_DUPLICATE_JUDGE for a repeated
 * judge, CONSENSUS_BAD_INPUT for a pair of an answer with itself.
 */
export function assignPairs(
  pairs: readonly (readonly [NodeId, NodeId])[],
  judges: readonly NodeId[],
  seed: Seed,
): Assignment {
  if (new Set(judges).size !== judges.length)
    throw new ChorusError("CONSENSUS_DUPLICATE_JUDGE", "a judge is listed twice");
  const rng = new SeededRandom(`assign:${seedString(seed)}`);
  const order = rng.shuffle([...judges].sort());
  const rank = new Map(order.map((j, i) => [j, i]));
  const load = new Map(order.map((j) => [j, 0]));
  const held = new Map(order.map((j) => [j, new Set<string>()])); // unordered pairs a judge holds
  const assignments: Record<NodeId, [NodeId, NodeId][]> = Object.fromEntries(order.map((j) => [j, []]));
  const unassigned: [NodeId, NodeId][] = [];
  const key = (a: NodeId, b: NodeId) => (a < b ? `${a}\n${b}` : `${b}\n${a}`);
  const give = (j: NodeId, a: NodeId, b: NodeId) => {
    assignments[j].push([a, b]);
    load.set(j, at(load, j) + 1);
    at(held, j).add(key(a, b));
  };

  for (const [a, b] of pairs) {
    if (a === b) throw new ChorusError("CONSENSUS_BAD_INPUT", `pair of ${a} with itself`, { answer: a });
    let best: NodeId | undefined;
    let bestCost: [number, number, number] = [0, 0, 0];
    for (const j of order) {
      if (j === a || j === b) continue;
      const cost: [number, number, number] = [at(held, j).has(key(a, b)) ? 1 : 0, at(load, j), at(rank, j)];
      if (
        best === undefined ||
        cost[0] < bestCost[0] ||
        (cost[0] === bestCost[0] && (cost[1] < bestCost[1] || (cost[1] === bestCost[1] && cost[2] < bestCost[2])))
      ) {
        best = j;
        bestCost = cost;
      }
    }
    if (best === undefined) unassigned.push([a, b]);
    else give(best, a, b);
  }

  /** Takes comparison `i` from judge `j`; returns it. */
  const take = (j: NodeId, i: number): [NodeId, NodeId] => {
    const list = assignments[j];
    const [a, b] = list.splice(i, 1)[0];
    load.set(j, at(load, j) - 1);
    if (!list.some(([x, y]) => key(x, y) === key(a, b))) at(held, j).delete(key(a, b));
    return [a, b];
  };
  const canTake = (j: NodeId, [a, b]: [NodeId, NodeId]) => a !== j && b !== j;
  const relay = (busy: NodeId, idle: NodeId): boolean => {
    for (const mid of order) {
      if (mid === busy || mid === idle) continue;
      const toIdle = assignments[mid].findIndex((p) => canTake(idle, p));
      const fromBusy = assignments[busy].findIndex((p) => canTake(mid, p));
      if (toIdle < 0 || fromBusy < 0) continue;
      give(idle, ...take(mid, toIdle));
      give(mid, ...take(busy, fromBusy));
      return true;
    }
    return false;
  };

  // Rebalance. A move from `busy` to `idle` needs load(busy) - load(idle) >= 2; prefer a comparison whose other
  // order `idle` does not hold. Every move lowers the sum of squared loads by at least 2, so the loop ends.
  for (;;) {
    const byLoad = [...order].sort((x, y) => at(load, x) - at(load, y) || at(rank, x) - at(rank, y));
    let moved = false;
    for (let bi = byLoad.length - 1; bi >= 0 && !moved; bi--) {
      const busy = byLoad[bi];
      for (let ti = 0; ti < bi && !moved; ti++) {
        const idle = byLoad[ti];
        if (at(load, busy) - at(load, idle) < 2) break;
        const list = assignments[busy];
        let pick = -1;
        for (let i = 0; i < list.length; i++) {
          const [a, b] = list[i];
          if (a === idle || b === idle) continue;
          if (!at(held, idle).has(key(a, b))) {
            pick = i;
            break;
          }
          if (pick < 0) pick = i;
        }
        if (pick < 0) {
          // No direct move (every comparison `busy` holds involves `idle`'s answer): go through a third judge
          // `mid` that can hand one of its comparisons to `idle` and take one of `busy`'s.
          moved = relay(busy, idle);
          continue;
        }
        const [a, b] = take(busy, pick);
        give(idle, a, b);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return { assignments, unassigned };
}
