import { expect } from "chai";
import fc from "fast-check";
import {
  aggregate,
  assignPairs,
  fitBradleyTerry,
  judgeWeights,
  majorityVote,
  MAX_REP_DELTA,
  REP_INITIAL,
  reputationDeltas,
  schedulePairs,
  SeededRandom,
  type Judgment,
} from "../../src/consensus/index.js";
import { isChorusError } from "../../src/errors.js";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `0x${String(i + 1).padStart(40, "0")}`);
const ones = (judges: string[]) => Object.fromEntries(judges.map((j) => [j, 1]));

/** Judgments drawn from a true Bradley–Terry model with the given strengths. */
function synthetic(strengths: number[], perPair: number, seed: string): Judgment[] {
  const a = ids(strengths.length);
  const judges = ids(strengths.length + 3).slice(strengths.length);
  const rng = new SeededRandom(seed);
  const out: Judgment[] = [];
  let k = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < a.length; j++) {
      if (i === j) continue;
      for (let r = 0; r < perPair; r++) {
        const pWin = strengths[i] / (strengths[i] + strengths[j]);
        out.push({ judge: judges[k++ % judges.length] + "", a: a[i], b: a[j], outcome: rng.nextUint32() / 2 ** 32 < pWin ? "A" : "B" });
      }
    }
  // A judge judges each (a, b) at most once: spread duplicates over distinct judge ids.
  return out.map((j, i) => ({ ...j, judge: `0xj${String(i).padStart(39, "0")}` }));
}

