/** Sentence embeddings with the offline USE-lite model from npm. */
import { expect } from "chai";
import { ChorusError } from "../../src/core/index.js";
import { EMBEDDING_DIM, cosineSimilarity, embed, loadEmbedder } from "../../src/rag/embeddings.js";

describe("rag / sentence embeddings (USE lite, offline)", function () {
  this.timeout(60_000);

  it("does not leave the library's rethrowing process-wide error listeners installed", async () => {
    const before = ["unhandledRejection", "uncaughtException"].map((e) => process.listenerCount(e));
    await loadEmbedder();
    expect(["unhandledRejection", "uncaughtException"].map((e) => process.listenerCount(e))).to.deep.equal(before);
    const proc = process as unknown as import("node:events").EventEmitter;
    for (const e of ["unhandledRejection", "uncaughtException"]) {
      for (const l of proc.listeners(e)) expect(String(l)).to.not.match(/ExitStatus|throw reason/);
    }
  });

  it("gives unit-length 512-d vectors that rank related sentences above unrelated ones", async () => {
    const [q, near, far] = await embed([
      "How do plants make food?",
      "Photosynthesis lets plants turn sunlight into sugar.",
      "The stock market fell sharply on Monday.",
    ]);
    for (const v of [q, near, far]) {
      expect(v).to.be.instanceOf(Float32Array);
      expect(v.length).to.equal(EMBEDDING_DIM);
      expect(Math.hypot(...v)).to.be.closeTo(1, 1e-4);
    }
    expect(cosineSimilarity(q, near)).to.be.greaterThan(cosineSimilarity(q, far) + 0.1);
  });

  it("loads once per process and is deterministic; exact mode is independent of the batch", async () => {
    const a = await loadEmbedder();
    expect(await loadEmbedder()).to.equal(a);
    const text = "Bitswap moves blocks between peers.";
    const alone = await a.embedOne(text);
    expect([...(await a.embedOne(text))]).to.deep.equal([...alone]);
    const exact = await a.embed([text, "Another, much longer sentence about something else entirely."], {
      exact: true,
    });
    expect([...exact[0]]).to.deep.equal([...alone]);
    const batched = await a.embed([text, "Another, much longer sentence about something else entirely."]);
    expect(cosineSimilarity(batched[0], alone)).to.be.greaterThan(0.99999);
  });

  it("embeds many texts in batches, in order", async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `Item ${i}: a note about topic ${i % 4}.`);
    const vs = await embed(texts, { batchSize: 16 });
    expect(vs).to.have.length(40);
    const single = await (await loadEmbedder()).embedOne(texts[37]);
    expect(cosineSimilarity(vs[37], single)).to.be.greaterThan(0.99999);
  });

  it("empty texts get the zero vector; long texts are cut; bad input and aborts are typed errors", async () => {
    const [empty, blank] = await embed(["", "   "]);
    expect([...empty].every((x) => x === 0)).to.equal(true);
    expect([...blank].every((x) => x === 0)).to.equal(true);
    expect(cosineSimilarity(empty, (await embed(["x"]))[0])).to.equal(0);
    const t0 = Date.now();
    const [long] = await embed(["word ".repeat(20_000)], { maxChars: 500 });
    expect(long.length).to.equal(EMBEDDING_DIM);
    expect(Date.now() - t0).to.be.lessThan(5000);
    for (const bad of [[5], "text", [null]]) {
      try {
        await embed(bad as never);
        expect.fail("should throw");
      } catch (err) {
        expect((err as ChorusError).code).to.equal("EMBEDDINGS_BAD_INPUT");
      }
    }
    const ac = new AbortController();
    ac.abort();
    try {
      await embed(["a", "b"], { signal: ac.signal });
      expect.fail("should throw");
    } catch (err) {
      expect((err as ChorusError).code).to.equal("EMBEDDINGS_ABORTED");
    }
    expect(() => cosineSimilarity([1, 2], [1])).to.throw(ChorusError);
  });
});
