import { expect } from "chai";
import fc from "fast-check";
import { aggregate, fitBradleyTerry, uniformWeights, type WeightedComparison } from "../../src/consensus/index.js";
import { bits, btJudgments, errorCode, ids, judgesOf } from "./helpers.js";

const arbComparisons = (n: number) =>
  fc
    .array(
      fc.record({
        a: fc.integer({ min: 0, max: n - 1 }),
        b: fc.integer({ min: 0, max: n - 1 }),
        outcome: fc.constantFrom("A" as const, "B" as const, "tie" as const),
        weight: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 5, noNaN: true })),
      }),
      { maxLength: 40 },
    )
    .map((cs) => cs.filter((c) => c.a !== c.b));

describe("consensus/bradley-terry: fitting strengths", () => {
  it("recovers known strengths from comparisons drawn from a Bradley–Terry model", () => {
    const answers = ids(5);
    const truth = [1, 2, 4, 8, 16];
    const judgments = btJudgments(answers, truth, 60, "bt-recover");
    const r = aggregate({ answers, judgments, weights: uniformWeights(judgesOf(judgments)) });
    expect(r.ranking).to.deep.equal([...answers].reverse());
    const s = answers.map((a) => r.scores[a]);
    for (let i = 1; i < 5; i++) expect(s[i] / s[i - 1]).to.be.within(1.6, 2.5); // true ratio 2
    expect(s.reduce((x, y) => x + y, 0)).to.be.closeTo(5, 1e-9); // normalised to sum n
  });

  it("recovers the order of ten close strengths from noisy comparisons up to a few neighbour swaps", () => {
    const answers = ids(10);
    const truth = answers.map((_, i) => 1 + i * 0.5);
    const judgments = btJudgments(answers, truth, 40, "bt-ten");
    const r = aggregate({ answers, judgments, weights: uniformWeights(judgesOf(judgments)) });
    expect(r.winner).to.equal(answers[9]);
    let inversions = 0;
    for (let i = 0; i < 10; i++)
      for (let j = i + 1; j < 10; j++) if (r.scores[answers[i]] > r.scores[answers[j]]) inversions++;
    expect(inversions).to.be.at.most(3);
  });

  it("a tie is symmetric: the same comparison shown in the other order gives bit-identical strengths", () => {
    fc.assert(
      fc.property(arbComparisons(6), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (cs, flips) => {
        const flipped: WeightedComparison[] = cs.map((c, i) =>
          flips[i]
            ? { a: c.b, b: c.a, outcome: c.outcome === "A" ? "B" : c.outcome === "B" ? "A" : "tie", weight: c.weight }
            : c,
        );
        expect(bits(fitBradleyTerry(6, flipped))).to.equal(bits(fitBradleyTerry(6, cs)));
      }),
      { numRuns: 200 },
    );
  });

  it("all ties give every answer the same strength", () => {
    const cs: WeightedComparison[] = [];
    for (let a = 0; a < 5; a++)
      for (let b = 0; b < 5; b++) if (a !== b) cs.push({ a, b, outcome: "tie", weight: 0.3 + a * 0.1 });
    const { strengths } = fitBradleyTerry(5, cs);
    for (const s of strengths) expect(s).to.be.closeTo(1, 1e-12);
  });

  it("an answer that wins (or loses) every comparison keeps a finite, positive strength", () => {
    // 0 beats everyone, 3 loses to everyone, 1 beats 2; twenty times each.
    const once: WeightedComparison[] = [
      { a: 0, b: 1, outcome: "A", weight: 1 },
      { a: 2, b: 0, outcome: "B", weight: 1 },
      { a: 0, b: 3, outcome: "A", weight: 1 },
      { a: 1, b: 2, outcome: "A", weight: 1 },
      { a: 3, b: 1, outcome: "B", weight: 1 },
      { a: 2, b: 3, outcome: "A", weight: 1 },
    ];
    const fit = fitBradleyTerry(4, Array.from({ length: 20 }, () => once).flat());
    for (const s of fit.strengths) expect(Number.isFinite(s) && s > 0).to.equal(true);
    expect(fit.strengths[0]).to.be.greaterThan(fit.strengths[1]);
    expect(fit.strengths[1]).to.be.greaterThan(fit.strengths[2]);
    expect(fit.strengths[2]).to.be.greaterThan(fit.strengths[3]);
  });

  it("multiplying every weight by a power of two changes no bit (the prior scales with the mean weight)", () => {
    fc.assert(
      fc.property(arbComparisons(5), fc.constantFrom(0.25, 2, 8, 1024), (cs, k) => {
        const scaled = cs.map((c) => ({ ...c, weight: c.weight * k }));
        expect(bits(fitBradleyTerry(5, scaled).strengths)).to.equal(bits(fitBradleyTerry(5, cs).strengths));
      }),
      { numRuns: 100 },
    );
  });

  it("every input gives finite strengths that sum to n, whatever the graph (property)", () => {
    fc.assert(
      fc.property(arbComparisons(7), (cs) => {
        const { strengths } = fitBradleyTerry(7, cs);
        expect(strengths.every((s) => Number.isFinite(s) && s > 0)).to.equal(true);
        expect(strengths.reduce((x, y) => x + y, 0)).to.be.closeTo(7, 1e-9);
      }),
      { numRuns: 200 },
    );
  });

  it("answers nobody compared stay at the anchor; an empty round is empty", () => {
    expect(fitBradleyTerry(3, []).strengths).to.deep.equal([1, 1, 1]);
    expect(fitBradleyTerry(0, [])).to.deep.equal({ strengths: [], iterations: 0, converged: true });
  });

  it("reports when the iteration limit stopped the fit, and stays deterministic then", () => {
    const cs: WeightedComparison[] = [
      { a: 0, b: 1, outcome: "A", weight: 1 },
      { a: 1, b: 2, outcome: "A", weight: 1 },
    ];
    const short = fitBradleyTerry(3, cs, { maxIterations: 2 });
    expect(short).to.include({ iterations: 2, converged: false });
    expect(bits(fitBradleyTerry(3, cs, { maxIterations: 2 }))).to.equal(bits(short));
  });

  it("rejects comparisons outside the answers, self-comparisons, bad weights, outcomes and priors with CONSENSUS_BAD_INPUT", () => {
    const ok: WeightedComparison = { a: 0, b: 1, outcome: "A", weight: 1 };
    for (const bad of [
      () => fitBradleyTerry(2, [{ ...ok, b: 2 }]),
      () => fitBradleyTerry(2, [{ ...ok, b: 0 }]),
      () => fitBradleyTerry(2, [{ ...ok, a: 0.5 }]),
      () => fitBradleyTerry(2, [{ ...ok, weight: -1 }]),
      () => fitBradleyTerry(2, [{ ...ok, weight: Number.NaN }]),
      () => fitBradleyTerry(2, [{ ...ok, weight: Number.POSITIVE_INFINITY }]),
      () => fitBradleyTerry(2, [{ ...ok, outcome: "C" as never }]),
      () => fitBradleyTerry(2, [ok], { prior: 0 }),
      () => fitBradleyTerry(-1, []),
    ]) {
      expect(errorCode(bad)).to.equal("CONSENSUS_BAD_INPUT");
    }
  });
});