describe("consensus: Bradley–Terry", () => {
  it("recovers known strengths from synthetic comparisons", () => {
    const truth = [1, 2, 4, 8, 16];
    const judgments = synthetic(truth, 60, "bt-recover");
    const weights = ones([...new Set(judgments.map((j) => j.judge))]);
    const r = aggregate({ answers: ids(5), judgments, weights });
    expect(r.ranking).to.deep.equal(ids(5).reverse());
    const s = ids(5).map((a) => r.scores[a]);
    for (let i = 1; i < 5; i++) expect(s[i] / s[i - 1]).to.be.within(1.5, 2.7); // true ratio 2
  });

  it("ties are symmetric: a tie shown either way gives the same scores; all ties give equal scores", () => {
    const [a, b, c] = ids(3);
    const w = { j1: 1, j2: 1, j3: 1 } as Record<string, number>;
    const r1 = aggregate({ answers: [a, b, c], judgments: [{ judge: "j1", a, b, outcome: "tie" }, { judge: "j2", a: b, b: c, outcome: "A" }], weights: w });
    const r2 = aggregate({ answers: [a, b, c], judgments: [{ judge: "j1", a: b, b: a, outcome: "tie" }, { judge: "j2", a: b, b: c, outcome: "A" }], weights: w });
    expect(r1.scores).to.deep.equal(r2.scores);
    const all = aggregate({ answers: [a, b, c], judgments: [{ judge: "j1", a, b, outcome: "tie" }, { judge: "j2", a: b, b: c, outcome: "tie" }, { judge: "j3", a: c, b: a, outcome: "tie" }], weights: w });
    expect(new Set(Object.values(all.scores)).size).to.equal(1);
    expect(all.ranking).to.deep.equal([a, b, c]); // equal scores: ties broken by id
  });

  it("the order in which judgments arrive does not matter (bit for bit)", () => {
    const judgments = synthetic([1, 3, 2, 5], 3, "order");
    const weights = Object.fromEntries(judgments.map((j, i) => [j.judge, 0.2 + (i % 5) / 7]));
    const base = JSON.stringify(aggregate({ answers: ids(4), judgments, weights }));
    fc.assert(
      fc.property(fc.shuffledSubarray(judgments, { minLength: judgments.length, maxLength: judgments.length }), fc.shuffledSubarray(ids(4), { minLength: 4, maxLength: 4 }), (shuffled, answers) => {
        expect(JSON.stringify(aggregate({ answers, judgments: shuffled, weights }))).to.equal(base);
      }),
      { numRuns: 100 },
    );
  });

  it("a judge with weight 0 changes nothing", () => {
    const judgments = synthetic([1, 2, 3], 4, "zero");
    const weights = ones([...new Set(judgments.map((j) => j.judge))]);
    const base = aggregate({ answers: ids(3), judgments, weights });
    const [a, b, c] = ids(3);
    const liar: Judgment[] = [{ judge: "0xliar", a, b: c, outcome: "A" }, { judge: "0xliar", a: b, b: c, outcome: "A" }];
    const withLiar = aggregate({ answers: ids(3), judgments: [...judgments, ...liar], weights: { ...weights, "0xliar": 0 } });
    expect(withLiar.scores).to.deep.equal(base.scores);
  });

  it("edge cases: one answer, a disconnected graph, an answer that wins everything", () => {
    const [a, b, c, d] = ids(4);
    expect(aggregate({ answers: [a], judgments: [], weights: {} })).to.deep.include({ winner: a, ranking: [a] });
    // {a,b} and {c,d} never meet: still one defined, finite result.
    const r = aggregate({ answers: [a, b, c, d], judgments: [{ judge: "j1", a, b, outcome: "A" }, { judge: "j2", a: c, b: d, outcome: "A" }], weights: { j1: 1, j2: 1 } });
    expect(Object.values(r.scores).every((s) => Number.isFinite(s) && s > 0)).to.equal(true);
    expect(r.scores[a]).to.equal(r.scores[c]);
    expect(r.ranking).to.deep.equal([a, c, b, d]);
    const sweep = fitBradleyTerry(3, [{ a: 0, b: 1, outcome: "A", weight: 5 }, { a: 0, b: 2, outcome: "A", weight: 5 }, { a: 1, b: 2, outcome: "A", weight: 5 }]);
    expect(sweep.strengths.every((s) => Number.isFinite(s) && s > 0)).to.equal(true);
  });

  it("malformed input is rejected with a typed error", () => {
    const [a, b, c] = ids(3);
    const w = { j: 1 };
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isChorusError(e) ? e.code : "untyped";
      }
      return "accepted";
    };
    expect(code(() => aggregate({ answers: [a, b], judgments: [{ judge: "j", a, b: c, outcome: "A" }], weights: w }))).to.equal("CONSENSUS_UNKNOWN_ANSWER");
    expect(code(() => aggregate({ answers: [a, b], judgments: [{ judge: "stranger", a, b, outcome: "A" }], weights: w }))).to.equal("CONSENSUS_JUDGE_NOT_IN_ROUND");
    expect(code(() => aggregate({ answers: [a, b], judgments: [{ judge: "j", a, b, outcome: "A" }, { judge: "j", a, b, outcome: "B" }], weights: w }))).to.equal("CONSENSUS_DUPLICATE_JUDGMENT");
    expect(code(() => aggregate({ answers: [a, b], judgments: [{ judge: a, a, b, outcome: "A" }], weights: { [a]: 1 } }))).to.equal("CONSENSUS_OWN_ANSWER");
    expect(code(() => aggregate({ answers: [], judgments: [], weights: w }))).to.equal("CONSENSUS_NO_ANSWERS");
  });

  it("GOOD/BAD screens put answers the weighted screen calls BAD after every GOOD one", () => {
    const [a, b, c] = ids(3);
    const r = aggregate({
      answers: [a, b, c],
      judgments: [{ judge: c, a, b, outcome: "A" }],
      screens: [{ judge: b, answer: a, verdict: "BAD" }, { judge: c, answer: a, verdict: "BAD" }, { judge: a, answer: b, verdict: "GOOD" }],
      weights: { [a]: 1, [b]: 1, [c]: 1 },
    });
    expect(r.ranking.at(-1)).to.equal(a);
    expect(r.winner).to.not.equal(a);
  });
});

