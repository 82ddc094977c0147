/** The RAG bench's dataset, extractive reader and simulated judge (scripts/lib/rag-*.ts). */
import { expect } from "chai";
import { isChorusError } from "../../src/core/index.js";
import {
  answerSentence,
  ATTRIBUTES,
  makeDataset,
  NO_ANSWER,
  parseQuestion,
  readAnswer,
  statedValues,
} from "../../scripts/lib/rag-dataset.js";
import { judge } from "../../scripts/lib/rag-sim.js";

describe("rag bench / dataset", () => {
  const params = { seed: "t", entities: 40, pollution: [0, 0.25, 0.5, 1], wrong: "random" as const };

  it("is deterministic per seed and differs across seeds", () => {
    expect(makeDataset(params)).to.deep.equal(makeDataset(params));
    expect(makeDataset({ ...params, seed: "u" }).entities[0]).to.not.deep.equal(makeDataset(params).entities[0]);
  });

  it("pollutes exactly the requested share of each source, and polluted documents state wrong values", () => {
    const d = makeDataset(params);
    expect(d.questions).to.have.length(40 * ATTRIBUTES.length);
    params.pollution.forEach((rate, s) => {
      const docs = d.sources[s];
      expect(docs).to.have.length(40);
      expect(docs.filter((x) => x.polluted)).to.have.length(Math.round(rate * 40));
      for (const doc of docs) {
        const e = d.entities[doc.entity];
        for (const a of ATTRIBUTES) {
          const vals = statedValues(doc.text, a, e.name);
          expect(vals, `${doc.doc} ${a}`).to.have.length(1);
          if (doc.polluted) expect(vals[0]).to.not.equal(e.facts[a]);
          else expect(vals[0]).to.equal(e.facts[a]);
        }
      }
    });
    expect(new Set(d.sources.flat().map((x) => x.doc)).size).to.equal(4 * 40);
  });

  it("consistent mode gives every polluted document of an entity the same false value", () => {
    const d = makeDataset({ ...params, wrong: "consistent" });
    for (const doc of d.sources[3]) {
      const e = d.entities[doc.entity];
      expect(statedValues(doc.text, "capital", e.name)).to.deep.equal([e.falseFacts.capital]);
    }
  });

  it("rejects bad parameters", () => {
    for (const bad of [
      { ...params, entities: 0 },
      { ...params, pollution: [] },
      { ...params, pollution: [1.5] },
    ]) {
      try {
        makeDataset(bad);
        expect.fail("accepted");
      } catch (err) {
        expect(isChorusError(err, "BENCH_BAD_PARAMS")).to.equal(true);
      }
    }
  });
});

describe("rag bench / extractive reader", () => {
  it("parses its question forms and nothing else", () => {
    expect(parseQuestion("What is the capital of Veloria?")).to.deep.equal({ attribute: "capital", entity: "Veloria" });
    expect(parseQuestion("In which year was Veloria founded?")).to.deep.equal({
      attribute: "founded",
      entity: "Veloria",
    });
    expect(parseQuestion("Tell me a story about a fox.")).to.equal(null);
    expect(() => readAnswer("Tell me a story.", [])).to.throw(/does not understand/);
  });

  it("answers with the plurality of stated values, ties by the best-ranked context, for the asked entity only", () => {
    const q = "What is the capital of Veloria?";
    const a = "The capital of Veloria is Drumhaven.";
    const b = "Veloria is governed from its capital, Kestrel.";
    const other = "The capital of Norland is Kestrel.";
    expect(readAnswer(q, [b, a, a])).to.deep.equal({
      value: "Drumhaven",
      text: answerSentence("capital", "Veloria", "Drumhaven"),
    });
    expect(readAnswer(q, [b, a]).value).to.equal("Kestrel");
    expect(readAnswer(q, [a, b]).value).to.equal("Drumhaven");
    expect(readAnswer(q, [other, other, a]).value).to.equal("Drumhaven");
    expect(readAnswer(q, [other])).to.deep.equal({ value: null, text: NO_ANSWER });
  });

  it("reads every fact of a clean document of the generated world", () => {
    const d = makeDataset({ seed: "r", entities: 30, pollution: [0], wrong: "random" });
    for (const q of d.questions) expect(readAnswer(q.text, [d.sources[0][q.entity].text]).value).to.equal(q.answer);
  });
});

describe("rag bench / simulated judge (no ground truth)", () => {
  const m = (value: string | null, stated: string[] = []) => ({
    member: "0x1" as const,
    value,
    text: String(value),
    contexts: [],
    stated,
  });
  it("prefers its own reading, then what its own contexts state, else a tie", () => {
    expect(judge(m("x"), m("x"), m("y"))).to.equal("A");
    expect(judge(m("x"), m("y"), m("x"))).to.equal("B");
    expect(judge(m("x"), m("y"), m("y"))).to.equal("tie");
    expect(judge(m(null, ["z", "z", "w"]), m("w"), m("z"))).to.equal("B");
    expect(judge(m("x", ["w"]), m("w"), m("v"))).to.equal("A");
    expect(judge(m("x"), m("w"), m("v"))).to.equal("tie");
  });
});
