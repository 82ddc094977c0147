/**
 * One max_tokens cap everywhere (MAX_TOKENS): the gateway's request schema, the protocol's query document and
 * every backend accept exactly 1..MAX_TOKENS and refuse one more; nothing is cut silently. The config's
 * inference.threads / inference.gpu take "auto" by default and reach the gguf backend.
 */
import os from "node:os";
import { expect } from "chai";
import { loadConfig } from "../../src/config/index.js";
import { ChorusError } from "../../src/core/index.js";
import { createInferenceBackend, GgufBackend, MAX_TOKENS } from "../../src/inference/index.js";
import { ChatRequest } from "../../src/node/openai/request.js";
import { QueryDoc } from "../../src/protocol/index.js";
import { resolveThreads } from "../../src/inference/gguf-runtime.js";
import { FakeBackend } from "../helpers/fake-backend.js";

const query = (maxTokens: number) => ({
  type: "chorus/query@1",
  messages: [{ role: "user", content: "hi" }],
  maxTokens,
  coordinator: `0x${"11".repeat(20)}`,
  createdAt: 1,
  rag: false,
});

describe("inference / one token cap, gpu and threads settings", () => {
  it("the gateway, the query document and the backends share the cap MAX_TOKENS", async () => {
    expect(MAX_TOKENS).to.equal(4096);
    const req = (n: number) =>
      ChatRequest.safeParse({ messages: [{ role: "user", content: "hi" }], max_tokens: n }).success;
    expect(req(MAX_TOKENS)).to.equal(true);
    expect(req(MAX_TOKENS + 1)).to.equal(false);
    expect(
      ChatRequest.safeParse({ messages: [{ role: "user", content: "hi" }], max_completion_tokens: MAX_TOKENS + 1 })
        .success,
    ).to.equal(false);
    expect(QueryDoc.safeParse(query(MAX_TOKENS)).success).to.equal(true);
    expect(QueryDoc.safeParse(query(MAX_TOKENS + 1)).success).to.equal(false);

    const b = new FakeBackend();
    await b.chat([{ role: "user", content: "hi" }], { maxTokens: MAX_TOKENS });
    expect(b.calls[0].opts.maxTokens).to.equal(MAX_TOKENS);
    const err = await b.chat([{ role: "user", content: "hi" }], { maxTokens: MAX_TOKENS + 1 }).then(
      () => undefined,
      (e: unknown) => e as ChorusError,
    );
    expect(err).to.be.instanceOf(ChorusError);
    expect(err?.code).to.equal("INFERENCE_BAD_INPUT");
    expect(err?.message).to.contain(`from 1 to ${MAX_TOKENS}`);
    expect(b.calls).to.have.length(1);
  });

  it("inference.threads and inference.gpu default to auto, accept numbers / false from env, refuse nonsense", async () => {
    const d = loadConfig({ env: {} });
    expect(d.inference).to.deep.include({ threads: "auto", gpu: "auto" });
    const e = loadConfig({ env: { CHORUS_THREADS: "3", CHORUS_GPU: "false" } });
    expect(e.inference).to.deep.include({ threads: 3, gpu: false });
    expect(loadConfig({ env: { CHORUS_THREADS: "auto", CHORUS_GPU: "vulkan" } }).inference).to.deep.include({
      threads: "auto",
      gpu: "vulkan",
    });
    expect(() => loadConfig({ env: { CHORUS_THREADS: "many" } })).to.throw(
      /inference.threads: must be "auto" or a whole number/,
    );
    expect(() => loadConfig({ env: { CHORUS_GPU: "tpu" } })).to.throw(
      /inference.gpu: must be auto, cuda, vulkan, metal or false/,
    );

    const auto = createInferenceBackend(
      { kind: "gguf", path: "/models/x.gguf" },
      { threads: d.inference.threads, gpu: d.inference.gpu },
    );
    if (!(auto instanceof GgufBackend)) throw new Error("expected a gguf backend");
    expect(auto.threads).to.equal(Math.max(1, os.availableParallelism() - 1));
    expect([1, 2, 4, 16].map((cores) => resolveThreads("auto", cores))).to.deep.equal([1, 1, 3, 15]);
    expect(resolveThreads(6, 2)).to.equal(6);
    expect(auto.gpu).to.equal("auto");
    const cpu = createInferenceBackend(
      { kind: "gguf", path: "/models/x.gguf" },
      { threads: e.inference.threads, gpu: e.inference.gpu },
    );
    if (!(cpu instanceof GgufBackend)) throw new Error("expected a gguf backend");
    expect(cpu).to.deep.include({ threads: 3, gpu: false });
    expect(() => new GgufBackend({ modelPath: "/m.gguf", gpu: "tpu" as never }))
      .to.throw(ChorusError)
      .with.property("code", "INFERENCE_CONFIG");
    await Promise.all([auto.close(), cpu.close()]);
  });
});
