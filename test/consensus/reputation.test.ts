import { expect } from "chai";
import fc from "fast-check";
import {
  aggregate,
  applyReputationDelta,
  divTrunc,
  MAX_REP_DELTA,
  REP_ALPHA,
  REP_INITIAL,
  REP_SCALE,
  reputationDeltas,
  type Judgment,
  type Member,
} from "../../src/consensus/index.js";
import { errorCode, ids } from "./helpers.js";

const member = (address: string, reputation = REP_INITIAL): Member => ({ address, stake: 10n ** 18n, reputation });

describe("consensus/fixed: integer arithmetic the contracts share", () => {
  it("the constants are the ones the contracts use", () => {
    expect({ REP_SCALE, REP_INITIAL, MAX_REP_DELTA, REP_ALPHA }).to.deep.equal({ REP_SCALE: 1_000_000, REP_INITIAL: 500_000, MAX_REP_DELTA: 50_000, REP_ALPHA: 100_000 });
  });

  it("divTrunc truncates toward zero like Solidity, exactly, for every pair of safe integers (property)", () => {
    expect([divTrunc(7, 2), divTrunc(-7, 2), divTrunc(7, -2), divTrunc(-7, -2), divTrunc(-1, 3)]).to.deep.equal([3, -3, -3, 3, 0]);
    expect(Object.is(divTrunc(-1, 3), 0)).to.equal(true);
    fc.assert(
      fc.property(fc.maxSafeInteger().map(Number), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).filter((b) => b !== 0), (a, b) => {
        expect(divTrunc(a, b)).to.equal(Number(BigInt(a) / BigInt(b)));
      }),
      { numRuns: 2000 },
    );
    expect(errorCode(() => divTrunc(1, 0))).to.equal("CONSENSUS_BAD_INPUT");
    expect(errorCode(() => divTrunc(1.5, 1))).to.equal("CONSENSUS_BAD_INPUT");
  });

  it("the chain's application of a delta clamps reputation to [0, REP_SCALE]", () => {
    expect(applyReputationDelta(990_000, 50_000)).to.equal(REP_SCALE);
    expect(applyReputationDelta(10_000, -50_000)).to.equal(0);
    expect(applyReputationDelta(500_000, -1)).to.equal(499_999);
  });
});

