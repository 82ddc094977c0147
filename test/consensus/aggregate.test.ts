import { createHash } from "node:crypto";
import { expect } from "chai";
import fc from "fast-check";
import { aggregate, uniformWeights, type Judgment } from "../../src/consensus/index.js";
import { bits, btJudgments, errorCode, ids, judgesOf } from "./helpers.js";

/** A realistic round: 7 answers, Fortytwo-like judgments by 9 judges with varied weights. */
function round(): { answers: string[]; judgments: Judgment[]; weights: Record<string, number> } {
  const answers = ids(7);
  const judgments = btJudgments(answers, [1, 3, 2, 5, 0.5, 4, 2.5], 2, "aggregate-round");
  const weights = Object.fromEntries(judgesOf(judgments).map((j, i) => [j, 0.2 + ((i * 7) % 11) / 13]));
  return { answers, judgments: judgments.map((j, i) => (i % 9 === 4 ? { ...j, outcome: "tie" } : j)), weights };
}

describe("consensus/aggregate: weighted Bradley–Terry over a round", () => {
  it("the order in which judgments and answers arrive does not matter, bit for bit (property)", () => {
    const r = round();
    const base = bits(aggregate(r));
    fc.assert(
      fc.property(
        fc.shuffledSubarray(r.judgments, { minLength: r.judgments.length }),
        fc.shuffledSubarray(r.answers, { minLength: r.answers.length }),
        (judgments, answers) => {
          expect(bits(aggregate({ answers, judgments, weights: r.weights }))).to.equal(base);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("the same transcript gives the same result bit for bit, pinned here so any drift in the arithmetic shows", () => {
    const r = round();
    const once = bits(aggregate(r));
    expect(bits(aggregate(structuredClone(r)))).to.equal(once);
    // Pinned digest of every score's IEEE bits, the ranking and the iteration count. It changes only when the
    // consensus rules change on purpose; an engine or machine that computed one bit differently would fail here.
    expect(createHash("sha256").update(once).digest("hex").slice(0, 16)).to.equal("125d34b02af2b132");
  });

  it("a judge with weight 0 changes nothing, whatever it says (property)", () => {
    const r = round();
    const base = bits(aggregate(r));
    const liar = "0xffffffffffffffffffffffffffffffffffffffff";
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(
            fc.integer({ min: 0, max: 6 }),
            fc.integer({ min: 0, max: 6 }),
            fc.constantFrom("A" as const, "B" as const, "tie" as const),
          ),
          {
            selector: ([a, b]) => `${a},${b}`,
            maxLength: 30,
          },
        ),
        (said) => {
          const extra: Judgment[] = said
            .filter(([a, b]) => a !== b)
            .map(([a, b, outcome]) => ({ judge: liar, a: r.answers[a], b: r.answers[b], outcome }));
          const screens = r.answers.map((answer) => ({ judge: liar, answer, verdict: "BAD" as const }));
          expect(
            bits(
              aggregate({ ...r, judgments: [...r.judgments, ...extra], screens, weights: { ...r.weights, [liar]: 0 } }),
            ),
          ).to.equal(base);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("weights matter: a heavy judge outvotes light ones on the same pair", () => {
    const [a, b] = ids(2);
    const judgments: Judgment[] = [
      { judge: "0xh", a, b, outcome: "B" },
      { judge: "0xl1", a, b, outcome: "A" },
      { judge: "0xl2", a: b, b: a, outcome: "B" },
    ];
    expect(aggregate({ answers: [a, b], judgments, weights: { "0xh": 1, "0xl1": 0.3, "0xl2": 0.3 } }).winner).to.equal(
      b,
    );
    expect(aggregate({ answers: [a, b], judgments, weights: uniformWeights(["0xh", "0xl1", "0xl2"]) }).winner).to.equal(
      a,
    );
  });

  it("one answer wins alone; all ties put every answer in one tier, ranked by id", () => {
    const [a, b, c] = ids(3);
    expect(aggregate({ answers: [a], judgments: [], weights: {} })).to.deep.include({
      winner: a,
      ranking: [a],
      tiers: [[a]],
    });
    const all = aggregate({
      answers: [c, a, b],
      judgments: [
        { judge: "0xj1", a, b, outcome: "tie" },
        { judge: "0xj2", a: b, b: c, outcome: "tie" },
        { judge: "0xj3", a: c, b: a, outcome: "tie" },
      ],
      weights: { "0xj1": 0.7, "0xj2": 0.3, "0xj3": 1.1 },
    });
    expect(all.ranking).to.deep.equal([a, b, c]);
    expect(all.tiers).to.deep.equal([[a, b, c]]);
    expect(all.winner).to.equal(a);
  });

  it("a disconnected comparison graph still has one defined result: components meet through the prior", () => {
    const [a, b, c, d, e] = ids(5);
    const r = aggregate({
      answers: [a, b, c, d, e],
      judgments: [
        { judge: "0xj1", a, b, outcome: "A" },
        { judge: "0xj2", a: c, b: d, outcome: "A" },
      ],
      weights: { "0xj1": 1, "0xj2": 1 },
    });
    expect(Object.values(r.scores).every((s) => Number.isFinite(s) && s > 0)).to.equal(true);
    // a and c won the same evidence, so they tie; e was never compared and sits between winners and losers.
    expect(r.tiers).to.deep.equal([[a, c], [e], [b, d]]);
    expect(r.winner).to.equal(a);
  });

  it("GOOD/BAD screens: an answer the weighted screen calls BAD ranks after every GOOD one, even if it won its pairs", () => {
    const [a, b, c] = ids(3);
    const w = { [a]: 1, [b]: 1, [c]: 1 };
    const r = aggregate({
      answers: [a, b, c],
      judgments: [{ judge: c, a, b, outcome: "A" }],
      screens: [
        { judge: b, answer: a, verdict: "BAD" },
        { judge: c, answer: a, verdict: "BAD" },
        { judge: b, answer: c, verdict: "GOOD" },
      ],
      weights: w,
    });
    expect(r.ranking.at(-1)).to.equal(a);
    expect(r.screenedOut).to.deep.equal([a]);
    // An even split passes; the weighted sum decides.
    const split = aggregate({
      answers: [a, b, c],
      judgments: [],
      screens: [
        { judge: b, answer: a, verdict: "BAD" },
        { judge: c, answer: a, verdict: "GOOD" },
      ],
      weights: w,
    });
    expect(split.screenedOut).to.deep.equal([]);
    const heavy = aggregate({
      answers: [a, b, c],
      judgments: [],
      screens: [
        { judge: b, answer: a, verdict: "BAD" },
        { judge: c, answer: a, verdict: "GOOD" },
      ],
      weights: { ...w, [b]: 2 },
    });
    expect(heavy.screenedOut).to.deep.equal([a]);
  });

  describe("malformed input is rejected with a typed error", () => {
    const [a, b, c] = ids(3);
    const w = { "0xj": 1 };
    const ok: Judgment = { judge: "0xj", a, b, outcome: "A" };
    const cases: [string, () => unknown, string][] = [
      [
        "a pair naming an unknown answer",
        () => aggregate({ answers: [a, b], judgments: [{ ...ok, b: c }], weights: w }),
        "CONSENSUS_UNKNOWN_ANSWER",
      ],
      [
        "a judge outside the round",
        () => aggregate({ answers: [a, b], judgments: [{ ...ok, judge: "0xstranger" }], weights: w }),
        "CONSENSUS_JUDGE_NOT_IN_ROUND",
      ],
      [
        "a duplicate judgment",
        () => aggregate({ answers: [a, b], judgments: [ok, { ...ok, outcome: "B" }], weights: w }),
        "CONSENSUS_DUPLICATE_JUDGMENT",
      ],
      [
        "a judge comparing its own answer",
        () => aggregate({ answers: [a, b], judgments: [{ ...ok, judge: a }], weights: { [a]: 1 } }),
        "CONSENSUS_OWN_ANSWER",
      ],
      [
        "an answer compared with itself",
        () => aggregate({ answers: [a, b], judgments: [{ ...ok, b: a }], weights: w }),
        "CONSENSUS_BAD_INPUT",
      ],
      [
        "an unknown outcome",
        () => aggregate({ answers: [a, b], judgments: [{ ...ok, outcome: "C" as never }], weights: w }),
        "CONSENSUS_BAD_INPUT",
      ],
      [
        "a screen of an unknown answer",
        () =>
          aggregate({
            answers: [a, b],
            judgments: [],
            screens: [{ judge: "0xj", answer: c, verdict: "BAD" }],
            weights: w,
          }),
        "CONSENSUS_UNKNOWN_ANSWER",
      ],
      [
        "a screen by a judge outside the round",
        () =>
          aggregate({
            answers: [a, b],
            judgments: [],
            screens: [{ judge: "0xx", answer: a, verdict: "BAD" }],
            weights: w,
          }),
        "CONSENSUS_JUDGE_NOT_IN_ROUND",
      ],
      [
        "a duplicate screen",
        () =>
          aggregate({
            answers: [a, b],
            judgments: [],
            screens: [
              { judge: "0xj", answer: a, verdict: "BAD" },
              { judge: "0xj", answer: a, verdict: "GOOD" },
            ],
            weights: w,
          }),
        "CONSENSUS_DUPLICATE_JUDGMENT",
      ],
      [
        "a negative weight",
        () => aggregate({ answers: [a, b], judgments: [ok], weights: { "0xj": -1 } }),
        "CONSENSUS_BAD_WEIGHT",
      ],
      [
        "a NaN weight",
        () => aggregate({ answers: [a, b], judgments: [ok], weights: { "0xj": Number.NaN } }),
        "CONSENSUS_BAD_WEIGHT",
      ],
      [
        "an answer listed twice",
        () => aggregate({ answers: [a, b, a], judgments: [], weights: w }),
        "CONSENSUS_BAD_INPUT",
      ],
      ["no answers", () => aggregate({ answers: [], judgments: [], weights: w }), "CONSENSUS_NO_ANSWERS"],
    ];
    for (const [what, fn, code] of cases) it(`${what}: ${code}`, () => expect(errorCode(fn)).to.equal(code));

    it("the two orders of a pair by one judge are two comparisons, not a duplicate", () => {
      expect(
        errorCode(() => aggregate({ answers: [a, b], judgments: [ok, { ...ok, a: b, b: a }], weights: w })),
      ).to.equal("accepted");
    });
  });
});
