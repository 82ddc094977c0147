import { expect } from "chai";
import {
  aggregate,
  anchoredReputationDeltas,
  anchoredTarget,
  choiceLetter,
  foldGold,
  goldCorrect,
  goldDeltas,
  gradeGoldRound,
  reputationDeltas,
  reputationTargets,
  standingOf,
  uniformWeights,
  type Judgment,
} from "../../src/consensus/index.js";

const [a, b, c, d] = ["0xa1", "0xb2", "0xc3", "0xd4"];

describe("gold rounds: grading against the revealed key (issue 20)", () => {
  it("normalises answers as majorityVote does and reads a multiple-choice letter", () => {
    expect(goldCorrect("  B. ", "b")).to.equal(true);
    expect(goldCorrect("The answer is (C)", "C")).to.equal(true);
    expect(goldCorrect("Answer: C", "B")).to.equal(false);
    expect(goldCorrect("Paris!", "paris")).to.equal(true);
    expect(choiceLetter("I think A, but the answer is D.")).to.equal("d");
    expect(choiceLetter("no letter here at all")).to.equal(undefined);
  });

  it("grades answers right/wrong and judgments only on right-vs-wrong pairs, chance-corrected, missing verdicts at 0", () => {
    const answers = { [a]: "B", [b]: "B", [c]: "A", [d]: "C" };
    const judgments: Judgment[] = [
      { judge: a, a: c, b: b, outcome: "B" }, // prefers the right answer: +1
      { judge: a, a: c, b: d, outcome: "A" }, // two wrong answers: not gradable
      { judge: c, a: a, b: d, outcome: "B" }, // prefers the wrong one: -1
      { judge: c, a: b, b: d, outcome: "tie" }, // tie on a gradable pair: 0
      { judge: d, a: a, b: c, outcome: "A" }, // +1, but one assigned gradable pair is missing
    ];
    const g = gradeGoldRound({
      truth: "b",
      members: [a, b, c, d],
      answers,
      judgments,
      assignments: {
        [d]: [
          [a, c],
          [b, c],
        ],
      },
    });
    expect(g[a]).to.deep.equal({
      correct: true,
      judge: 1_000_000,
      gradable: 1,
      target: (1_000_000 + 3 * 1_000_000) / 4,
    });
    expect(g[b]).to.deep.equal({ correct: true, judge: undefined, gradable: 0, target: 1_000_000 });
    expect(g[c]).to.deep.equal({ correct: false, judge: -500_000, gradable: 2, target: -375_000 });
    expect(g[d]).to.deep.equal({ correct: false, judge: 500_000, gradable: 2, target: 375_000 });
    const absent = gradeGoldRound({ truth: "b", members: ["0xee"], answers, judgments });
    expect(absent["0xee"].target).to.equal(null);
  });

  it("standing: an EMA per curator, then the median over curators (one curator cannot drag it outside the others' range)", () => {
    let s = foldGold({}, "0xC1", 600_000);
    expect(standingOf(s)).to.equal(600_000);
    s = foldGold(s, "0xc1", 100_000); // 600k + (100k - 600k) * 0.2
    expect(s["0xc1"]).to.equal(500_000);
    s = foldGold(s, "0xc2", 400_000);
    expect(standingOf(s)).to.equal(450_000); // mean of the two middle values
    s = foldGold(s, "0xc3", -1_000_000); // a hostile curator: the median stays within the others
    expect(standingOf(s)).to.equal(400_000);
    expect(standingOf(foldGold(s, "0xc4", null))).to.equal(400_000);
    expect(standingOf({})).to.equal(null);
    expect(() => foldGold({}, "0xc1", 2_000_000)).to.throw(/gold target/);
  });

  it("the anchored target is (C + 3 G) / 4, C without a standing, no move without separation", () => {
    expect(anchoredTarget(1_000_000, -750_000)).to.equal(-312_500);
    expect(anchoredTarget(-500_000, 600_000)).to.equal(325_000);
    expect(anchoredTarget(400_000, null)).to.equal(400_000);
    expect(anchoredTarget(null, 600_000)).to.equal(null);
  });

  it("without any standing the anchored rule is exactly today's reputationDeltas; with one, gold outweighs the consensus", () => {
    const members = [a, b, c, d].map((address, i) => ({
      address,
      stake: 10n ** 18n,
      reputation: 200_000 + 100_000 * i,
    }));
    const judgments: Judgment[] = [
      { judge: a, a: c, b: d, outcome: "A" },
      { judge: b, a: c, b: d, outcome: "A" },
      { judge: c, a: a, b: b, outcome: "B" },
      { judge: d, a: a, b: b, outcome: "B" },
      { judge: a, a: b, b: c, outcome: "B" },
      { judge: d, a: b, b: c, outcome: "B" },
    ];
    const weights = uniformWeights([a, b, c, d]);
    const r = aggregate({ answers: [a, b, c, d], judgments, weights });
    const input = { members, ranking: r.ranking, tiers: r.tiers, judgments, leaveOut: { weights } };
    const today = reputationDeltas(input);
    expect(anchoredReputationDeltas({ ...input, standing: {} })).to.deep.equal(today);
    const targets = reputationTargets(input);
    const top = r.ranking[0];
    // The consensus winner, measured wrong on gold, moves down whatever the consensus says.
    const anchored = anchoredReputationDeltas({ ...input, standing: { [top]: -750_000 } });
    expect(targets[top]! > members.find((m) => m.address === top)!.reputation).to.equal(true);
    expect(anchored[top] < 0).to.equal(true);
    expect(
      Object.keys(anchored)
        .filter((k) => k !== top)
        .every((k) => anchored[k] === today[k]),
    ).to.equal(true);
  });

  it("gold deltas move each graded member towards its gold target by the usual step, capped at ±50,000", () => {
    const grades = gradeGoldRound({ truth: "a", members: [a, b], answers: { [a]: "A", [b]: "C" }, judgments: [] });
    expect(goldDeltas(grades, { [a]: 250_000, [b]: 900_000 })).to.deep.equal({ [a]: 50_000, [b]: -50_000 });
    expect(goldDeltas(grades, { [a]: 990_000, [b]: 0 })).to.deep.equal({ [a]: 1_000, [b]: 0 });
  });
});
