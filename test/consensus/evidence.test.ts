/**
 * Issue 16: reputation follows evidence. A judgment without information (a tie between answers the
 * consensus cannot separate, an unparsable or a missing verdict) earns chance (J = 0), never the maximum, and a
 * round without separation moves nobody toward the top. Each case is the attack as the issue measured it.
 */
import { expect } from "chai";
import {
  aggregate,
  applyReputationDelta,
  REP_INITIAL,
  reputationDeltas,
  uniformWeights,
  type Judgment,
  type Member,
} from "../../src/consensus/index.js";
import { errorCode, ids } from "./helpers.js";

const member = (address: string, reputation = REP_INITIAL): Member => ({ address, stake: 10n ** 18n, reputation });

/** Every member judges every ordered pair of the others' answers with `outcome`. */
function allPairs(nodes: string[], outcome: Judgment["outcome"]): Judgment[] {
  const out: Judgment[] = [];
  for (const judge of nodes)
    for (const a of nodes)
      for (const b of nodes) if (a !== b && a !== judge && b !== judge) out.push({ judge, a, b, outcome });
  return out;
}

describe("consensus/evidence: judgments without information earn nothing (issue 16)", () => {
  it("the devnet case: identical answers, every verdict a tie; 8 rounds leave every reputation where it was", () => {
    const nodes = ids(5);
    const weights = uniformWeights(nodes);
    let reps = nodes.map(() => REP_INITIAL);
    for (let round = 0; round < 8; round++) {
      const judgments = allPairs(nodes, "tie");
      const r = aggregate({ answers: nodes, judgments, weights });
      expect(r.tiers).to.have.length(1);
      const d = reputationDeltas({
        members: nodes.map((a, i) => member(a, reps[i])),
        ranking: r.ranking,
        tiers: r.tiers,
        judgments,
        leaveOut: { weights },
      });
      reps = reps.map((rep, i) => applyReputationDelta(rep, d[nodes[i]]));
    }
    // The old rule paid J = +1 for each same-tier tie: 0.25 -> 0.60 in 8 rounds (deltas 50,000, 50,000, 47,500, ...).
    expect(reps).to.deep.equal(nodes.map(() => REP_INITIAL));
  });

  it("a round without separation moves no member toward the top, even from reputation 0; only an absent one moves (down)", () => {
    const [a, b, c, absent] = ids(4);
    const judgments: Judgment[] = [
      { judge: c, a, b, outcome: "tie" },
      { judge: a, a: b, b: c, outcome: "unparsable" },
    ];
    const r = aggregate({ answers: [a, b, c], judgments, weights: uniformWeights([a, b, c]) });
    const d = reputationDeltas({
      members: [member(a, 0), member(b, 0), member(c, 0), member(absent, 500_000)],
      ranking: r.ranking,
      tiers: r.tiers,
      judgments,
    });
    expect([d[a], d[b], d[c]]).to.deep.equal([0, 0, 0]);
    expect(d[absent]).to.equal(-50_000);
    // A lone answer is a round without separation too (the old rule gave it A = 1.0).
    expect(reputationDeltas({ members: [member(a, 0)], ranking: [a], judgments: [] })[a]).to.equal(0);
  });

  it("a lazy judge that always ties earns J = 0 where the others separate the answers, and loses reputation", () => {
    const [a, b, c, d, lazy] = ids(5);
    const ranking = [a, b, c, d];
    const lazyJudgments: Judgment[] = [
      { judge: lazy, a, b, outcome: "tie" },
      { judge: lazy, a: c, b: d, outcome: "tie" },
      { judge: lazy, a: b, b: d, outcome: "tie" },
    ];
    // The lazy node did not answer: its target is J alone = 0; from 0.25 it moves down by 0.025.
    const dl = reputationDeltas({ members: [member(lazy)], ranking, judgments: lazyJudgments });
    expect(dl[lazy]).to.equal(-25_000);
    // Answering in the last tier (mean place 2.5 of 0..3: A = 1/6) and tying: (1/6 + 3 * 0) / 4 = 41,666, down
    // from 0.25 by 20,833. The old rule paid a tie on one tier J = +1.
    const withAnswer = reputationDeltas({
      members: [member(d)],
      ranking,
      tiers: [[a], [b], [c, d]],
      judgments: [{ judge: d, a: b, b: c, outcome: "tie" }],
    });
    expect(withAnswer[d]).to.equal(-20_833);
  });

  it("an unparsable verdict is left out of the fit (it is not a tie) and scores its judge at chance", () => {
    const [a, b, c, j1, j2] = ids(5);
    const weights = uniformWeights([j1, j2]);
    const base: Judgment[] = [
      { judge: j1, a, b, outcome: "A" },
      { judge: j1, a: b, b: c, outcome: "A" },
    ];
    const withGarbage: Judgment[] = [
      ...base,
      { judge: j2, a, b, outcome: "unparsable" },
      { judge: j2, a: b, b: c, outcome: "unparsable" },
    ];
    const asTies: Judgment[] = [
      ...base,
      { judge: j2, a, b, outcome: "tie" },
      { judge: j2, a: b, b: c, outcome: "tie" },
    ];
    const r0 = aggregate({ answers: [a, b, c], judgments: base, weights });
    const r1 = aggregate({ answers: [a, b, c], judgments: withGarbage, weights });
    expect(r1.scores).to.deep.equal(r0.scores); // bit for bit: no evidence, no effect
    expect(aggregate({ answers: [a, b, c], judgments: asTies, weights }).scores[a]).to.be.below(r0.scores[a]); // a tie does pull
    const d = reputationDeltas({
      members: [member(j2, 400_000)],
      ranking: r1.ranking,
      tiers: r1.tiers,
      judgments: withGarbage,
    });
    expect(d[j2]).to.equal(-40_000); // J = 0: target 0 from 0.4
  });

  it("a missing verdict (assigned, not returned) counts as a chance judgment: J is diluted, and a silent judge gets J = 0", () => {
    const [a, b, c, x, y] = ids(5);
    const ranking = [a, b, c];
    const judgments: Judgment[] = [{ judge: x, a, b, outcome: "A" }];
    const full = reputationDeltas({ members: [member(x, 0)], ranking, judgments });
    const diluted = reputationDeltas({ members: [member(x, 0)], ranking, judgments, assigned: { [x]: 4 } });
    expect(full[x]).to.equal(50_000); // J = 1
    expect(diluted[x]).to.equal(25_000); // J = 1/4
    // y answered (second of three: A = 0.5) and was assigned 3 comparisons it never returned: (0.5 + 0) / 4.
    const silent = reputationDeltas({ members: [member(b, 0)], ranking, judgments: [], assigned: { [b]: 3 } });
    expect(silent[b]).to.equal(12_500);
    expect(reputationDeltas({ members: [member(b, 0)], ranking, judgments: [] })[b]).to.equal(50_000); // unassigned: A alone
    expect(
      errorCode(() => reputationDeltas({ members: [member(y)], ranking, judgments: [], assigned: { [y]: -1 } })),
    ).to.equal("CONSENSUS_BAD_INPUT");
  });
});
