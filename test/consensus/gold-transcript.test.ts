/**
 * Grading a settled round against a revealed gold key from public data alone (the transcript), with the same
 * verification `chorus audit` runs (issue 20). Uses a real transcript from docs/vectors/transcripts.
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Address } from "viem";
import {
  anchoredRules,
  computeResult,
  goldStandings,
  goldPromptHash,
  goldRoundOf,
  gradeGoldTranscript,
  productionRules,
  type RevealedGold,
  type Transcript,
} from "../../src/protocol/index.js";

const file = path.resolve(import.meta.dirname, "../../docs/vectors/transcripts/unequal-stakes-exclusions.json");
const load = (): Transcript => JSON.parse(readFileSync(file, "utf8")).cases[0].input.transcript;
const RIGHT = "0xb5ee5eef009a35993456ceb76724c2ec0a0928e1"; // revealed "answer q9"
const JUDGE = "0x0d7ea0d7b99e389a41d2cc408b11cef3ddf8a808"; // answered "answer q5"; judged two pairs holding q9, both for q9
const ABSENT = "0x37b86d0c0b93cf9b999c4240a78b548c4f19a5b6"; // drawn, excluded at the answer phase
const NOBODY = "0x0000000000000000000000000000000000000001" as Address;

describe("gold: grading a settled transcript against the revealed key (issue 20)", () => {
  it("grades each member's verified answer and its judgments of right-vs-wrong pairs", () => {
    const g = gradeGoldTranscript(load(), { answer: "Answer Q9.", curator: NOBODY }, productionRules());
    expect(g[RIGHT].correct).to.equal(true);
    expect(g[JUDGE]).to.deep.equal({ correct: false, judge: 1_000_000, gradable: 2, target: 750_000 });
    expect(g[ABSENT].correct).to.equal(undefined);
    expect(Object.keys(g)).to.have.length(6);
  });

  it("does not grade the item's curator, and refuses a tampered transcript", () => {
    const g = gradeGoldTranscript(load(), { answer: "answer q9", curator: JUDGE }, productionRules());
    expect(g[JUDGE]).to.equal(undefined);
    const t = load();
    (t.reveals[0].body as { answer: string }).answer = "answer q9";
    expect(() => gradeGoldTranscript(t, { answer: "answer q9", curator: NOBODY }, productionRules())).to.throw(
      /does not match|bad reveal/,
    );
  });

  it("an item grades only the first round with its prompt drawn after the commit and settled before the reveal", () => {
    const t = load();
    const item: RevealedGold = {
      setId: 1n,
      index: 0,
      curator: NOBODY,
      promptHash: goldPromptHash(t.query.messages),
      answer: "answer q9",
      committedAt: 100,
      revealedAt: 500,
    };
    const r = (drawnAt: number, settledAt: number, roundId = t.roundId) => ({
      transcript: { ...t, roundId },
      drawnAt,
      settledAt,
    });
    expect(goldRoundOf(item, [r(90, 200)])).to.equal(undefined); // drawn before the commit
    expect(goldRoundOf(item, [r(150, 600)])).to.equal(undefined); // settled after the reveal
    const first = r(150, 300);
    expect(goldRoundOf(item, [r(200, 300), first])).to.equal(first); // a second copy of the prompt grades nothing
    expect(goldRoundOf({ ...item, void: true }, [first])).to.equal(undefined);
    // The reveal names the round's weight period (GoldRegistry: at least the commit's + 2): a round of another
    // period grades nothing, the named one does.
    expect(goldRoundOf({ ...item, roundPeriod: t.committee.period + 1 }, [first])).to.equal(undefined);
    expect(goldRoundOf({ ...item, roundPeriod: t.committee.period }, [first])).to.equal(first);
    const other = { ...t, query: { ...t.query, messages: [{ role: "user" as const, content: "something else" }] } };
    expect(goldRoundOf(item, [{ transcript: other, drawnAt: 150, settledAt: 300 }])).to.equal(undefined);
  });

  it("anchoredRules: with no standing, every vector transcript recomputes exactly as under productionRules", () => {
    const dir = path.resolve(import.meta.dirname, "../../docs/vectors/transcripts");
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    expect(files.length).to.be.at.least(4);
    for (const f of files) {
      const input = JSON.parse(readFileSync(path.join(dir, f), "utf8")).cases[0].input;
      const opts = { serviceDomain: input.serviceDomain };
      expect(computeResult(input.transcript, anchoredRules({}, input.rules), opts), f).to.deep.equal(
        computeResult(input.transcript, productionRules(input.rules), opts),
      );
    }
  });

  it("standings fold graded items revealed before the cut-off, and anchoredRules moves a node measured wrong down", () => {
    const g = gradeGoldTranscript(load(), { answer: "answer q9", curator: NOBODY }, productionRules());
    const item = (revealedAt: number, curator: string) => ({
      curator: curator as Address,
      setId: 1n,
      index: revealedAt,
      revealedAt,
      grades: g,
    });
    const st = goldStandings([item(10, "0xc1"), item(20, "0xc2"), item(30, "0xc3")], 25);
    expect(st[RIGHT]).to.equal(g[RIGHT].target); // two curators, the same grade: the mean of two equal values
    expect(st[ABSENT]).to.equal(undefined); // no answer, no judgment: no evidence
    expect(goldStandings([item(30, "0xc1")], 30)).to.deep.equal({}); // revealed at the cut-off: not yet
    const t = load();
    const base = computeResult(t, productionRules());
    const winner = base.winner;
    const anchored = computeResult(t, anchoredRules({ [winner.toLowerCase()]: -1_000_000 }));
    expect(anchored.winner).to.equal(winner);
    expect(anchored.deltas[winner] < base.deltas[winner]).to.equal(true);
    for (const m of Object.keys(base.deltas)) if (m !== winner) expect(anchored.deltas[m]).to.equal(base.deltas[m]);
  });
});
