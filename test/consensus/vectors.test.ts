/**
 * The protocol's test vectors (docs/vectors/, docs/protocol.md): every expected output is recomputed from its
 * stored input with this code and must be equal, bit for bit (doubles are compared through their IEEE bits).
 * A change of behaviour in any rule fails here; `npm run vectors` regenerates the files when the change is
 * intended (and docs/protocol.md must then say so).
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { COMPUTE, ruleCases, type VectorFile } from "../../scripts/lib/vectors.js";

const DIR = path.resolve(import.meta.dirname, "../../docs/vectors");
const load = (file: string) => JSON.parse(readFileSync(path.join(DIR, file), "utf8")) as VectorFile;
const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));

describe("protocol test vectors (docs/vectors)", function () {
  this.timeout(60_000);
  const rules = ruleCases();

  for (const [rule, { cases }] of Object.entries(rules)) {
    it(`${rule}.json: the generator's inputs, and every output recomputes`, () => {
      const file = load(`${rule}.json`);
      expect(file.rule).to.equal(rule);
      expect(file.cases.map((c) => c.input)).to.deep.equal(plain(cases.map((c) => c.input)));
      for (const c of file.cases) expect(plain(COMPUTE[rule](c.input)), `${rule}: ${c.name}`).to.deep.equal(c.expected);
    });
  }

  const transcripts = readdirSync(path.join(DIR, "transcripts")).filter((f) => f.endsWith(".json"));
  it("there are whole-round vectors with exclusions, unequal stakes, screens, ties, unparsable verdicts and RAG sources", () => {
    const all = transcripts.map((f) => load(path.join("transcripts", f)).cases[0]);
    const ts = all.map((c) => (c.input as any).transcript);
    expect(ts.some((t) => t.excluded.some((e: any) => e.phase === "answer"))).to.equal(true);
    expect(ts.some((t) => t.excluded.some((e: any) => e.phase === "judge"))).to.equal(true);
    expect(ts.some((t) => new Set(t.committee.candidates.map((c: any) => c.stake)).size > 2)).to.equal(true);
    expect(ts.some((t) => t.judgments.some((j: any) => j.body.screens.length > 0))).to.equal(true);
    const outcomes = new Set(
      ts.flatMap((t) => t.judgments.flatMap((j: any) => j.body.judgments.map((x: any) => x.outcome))),
    );
    expect([...outcomes].sort()).to.deep.equal(["A", "B", "tie", "unparsable"]);
    expect(all.some((c) => ((c.expected as any).result.sources ?? []).length > 0)).to.equal(true);
  });

  for (const f of transcripts) {
    it(`transcripts/${f}: the CID, result, record and its EIP-712 digest recompute`, () => {
      const c = load(path.join("transcripts", f)).cases[0];
      expect(plain(COMPUTE.transcript(c.input))).to.deep.equal(c.expected);
    });
  }
});
