import { expect } from "chai";
import fc from "fast-check";
import { judgeWeights, REP_SCALE, uniformWeights, type Member } from "../../src/consensus/index.js";
import { errorCode, ids } from "./helpers.js";

const TOKEN = 10n ** 18n;

describe("consensus/weights: judge weights from reputation and stake", () => {
  it("is reputation times stake relative to the median, stake counting up to twice the median", () => {
    const [a, b, c, d] = ids(4);
    const w = judgeWeights(
      [
        { address: a, stake: 100n * TOKEN, reputation: 500_000 },
        { address: b, stake: 100n * TOKEN, reputation: 1_000_000 },
        { address: c, stake: 150n * TOKEN, reputation: 500_000 },
        { address: d, stake: 10_000n * TOKEN, reputation: 500_000 },
      ],
      { maxShare: 1 },
    );
    expect(w).to.deep.equal({ [a]: 0.5, [b]: 1, [c]: 0.75, [d]: 1 });
  });

  it("reputation 0 or stake 0 gives weight 0", () => {
    const [a, b, c] = ids(3);
    const w = judgeWeights([
      { address: a, stake: 0n, reputation: 900_000 },
      { address: b, stake: TOKEN, reputation: 0 },
      { address: c, stake: TOKEN, reputation: 900_000 },
    ]);
    expect(w[a]).to.equal(0);
    expect(w[b]).to.equal(0);
    expect(w[c]).to.be.greaterThan(0);
  });

  it("no judge holds more than the cap, and the cap keeps the order of the weights (property)", () => {
    const member = fc.record({
      stake: fc.bigInt({ min: 0n, max: 10n ** 24n }),
      reputation: fc.integer({ min: 0, max: REP_SCALE }),
    });
    fc.assert(
      fc.property(
        fc.array(member, { minLength: 1, maxLength: 20 }),
        fc.constantFrom(0.1, 0.2, 0.25, 0.5, 1),
        (ms, maxShare) => {
          const members: Member[] = ms.map((m, i) => ({ address: ids(20)[i], ...m }));
          const w = judgeWeights(members, { maxShare });
          const values = members.map((m) => w[m.address]);
          const total = values.reduce((s, x) => s + x, 0);
          const positive = values.filter((x) => x > 0).length;
          if (total === 0) return;
          const cap = Math.max(maxShare, 1 / positive);
          for (const x of values) expect(x / total).to.be.at.most(cap * (1 + 1e-12));
          const raw = judgeWeights(members, { maxShare: 1 });
          for (let i = 0; i < members.length; i++)
            for (let j = 0; j < members.length; j++)
              if (raw[members[i].address] < raw[members[j].address])
                expect(w[members[i].address]).to.be.at.most(w[members[j].address]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("one whale among many judges is held to the cap; with too few judges for the cap, weights become equal", () => {
    const many = ids(10).map((address, i) => ({ address, stake: TOKEN, reputation: i === 0 ? 1_000_000 : 100_000 }));
    const w = judgeWeights(many, { maxShare: 0.25 });
    const total = Object.values(w).reduce((s, x) => s + x, 0);
    expect(w[many[0].address] / total).to.be.closeTo(0.25, 1e-12);
    const few = ids(3).map((address, i) => ({ address, stake: TOKEN, reputation: [1_000_000, 200_000, 100_000][i] }));
    const v = Object.values(judgeWeights(few, { maxShare: 0.25 }));
    expect(new Set(v).size).to.equal(1);
  });

  it("does not depend on the order members are listed in", () => {
    const ms = ids(8).map((address, i) => ({ address, stake: BigInt(i + 1) * TOKEN, reputation: 100_000 * (8 - i) }));
    expect(judgeWeights([...ms].reverse())).to.deep.equal(judgeWeights(ms));
  });

  it("uniform weights give every judge 1", () => {
    expect(uniformWeights(["0xa", "0xb"])).to.deep.equal({ "0xa": 1, "0xb": 1 });
  });

  it("rejects malformed members (CONSENSUS_BAD_MEMBER) and bad options (CONSENSUS_BAD_INPUT)", () => {
    const [a] = ids(1);
    const ok = { address: a, stake: TOKEN, reputation: 1 };
    expect(errorCode(() => judgeWeights([ok, ok]))).to.equal("CONSENSUS_BAD_MEMBER");
    expect(errorCode(() => judgeWeights([{ ...ok, reputation: REP_SCALE + 1 }]))).to.equal("CONSENSUS_BAD_MEMBER");
    expect(errorCode(() => judgeWeights([{ ...ok, reputation: 0.5 }]))).to.equal("CONSENSUS_BAD_MEMBER");
    expect(errorCode(() => judgeWeights([{ ...ok, stake: -1n }]))).to.equal("CONSENSUS_BAD_MEMBER");
    expect(errorCode(() => judgeWeights([ok], { maxShare: 0 }))).to.equal("CONSENSUS_BAD_INPUT");
    expect(errorCode(() => judgeWeights([ok], { maxStakeMultiple: -1 }))).to.equal("CONSENSUS_BAD_INPUT");
  });
});
