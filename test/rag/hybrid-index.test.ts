/** The hybrid BM25 + embedding index: the relevant chunk ranks first on a small corpus, with and without embeddings. */
import { expect } from "chai";
import { ChorusError } from "../../src/core/index.js";
import { createHybridIndex } from "../../src/rag/hybrid-index.js";
import type { Chunk } from "../../src/protocol/index.js";

const CORPUS: Chunk[] = [
  ["geo.md#0", "geo.md", "The Nile is the longest river in Africa and flows north into the Mediterranean Sea."],
  ["geo.md#1", "geo.md", "Mount Everest, on the border of Nepal and China, is the highest mountain on Earth."],
  ["bio.txt#0", "bio.txt", "Photosynthesis lets plants turn sunlight, water and carbon dioxide into sugar and oxygen."],
  ["bio.txt#1", "bio.txt", "The human heart pumps blood through arteries and veins to every organ of the body."],
  [
    "space.jsonl:1#0",
    "space.jsonl:1",
    "Jupiter is the largest planet of the solar system, a gas giant with a great red spot.",
  ],
  ["cook.md#0", "cook.md", "To bake bread, knead flour, water, salt and yeast, let the dough rise, then bake it hot."],
].map(([id, doc, text]) => ({ id, doc, text }));

describe("rag / hybrid index", function () {
  this.timeout(60_000);

  it("BM25 only: ranks the chunk with the query's words first, scores in [0, 1] best first", async () => {
    const index = await createHybridIndex(CORPUS, { embedder: null });
    expect(index.model).to.equal(null);
    expect(index.alpha).to.equal(0);
    const hits = await index.search("Which planet is the largest?", 3);
    expect(hits[0].id).to.equal("space.jsonl:1#0");
    expect(hits[0].score).to.equal(1);
    expect(hits[0]).to.include({ doc: "space.jsonl:1", text: CORPUS[4].text });
    for (let i = 1; i < hits.length; i++) expect(hits[i].score).to.be.at.most(hits[i - 1].score);
    expect((await index.search("bread dough yeast", 5))[0].id).to.equal("cook.md#0");
    expect(await index.search("zebra quantum", 5)).to.deep.equal([]); // no shared term, no context
    expect(await index.search("the of and", 5)).to.deep.equal([]); // stop words alone match nothing
  });

  it("hybrid: ranks the relevant chunk first even when the query shares no word with it", async () => {
    const index = await createHybridIndex(CORPUS);
    expect(index.model).to.match(/universal-sentence-encoder/);
    const hits = await index.search("tallest peak in the world", 3);
    expect(hits).to.have.length(3);
    expect(hits[0].id).to.equal("geo.md#1");
    for (const h of hits) expect(h.score).to.be.within(0, 1);
    expect((await index.search("How do green leaves make food from light?", 2))[0].id).to.equal("bio.txt#0");
    expect((await index.search("the longest river in Africa", 1)).map((h) => h.id)).to.deep.equal(["geo.md#0"]);
    // deterministic: the same query gives the same contexts, scores and order
    expect(await index.search("tallest peak in the world", 3)).to.deep.equal(hits);
    // scores are multiples of 1e-6 (they travel as integer micro-units)
    for (const h of hits)
      expect(
        Number.isInteger(Math.round(h.score * 1e6)) && Math.abs(h.score * 1e6 - Math.round(h.score * 1e6)) < 1e-6,
      ).to.equal(true);
  });

  it("breaks ties by chunk id and refuses bad input", async () => {
    const twins = [
      { id: "b#0", doc: "b", text: "same words here" },
      { id: "a#0", doc: "a", text: "same words here" },
    ];
    const index = await createHybridIndex(twins, { embedder: null });
    expect((await index.search("same words", 2)).map((h) => h.id)).to.deep.equal(["a#0", "b#0"]);
    for (const k of [0, 1.5, 1001]) {
      const err = await index.search("x", k).then(
        () => undefined,
        (e) => e,
      );
      expect(err).to.be.instanceOf(ChorusError);
      expect(err.message).to.match(/k must be/);
    }
    await createHybridIndex([twins[0], twins[0]], { embedder: null }).then(
      () => expect.fail("accepted duplicate ids"),
      (e) => expect(e.code).to.equal("RAG_INDEX_BAD_INPUT"),
    );
    for (const alpha of [2, -0.1, NaN]) {
      await createHybridIndex(twins, { embedder: null, alpha }).then(
        () => expect.fail(`accepted alpha ${alpha}`),
        (e) => expect(e.message).to.match(/alpha must be/),
      );
    }
  });
});
