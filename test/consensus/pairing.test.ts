import { expect } from "chai";
import fc from "fast-check";
import { assignPairs, schedulePairs, seededOrder } from "../../src/consensus/index.js";
import { errorCode, ids } from "./helpers.js";

/** True when the undirected graph of the pairs connects all n answers. */
function connected(n: number, pairs: [number, number][]): boolean {
  const seen = new Set([0]);
  const stack = [0];
  while (stack.length) {
    const x = stack.pop()!;
    for (const [a, b] of pairs) {
      const y = a === x ? b : b === x ? a : -1;
      if (y >= 0 && !seen.has(y)) {
        seen.add(y);
        stack.push(y);
      }
    }
  }
  return seen.size === n;
}

describe("consensus/pairing: the comparison schedule", () => {
  it("fortytwo: adjacent + cross pairs, both orders, 3n comparisons for even n and 4n for odd n, connected", () => {
    for (let n = 6; n <= 40; n++) {
      const pairs = schedulePairs(n, { seed: `s${n}` });
      expect(pairs.length, `n=${n}`).to.equal(n % 2 === 0 ? 3 * n : 4 * n);
      const keys = new Set(pairs.map(([x, y]) => `${x},${y}`));
      expect(keys.size, "no pair twice").to.equal(pairs.length);
      for (const [x, y] of pairs) {
        expect(x).to.not.equal(y);
        expect(keys.has(`${y},${x}`), "both orders").to.equal(true);
      }
      expect(connected(n, pairs)).to.equal(true);
    }
  });

  it("fortytwo follows the placement order: order[i] meets order[i+1] and order[i+n/2]", () => {
    const order = [3, 0, 5, 1, 4, 2];
    const keys = new Set(schedulePairs(6, { order }).map(([x, y]) => `${x},${y}`));
    for (let i = 0; i < 6; i++) {
      expect(keys.has(`${order[i]},${order[(i + 1) % 6]}`)).to.equal(true);
      expect(keys.has(`${order[i]},${order[(i + 3) % 6]}`)).to.equal(true);
    }
  });

  it("small rounds compare everything; one answer or none compares nothing", () => {
    for (const n of [2, 3, 4, 5]) expect(schedulePairs(n)).to.have.length(n * (n - 1));
    expect(schedulePairs(1)).to.deep.equal([]);
    expect(schedulePairs(0)).to.deep.equal([]);
  });

  it("round-robin: every ordered pair once", () => {
    for (const n of [2, 7, 12]) {
      const pairs = schedulePairs(n, { mode: "round-robin", seed: "r" });
      expect(pairs).to.have.length(n * (n - 1));
      expect(new Set(pairs.map(([x, y]) => `${x},${y}`)).size).to.equal(n * (n - 1));
    }
  });

  it("the seeded placement is deterministic, a permutation, and differs between seeds", () => {
    expect(seededOrder(15, "round-1")).to.deep.equal(seededOrder(15, "round-1"));
    expect([...seededOrder(15, "round-1")].sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 15 }, (_, i) => i),
    );
    expect(seededOrder(15, "round-1")).to.not.deep.equal(seededOrder(15, "round-2"));
    expect(schedulePairs(9, { seed: 255n })).to.deep.equal(schedulePairs(9, { seed: "0xff" }));
  });

  it("rejects a count that is not a whole number, an order that is not a permutation, an unknown mode", () => {
    expect(errorCode(() => schedulePairs(2.5))).to.equal("CONSENSUS_BAD_INPUT");
    expect(errorCode(() => schedulePairs(3, { order: [0, 1, 1] }))).to.equal("CONSENSUS_BAD_INPUT");
    expect(errorCode(() => schedulePairs(3, { order: [0, 1] }))).to.equal("CONSENSUS_BAD_INPUT");
    expect(errorCode(() => schedulePairs(3, { mode: "swiss" as never }))).to.equal("CONSENSUS_BAD_INPUT");
  });
});

describe("consensus/assign: comparisons to judges", () => {
  const named = (n: number, seed: string, mode?: "round-robin") => {
    const answers = ids(n);
    return schedulePairs(n, { seed, mode }).map(([x, y]) => [answers[x], answers[y]] as [string, string]);
  };

  it("every comparison goes to exactly one judge, never one whose answer is in it, loads within one (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 20 }),
        fc.integer({ min: 0, max: 5 }),
        fc.string(),
        (n, extraJudges, seed) => {
          const pairs = named(n, seed);
          const judges = [...ids(n), ...ids(extraJudges, "e")];
          const { assignments, unassigned } = assignPairs(pairs, judges, seed);
          expect(unassigned).to.deep.equal([]);
          const given = Object.values(assignments)
            .flat()
            .map(([x, y]) => `${x},${y}`)
            .sort();
          expect(given).to.deep.equal(pairs.map(([x, y]) => `${x},${y}`).sort());
          for (const [judge, ps] of Object.entries(assignments))
            for (const [x, y] of ps) expect(judge !== x && judge !== y).to.equal(true);
          const loads = Object.values(assignments).map((p) => p.length);
          expect(Math.max(...loads) - Math.min(...loads)).to.be.at.most(1);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("the two orders of a pair go to two different judges when the committee has at least four judges", () => {
    for (const n of [4, 5, 8, 15, 16]) {
      for (const seed of ["a", "b", "c"]) {
        const { assignments } = assignPairs(named(n, seed), ids(n), seed);
        for (const ps of Object.values(assignments)) {
          const keys = ps.map(([x, y]) => (x < y ? `${x},${y}` : `${y},${x}`));
          expect(new Set(keys).size, `n=${n} seed=${seed}`).to.equal(keys.length);
        }
      }
    }
  });

  it("is deterministic from the seed and independent of the order judges are listed in; other seeds differ", () => {
    const pairs = named(15, "x");
    const judges = ids(15);
    const one = assignPairs(pairs, judges, "seed-1");
    expect(assignPairs(pairs, [...judges].reverse(), "seed-1")).to.deep.equal(one);
    expect(assignPairs(pairs, judges, "seed-2")).to.not.deep.equal(one);
  });

  it("a pair no judge may take is returned as unassigned; a repeated judge or a self-pair is rejected", () => {
    const [a, b, c] = ids(3);
    expect(assignPairs([[a, b]], [a, b], "s")).to.deep.equal({
      assignments: { [a]: [], [b]: [] },
      unassigned: [[a, b]],
    });
    expect(assignPairs([[a, b]], [], "s").unassigned).to.deep.equal([[a, b]]);
    expect(errorCode(() => assignPairs([[a, b]], [c, c], "s"))).to.equal("CONSENSUS_DUPLICATE_JUDGE");
    expect(errorCode(() => assignPairs([[a, a]], [c], "s"))).to.equal("CONSENSUS_BAD_INPUT");
  });
});
