import { expect } from "chai";
import { majorityVote, normalizeAnswer, SeededRandom } from "../../src/consensus/index.js";
import { errorCode } from "./helpers.js";

describe("consensus/majority: the majority-vote baseline", () => {
  it("normalises case, punctuation, white space and Unicode width", () => {
    expect(normalizeAnswer("  The answer:  PARIS! ")).to.equal("the answer paris");
    expect(normalizeAnswer("ＡＢＣ")).to.equal("abc");
  });

  it("counts normalised answers and names the lowest node that gave the winner", () => {
    const r = majorityVote({ "0x3": "Paris.", "0x2": "paris", "0x1": "Lyon" });
    expect(r).to.deep.equal({ winner: "0x2", answer: "paris", votes: { lyon: 1, paris: 2 } });
  });

  it("a tie in votes goes to the answer of the lowest node id", () => {
    expect(majorityVote({ "0x2": "B", "0x1": "A", "0x4": "a", "0x3": "b" }).answer).to.equal("a");
  });

  it("an empty round is rejected with CONSENSUS_NO_ANSWERS", () => {
    expect(errorCode(() => majorityVote({}))).to.equal("CONSENSUS_NO_ANSWERS");
  });
});

describe("consensus/prng: the seeded stream", () => {
  it("is the same for the same seed, a bigint seed equals its hex spelling, and differs between seeds", () => {
    const take = (r: SeededRandom) => Array.from({ length: 20 }, () => r.nextUint32());
    expect(take(new SeededRandom("x"))).to.deep.equal(take(new SeededRandom("x")));
    expect(take(new SeededRandom(0xabcn))).to.deep.equal(take(new SeededRandom("0xabc")));
    expect(take(new SeededRandom("x"))).to.not.deep.equal(take(new SeededRandom("y")));
  });

  it("below(n) stays in range and covers it; shuffle is a permutation", () => {
    const r = new SeededRandom("range");
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const v = r.below(7);
      expect(v).to.be.within(0, 6);
      seen.add(v);
    }
    expect(seen.size).to.equal(7);
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).to.deep.equal([1, 2, 3, 4, 5]);
  });
});
