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
  JUDGE_TARGET_WEIGHT,
  reputationDeltas,
  type Judgment,
  type Member,
} from "../../src/consensus/index.js";
import { errorCode, ids } from "./helpers.js";

// Members sit mid-scale (0.5) so moves in both directions show; the initial reputation is asserted below.
const member = (address: string, reputation = 500_000): Member => ({ address, stake: 10n ** 18n, reputation });

describe("consensus/fixed: integer arithmetic the contracts share", () => {
  it("the constants are the ones the contracts use", () => {
    expect({ REP_SCALE, REP_INITIAL, MAX_REP_DELTA, REP_ALPHA }).to.deep.equal({
      REP_SCALE: 1_000_000,
      REP_INITIAL: 250_000,
      MAX_REP_DELTA: 50_000,
      REP_ALPHA: 100_000,
    });
  });

  it("divTrunc truncates toward zero like Solidity, exactly, for every pair of safe integers (property)", () => {
    expect([divTrunc(7, 2), divTrunc(-7, 2), divTrunc(7, -2), divTrunc(-7, -2), divTrunc(-1, 3)]).to.deep.equal([
      3, -3, -3, 3, 0,
    ]);
    expect(Object.is(divTrunc(-1, 3), 0)).to.equal(true);
    fc.assert(
      fc.property(
        fc.maxSafeInteger().map(Number),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).filter((b) => b !== 0),
        (a, b) => {
          expect(divTrunc(a, b)).to.equal(Number(BigInt(a) / BigInt(b)));
        },
      ),
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

  it("judges move with their chance-corrected agreement with the final order: agree +1, tie 0, disagree -1", () => {
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
    expect(d[j1]).to.equal(50_000); // J = +1: target 1.0
    expect(d[j2]).to.equal(-50_000); // J = -1: target -1.0
    // Formula change (issue 9): 3 halves of 4 was target 0.75 (+25,000); chance-corrected it is (3 - 2) / 2 = 0.5.
    expect(d[j3]).to.equal(0);
  });

  it("within one tier a verdict carries no evidence: a tie earns chance, never the maximum (issue 16)", () => {
    const [a, b, c, j] = ids(4);
    // One-tier round: nobody who took part moves (the old rule paid the tie J = +1: +50,000 here).
    const d = reputationDeltas({
      members: [member(j, 0)],
      ranking: [a, b],
      tiers: [[a, b]],
      judgments: [{ judge: j, a, b, outcome: "tie" }],
    });
    expect(d[j]).to.equal(0);
    const e = reputationDeltas({
      members: [member(j, 0)],
      ranking: [a, b],
      tiers: [[a, b]],
      judgments: [{ judge: j, a, b, outcome: "A" }],
    });
    expect(e[j]).to.equal(0);
    // In a separated round, a verdict on two answers of one tier scores 0 whatever it says: J = 0, target 0.
    const f = reputationDeltas({
      members: [member(j, 0)],
      ranking: [a, b, c],
      tiers: [[a, b], [c]],
      judgments: [{ judge: j, a, b, outcome: "tie" }],
    });
    expect(f[j]).to.equal(0);
  });

  it("a member that answered and judged gets (A + 3 J) / 4; one that did neither goes down", () => {
    const [a, b, c] = ids(3);
    const members = [a, b, c].map((m) => member(m));
    const judgments: Judgment[] = [{ judge: c, a, b, outcome: "B" }]; // c disagrees with a > b
    const d = reputationDeltas({ members, ranking: [a, b, c], judgments });
    expect(d[c]).to.equal(-50_000); // answer target 0, judge target -1: (0 - 3) / 4 = -0.75
    const [x, y, z, w] = ids(4);
    // z answered last (A = 0) and judged right (J = 1): target (0 + 3 * 1.0) / 4 = 0.75; from 0.6 that is +15,000.
    const both = reputationDeltas({
      members: [member(z, 600_000)],
      ranking: [x, y, z],
      judgments: [{ judge: z, a: x, b: y, outcome: "A" }],
    });
    expect(JUDGE_TARGET_WEIGHT).to.equal(3);
    expect(both[z]).to.equal(15_000);
    const mid = reputationDeltas({
      members: [member(w, 400_000)],
      ranking: [x, w, y],
      judgments: [{ judge: w, a: x, b: y, outcome: "tie" }],
    });
    expect(mid[w]).to.equal(-27_500); // A 0.5, J 0 (a tie between separated answers): target 0.125, from 0.4
    const idle = member(ids(4)[3], 300_000);
    expect(reputationDeltas({ members: [idle], ranking: [a, b], judgments: [] })[idle.address]).to.equal(-30_000);
  });

  it("deltas are integers within ±MAX_REP_DELTA for any committee and round (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: REP_SCALE }), { minLength: 2, maxLength: 9 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.constantFrom("A" as const, "B" as const, "tie" as const)), {
          maxLength: 30,
        }),
        (reps, raw) => {
          const addrs = ids(reps.length);
          const members = addrs.map((a, i) => member(a, reps[i]));
          const answered = addrs.slice(1);
          const judgments = raw.map(([j, x, y, outcome]) => ({
            judge: addrs[j % addrs.length],
            a: answered[x % answered.length],
            b: answered[y % answered.length],
            outcome,
          }));
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
    for (let r = 0; r < 120; r++)
      rep = applyReputationDelta(
        rep,
        reputationDeltas({ members: [member(a, rep)], ranking: [a, b], judgments: [] })[a],
      );
    expect(rep).to.be.within(REP_SCALE - 10, REP_SCALE); // truncation stops within ALPHA's rounding of the target
    for (let r = 0; r < 120; r++)
      rep = applyReputationDelta(
        rep,
        reputationDeltas({ members: [member(a, rep)], ranking: [b, a], judgments: [] })[a],
      );
    expect(rep).to.be.at.most(10);
  });

  it("the round's aggregate feeds reputation directly", () => {
    const [a, b, c] = ids(3);
    const r = aggregate({ answers: [a, b, c], judgments: [{ judge: c, a, b, outcome: "tie" }], weights: { [c]: 1 } });
    const d = reputationDeltas({
      members: [a, b, c].map((m) => member(m)),
      ranking: r.ranking,
      tiers: r.tiers,
      judgments: [],
    });
    expect(r.tiers).to.deep.equal([[a, b, c]]);
    expect(Object.values(d)).to.deep.equal([0, 0, 0]);
  });

  it("a judge flipping coins ends near 0 judge credit, an always-right judge near +1 (chance correction)", () => {
    const [a, b, c, d, coin, good] = ids(6);
    const ranking = [a, b, c, d];
    const pairs: [string, string][] = [
      [a, b],
      [b, c],
      [c, d],
      [a, c],
      [b, d],
      [a, d],
    ];
    let sumCoin = 0;
    let sumGood = 0;
    for (let r = 0; r < 64; r++) {
      // 6 pairs, the coin's outcomes run through every pattern of 6 bits once per 64 rounds: exactly chance.
      const judgments: Judgment[] = [
        ...pairs.map(([x, y], i): Judgment => ({ judge: coin, a: x, b: y, outcome: (r >> i) & 1 ? "A" : "B" })),
        ...pairs.map(([x, y]) => ({ judge: good, a: y, b: x, outcome: "B" as const })),
      ];
      const dd = reputationDeltas({ members: [member(coin, 0), member(good, 0)], ranking, judgments });
      sumCoin += dd[coin];
      sumGood += dd[good];
    }
    expect(sumCoin).to.equal(0); // target 0 from 0 on average: the deltas cancel exactly
    expect(sumGood).to.equal(64 * 50_000); // target 1.0 from 0, clamped
  });

  it("leave-own-judgments-out: a clique cannot confirm its own preference against the rest of the round", () => {
    const [a, b, h1, h2, h3, x1, x2] = ids(7);
    const weights = Object.fromEntries([h1, h2, h3, x1, x2].map((j) => [j, 1]));
    // Three honest judges prefer a over b once each; two colluders prefer b over a twice each, and win.
    const judgments: Judgment[] = [
      ...[h1, h2, h3].map((judge) => ({ judge, a, b, outcome: "A" as const })),
      ...[x1, x2].flatMap((judge) => [
        { judge, a: b, b: a, outcome: "A" as const },
        { judge, a, b, outcome: "B" as const },
      ]),
    ];
    const full = aggregate({ answers: [a, b], judgments, weights });
    expect(full.ranking).to.deep.equal([b, a]);
    const members = [h1, h2, h3, x1, x2].map((m) => member(m, 0));
    const plain = reputationDeltas({ members, ranking: full.ranking, tiers: full.tiers, judgments });
    const loo = reputationDeltas({
      members,
      ranking: full.ranking,
      tiers: full.tiers,
      judgments,
      leaveOut: { weights },
    });
    // Scored against the consensus they bent, the colluders agree fully (J = +1) and the honest judges not at all.
    expect([plain[x1], plain[h1]]).to.deep.equal([50_000, -50_000]);
    // Without its own judgments, each colluder faces 3 honest judgments against 2 of the other colluder: J = -1.
    expect([loo[x1], loo[x2]]).to.deep.equal([-50_000, -50_000]);
    expect(loo[h1]).to.equal(-50_000); // the honest judge is still outvoted by the two colluders together
    // Without any judgments of its own a member's delta does not depend on leaveOut.
    const answerer = reputationDeltas({
      members: [member(a)],
      ranking: full.ranking,
      tiers: full.tiers,
      judgments,
      leaveOut: { weights },
    });
    expect(answerer[a]).to.equal(
      reputationDeltas({ members: [member(a)], ranking: full.ranking, tiers: full.tiers, judgments })[a],
    );
  });

  it("rejects tiers that do not cut the ranking, and malformed members, with typed errors", () => {
    const [a, b] = ids(2);
    expect(
      errorCode(() => reputationDeltas({ members: [], ranking: [a, b], tiers: [[b], [a]], judgments: [] })),
    ).to.equal("CONSENSUS_BAD_INPUT");
    expect(errorCode(() => reputationDeltas({ members: [], ranking: [a, b], tiers: [[a]], judgments: [] }))).to.equal(
      "CONSENSUS_BAD_INPUT",
    );
    expect(errorCode(() => reputationDeltas({ members: [member(a, -1)], ranking: [a], judgments: [] }))).to.equal(
      "CONSENSUS_BAD_MEMBER",
    );
    expect(
      errorCode(() => reputationDeltas({ members: [member(a), member(a)], ranking: [a], judgments: [] })),
    ).to.equal("CONSENSUS_BAD_MEMBER");
  });
});
