/**
 * The behaviour every backend inherits from BaseBackend, exercised with the deterministic fake: the
 * per-backend concurrency limit, the bounded queue, deadlines and cancellation freeing their slot, close().
 */
import { expect } from "chai";
import { ChorusError } from "../../src/core/index.js";
import { ConcurrencyLimiter } from "../../src/inference/index.js";
import { FakeBackend } from "../helpers/fake-backend.js";

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ChorusError);
    return (err as ChorusError).code;
  }
  return "OK";
}

const ask = (content: string) => [{ role: "user" as const, content }];
const tick = () => new Promise((r) => setTimeout(r, 5));

describe("inference / limits, deadlines and cancellation", () => {
  it("runs at most `concurrency` requests at once and queues the rest in order", async () => {
    const b = new FakeBackend({ delayMs: 60, concurrency: 2, maxQueue: 8 });
    const started: string[] = [];
    const p = ["1", "2", "3", "4"].map((n) => b.chat(ask(n)).then((r) => (started.push(n), r.text)));
    await tick();
    expect(b.stats()).to.include({ active: 2, queued: 2, concurrency: 2, maxQueue: 8 });
    expect(await Promise.all(p)).to.deep.equal([
      "fake answer to: 1",
      "fake answer to: 2",
      "fake answer to: 3",
      "fake answer to: 4",
    ]);
    expect(b.calls.map((c) => c.messages[0].content)).to.deep.equal(["1", "2", "3", "4"]);
    expect(b.stats()).to.include({ active: 0, queued: 0 });
  });

  it("a full queue is INFERENCE_BUSY at once", async () => {
    const b = new FakeBackend({ delayMs: 50, concurrency: 1, maxQueue: 1 });
    const running = b.chat(ask("a"));
    const queued = b.chat(ask("b"));
    expect(await code(b.chat(ask("c")))).to.equal("INFERENCE_BUSY");
    await Promise.all([running, queued]);
  });

  it("a timed-out running request ends at its deadline and frees its slot for the next one", async () => {
    const b = new FakeBackend({ delayMs: 400, concurrency: 1 });
    const t0 = Date.now();
    expect(await code(b.chat(ask("slow"), { timeoutMs: 50 }))).to.equal("INFERENCE_TIMEOUT");
    expect(Date.now() - t0).to.be.lessThan(300);
    await tick();
    expect(b.stats().active).to.equal(0);
    expect(b.aborted).to.equal(1);
    expect((await b.chat(ask("next"))).text).to.equal("fake answer to: next");
  });

  it("the deadline covers the queue wait: a request stuck behind a slow one times out and leaves the queue", async () => {
    const b = new FakeBackend({ delayMs: 300, concurrency: 1 });
    const slow = b.chat(ask("slow"));
    await tick();
    const err = await code(b.chat(ask("waiting"), { timeoutMs: 40 }));
    expect(err).to.equal("INFERENCE_TIMEOUT");
    expect(b.stats().queued).to.equal(0);
    await slow;
    expect(b.calls.map((c) => c.messages[0].content)).to.deep.equal(["slow"]);
  });

  it("aborting a running request ends it with INFERENCE_ABORTED and frees the slot", async () => {
    const b = new FakeBackend({ delayMs: 5000, concurrency: 1 });
    const ac = new AbortController();
    const p = b.chat(ask("x"), { signal: ac.signal });
    await tick();
    expect(b.stats().active).to.equal(1);
    ac.abort();
    expect(await code(p)).to.equal("INFERENCE_ABORTED");
    await tick();
    expect(b.stats().active).to.equal(0);
  });

  it("aborting a queued request removes it from the queue; an already-aborted signal never queues", async () => {
    const b = new FakeBackend({ delayMs: 100, concurrency: 1 });
    const first = b.chat(ask("first"));
    const ac = new AbortController();
    const queued = b.chat(ask("queued"), { signal: ac.signal });
    await tick();
    expect(b.stats().queued).to.equal(1);
    ac.abort();
    expect(await code(queued)).to.equal("INFERENCE_ABORTED");
    expect(b.stats().queued).to.equal(0);
    expect(await code(b.chat(ask("never"), { signal: ac.signal }))).to.equal("INFERENCE_ABORTED");
    await first;
    expect(b.calls).to.have.length(1);
  });

  it("close() fails running and queued requests with INFERENCE_CLOSED, and later ones too", async () => {
    const b = new FakeBackend({ delayMs: 5000, concurrency: 1 });
    const running = b.chat(ask("r"));
    const queued = b.chat(ask("q"));
    await tick();
    await b.close();
    expect(await code(running)).to.equal("INFERENCE_CLOSED");
    expect(await code(queued)).to.equal("INFERENCE_CLOSED");
    expect(await code(b.chat(ask("later")))).to.equal("INFERENCE_CLOSED");
    await b.close();
  });

  it("rejects unusable input with INFERENCE_BAD_INPUT before queueing", async () => {
    const b = new FakeBackend();
    for (const bad of [[], [{ role: "robot", content: "x" }], [{ role: "user", content: 5 }], "hello", null]) {
      expect(await code(b.chat(bad as never))).to.equal("INFERENCE_BAD_INPUT");
    }
    expect(await code(b.chat(ask("x"), { maxTokens: 0 }))).to.equal("INFERENCE_BAD_INPUT");
    expect(await code(b.chat(ask("x"), { temperature: 3 }))).to.equal("INFERENCE_BAD_INPUT");
    expect(b.calls).to.have.length(0);
  });

  it("a generation error is INFERENCE_BACKEND with the cause kept, and frees the slot", async () => {
    const boom = new Error("native abort");
    const b = new FakeBackend({ failWith: () => boom });
    const p = b.chat(ask("x"));
    try {
      await p;
      expect.fail("should throw");
    } catch (err) {
      expect((err as ChorusError).code).to.equal("INFERENCE_BACKEND");
      expect((err as ChorusError).cause).to.equal(boom);
    }
    expect(b.stats().active).to.equal(0);
  });

  it("the fake respects maxTokens and reports usage", async () => {
    const b = new FakeBackend({ reply: () => "one two three four five" });
    const r = await b.chat(ask("count to five"), { maxTokens: 3 });
    expect(r).to.deep.include({ text: "one two three", finishReason: "length", model: "fake:model" });
    expect(r.usage).to.deep.equal({ promptTokens: 3, completionTokens: 3 });
  });

  it("ConcurrencyLimiter rejects bad limits with INFERENCE_CONFIG", () => {
    for (const [c, q] of [
      [0, 1],
      [1.5, 1],
      [1, -1],
    ]) {
      expect(() => new ConcurrencyLimiter(c, q))
        .to.throw(ChorusError)
        .with.property("code", "INFERENCE_CONFIG");
    }
  });
});