describe("consensus/reputation: deltas after a round", () => {
  it("answerers move with their place: a tenth of the way to (n-1-place)/(n-1), at most ±0.05", () => {
    const answers = ids(5);
    const d = reputationDeltas({ members: answers.map((a) => member(a)), ranking: answers, judgments: [] });
    // targets 1.0, 0.75, 0.5, 0.25, 0 from 0.5: (target - 0.5) * 0.1, clamped to ±50,000
    expect(answers.map((a) => d[a])).to.deep.equal([50_000, 25_000, 0, -25_000, -50_000]);
  });

  it("answers the consensus could not separate share the mean of their places, whatever their ids", () => {
    const [a, b, c, x] = ids(4);
    const members = [a, b, c, x].map((m) => member(m));
    const d = reputationDeltas({ members, ranking: [a, b, c, x], tiers: [[a, b, c], [x]], judgments: [] });
    // mean place of the tier = 1 of 0..3 -> target 2/3; x last -> 0
    expect([d[a], d[b], d[c]]).to.deep.equal([16_666, 16_666, 16_666]);
    expect(d[x]).to.equal(-50_000);
    const oneTier = reputationDeltas({ members, ranking: [a, b, c, x], tiers: [[a, b, c, x]], judgments: [] });
    expect(Object.values(oneTier)).to.deep.equal([0, 0, 0, 0]);
  });

  it("judges move with the share of their judgments that agree with the final order; ties count half", () => {
    const [a, b, c, j1, j2, j3] = ids(6);
    const members = [j1, j2, j3].map((m) => member(m));
    const judgments: Judgment[] = [
      { judge: j1, a, b, outcome: "A" },
      { judge: j1, a: c, b, outcome: "B" },
      { judge: j2, a, b, outcome: "B" },
      { judge: j2, a: b, b: c, outcome: "B" },
      { judge: j3, a, b, outcome: "tie" },
      { judge: j3, a: b, b: c, outcome: "A" },
    ];
    const d = reputationDeltas({ members, ranking: [a, b, c], judgments });
    expect(d[j1]).to.equal(50_000); // target 1.0
    expect(d[j2]).to.equal(-50_000); // target 0
    expect(d[j3]).to.equal(25_000); // 3 halves of 4: target 0.75
  });

  it("within one tier a tie agrees fully and a preference half", () => {
    const [a, b, j] = ids(3);
    const d = reputationDeltas({ members: [member(j, 0)], ranking: [a, b], tiers: [[a, b]], judgments: [{ judge: j, a, b, outcome: "tie" }] });
    expect(d[j]).to.equal(50_000); // target 1.0 from 0: 100,000 clamped
    const e = reputationDeltas({ members: [member(j, 0)], ranking: [a, b], tiers: [[a, b]], judgments: [{ judge: j, a, b, outcome: "A" }] });
    expect(e[j]).to.equal(50_000); // target 0.5 from 0
  });

  it("a member that answered and judged gets the mean of both targets; one that did neither goes down", () => {
    const [a, b, c] = ids(3);
    const members = [a, b, c].map((m) => member(m));
    const judgments: Judgment[] = [{ judge: c, a, b, outcome: "B" }]; // c disagrees with a > b
    const d = reputationDeltas({ members, ranking: [a, b, c], judgments });
    expect(d[c]).to.equal(-50_000); // answer target 0, judge target 0
    const idle = member(ids(4)[3], 300_000);
    expect(reputationDeltas({ members: [idle], ranking: [a, b], judgments: [] })[idle.address]).to.equal(-30_000);
  });

  it("deltas are integers within ±MAX_REP_DELTA for any committee and round (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: REP_SCALE }), { minLength: 2, maxLength: 9 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.constantFrom("A" as const, "B" as const, "tie" as const)), { maxLength: 30 }),
        (reps, raw) => {
          const addrs = ids(reps.length);
          const members = addrs.map((a, i) => member(a, reps[i]));
          const answered = addrs.slice(1);
          const judgments = raw.map(([j, x, y, outcome]) => ({ judge: addrs[j % addrs.length], a: answered[x % answered.length], b: answered[y % answered.length], outcome }));
          const deltas = reputationDeltas({ members, ranking: answered, judgments });
          expect(Object.keys(deltas).sort()).to.deep.equal([...addrs].sort());
          for (const d of Object.values(deltas)) {
            expect(Number.isSafeInteger(d)).to.equal(true);
            expect(Math.abs(d)).to.be.at.most(MAX_REP_DELTA);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is an EMA: the same target round after round brings reputation to it, and old rounds fade", () => {
    const [a, b] = ids(2);
    let rep = 0;
    for (let r = 0; r < 120; r++) rep = applyReputationDelta(rep, reputationDeltas({ members: [member(a, rep)], ranking: [a, b], judgments: [] })[a]);
    expect(rep).to.be.within(REP_SCALE - 10, REP_SCALE); // truncation stops within ALPHA's rounding of the target
    for (let r = 0; r < 120; r++) rep = applyReputationDelta(rep, reputationDeltas({ members: [member(a, rep)], ranking: [b, a], judgments: [] })[a]);
    expect(rep).to.be.at.most(10);
  });

  it("the round's aggregate feeds reputation directly", () => {
    const [a, b, c] = ids(3);
    const r = aggregate({ answers: [a, b, c], judgments: [{ judge: c, a, b, outcome: "tie" }], weights: { [c]: 1 } });
    const d = reputationDeltas({ members: [a, b, c].map((m) => member(m)), ranking: r.ranking, tiers: r.tiers, judgments: [] });
    expect(r.tiers).to.deep.equal([[a, b, c]]);
    expect(Object.values(d)).to.deep.equal([0, 0, 0]);
  });

  it("rejects tiers that do not cut the ranking, and malformed members, with typed errors", () => {
    const [a, b] = ids(2);
    expect(errorCode(() => reputationDeltas({ members: [], ranking: [a, b], tiers: [[b], [a]], judgments: [] }))).to.equal("CONSENSUS_BAD_INPUT");
    expect(errorCode(() => reputationDeltas({ members: [], ranking: [a, b], tiers: [[a]], judgments: [] }))).to.equal("CONSENSUS_BAD_INPUT");
    expect(errorCode(() => reputationDeltas({ members: [member(a, -1)], ranking: [a], judgments: [] }))).to.equal("CONSENSUS_BAD_MEMBER");
    expect(errorCode(() => reputationDeltas({ members: [member(a), member(a)], ranking: [a], judgments: [] }))).to.equal("CONSENSUS_BAD_MEMBER");
  });
});