describe("consensus: pairing and assignment", () => {
  it("fortytwo pairing: adjacent + cross pairs in both orders, about 3n comparisons, no self-pairs", () => {
    for (const n of [5, 7, 10, 15]) {
      const pairs = schedulePairs(n);
      expect(pairs.length).to.be.within(2 * n, 4 * n);
      const keys = new Set(pairs.map(([x, y]) => `${x},${y}`));
      for (const [x, y] of pairs) {
        expect(x).to.not.equal(y);
        expect(keys.has(`${y},${x}`), "both orders").to.equal(true);
      }
    }
    expect(schedulePairs(7, { mode: "round-robin" })).to.have.length(42);
  });

  it("assignment: no judge sees its own answer, load is balanced, same seed same assignment", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 15 }), fc.string(), (n, seed) => {
        const answers = ids(n);
        const pairs = schedulePairs(n).map(([x, y]) => [answers[x], answers[y]] as [string, string]);
        const { assignments, unassigned } = assignPairs(pairs, answers, seed);
        expect(unassigned).to.deep.equal([]);
        const loads = Object.values(assignments).map((p) => p.length);
        expect(Math.max(...loads) - Math.min(...loads)).to.be.at.most(1);
        for (const [judge, ps] of Object.entries(assignments)) for (const [x, y] of ps) expect(judge !== x && judge !== y).to.equal(true);
        expect(assignPairs(pairs, answers, seed)).to.deep.equal({ assignments, unassigned });
      }),
      { numRuns: 60 },
    );
  });
});

describe("consensus: weights, reputation, majority", () => {
  it("judge weights follow reputation and stake and no judge holds more than the cap", () => {
    const m = ids(5).map((address, i) => ({ address, stake: 100n * 10n ** 18n * BigInt(i === 4 ? 50 : 1), reputation: i === 0 ? 0 : 500_000 + i * 100_000 }));
    const w = judgeWeights(m, { maxShare: 0.3 });
    const total = Object.values(w).reduce((s, x) => s + x, 0);
    expect(w[m[0].address]).to.equal(0);
    for (const x of Object.values(w)) expect(x / total).to.be.at.most(0.3 + 1e-9);
    expect(w[m[3].address]).to.be.greaterThan(w[m[1].address]);
  });

  it("reputation deltas: integers within ±MAX_REP_DELTA, the winner up, a member who did not answer down", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 3, maxLength: 9 }), (reps) => {
        const members = ids(reps.length).map((address, i) => ({ address, stake: 1n, reputation: reps[i] }));
        const answered = members.slice(1).map((m) => m.address);
        const deltas = reputationDeltas({ members, ranking: answered, judgments: [] });
        for (const d of Object.values(deltas)) {
          expect(Number.isInteger(d)).to.equal(true);
          expect(Math.abs(d)).to.be.at.most(MAX_REP_DELTA);
        }
        expect(deltas[members[0].address]).to.be.at.most(0);
      }),
      { numRuns: 200 },
    );
    const members = ids(3).map((address) => ({ address, stake: 1n, reputation: REP_INITIAL }));
    const d = reputationDeltas({ members, ranking: ids(3), judgments: [] });
    expect(d[ids(3)[0]]).to.equal(50_000); // (1.0 - 0.5) * 0.1
    expect(d[ids(3)[2]]).to.equal(-50_000);
  });

  it("judges move with the share of their judgments that agree with the final order", () => {
    const [a, b, c, j1, j2] = ids(5);
    const members = [j1, j2].map((address) => ({ address, stake: 1n, reputation: REP_INITIAL }));
    const judgments: Judgment[] = [
      { judge: j1, a, b, outcome: "A" },
      { judge: j1, a: b, b: c, outcome: "A" },
      { judge: j2, a, b, outcome: "B" },
      { judge: j2, a: b, b: c, outcome: "B" },
    ];
    const d = reputationDeltas({ members, ranking: [a, b, c], judgments });
    expect(d[j1]).to.equal(50_000);
    expect(d[j2]).to.equal(-50_000);
  });

  it("majority vote counts normalised answers", () => {
    const r = majorityVote({ "0x1": "Paris.", "0x2": "paris", "0x3": "Lyon" });
    expect(r.answer).to.equal("paris");
    expect(r.winner).to.equal("0x1");
  });
});
