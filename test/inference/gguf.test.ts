/**
 * Real generation with node-llama-cpp on the 260K-parameter test model (it writes children's stories; these
 * tests exercise the inference path, not answer quality).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { ChorusError } from "../../src/core/index.js";
import { GgufBackend, compareAnswers, createInferenceBackend, type ChatMessage } from "../../src/inference/index.js";
import { modelRefs } from "../../src/inference/gguf-runtime.js";
import { REPO_ROOT, requireTestModel } from "./helpers/model.js";
import { closeStarted } from "../helpers/close.js";

const PROMPT: ChatMessage[] = [{ role: "user", content: "Once upon a time, a little cat" }];

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(ChorusError);
    return (err as ChorusError).code;
  }
  return "OK";
}

describe("inference / gguf backend (real model)", function () {
  this.timeout(60_000);
  let model: string;
  let backend: GgufBackend;

  before(async () => {
    model = requireTestModel();
    backend = new GgufBackend({ modelPath: model, threads: 1, contextSize: 256, concurrency: 2 });
    expect(await backend.load()).to.deep.include({ contextSize: 256, trainContextSize: 128 });
  });
  after(async () => {
    await closeStarted(backend);
  });

  it("generates text with token usage; greedy output is identical across runs", async () => {
    const first = await backend.chat(PROMPT, { maxTokens: 48 });
    expect(first.text.trim().length).to.be.greaterThan(10);
    expect(first.model).to.equal("stories260K.gguf");
    expect(first.usage.promptTokens).to.be.greaterThan(5);
    expect(first.usage.completionTokens).to.be.within(1, 48);
    expect(first.truncatedTokens).to.equal(0);
    for (let i = 0; i < 3; i++) expect((await backend.chat(PROMPT, { maxTokens: 48 })).text).to.equal(first.text);
    const other = await backend.chat([{ role: "user", content: "The big red dog" }], { maxTokens: 48 });
    expect(other.text).to.not.equal(first.text);
    expect((await backend.chat(PROMPT, { maxTokens: 48 })).text, "no state leaks from the previous prompt").to.equal(
      first.text,
    );
  });

  it("greedy output is identical in another process", async () => {
    const here = await backend.chat(PROMPT, { maxTokens: 48 });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", path.join(REPO_ROOT, "test/inference/helpers/gguf-child.ts"), model, PROMPT[0].content],
      { cwd: REPO_ROOT },
    );
    const there = JSON.parse(stdout) as { text: string; usage: unknown };
    expect(there.text).to.equal(here.text);
    expect(there.usage).to.deep.equal(here.usage);
  });

  it("two requests run concurrently on two sequences and give the same text as sequential runs", async () => {
    const a: ChatMessage[] = [{ role: "user", content: "Tim and Sue went to the park" }];
    const seqA = await backend.chat(a, { maxTokens: 40 });
    const seqB = await backend.chat(PROMPT, { maxTokens: 40 });
    const [parA, parB] = await Promise.all([
      backend.chat(a, { maxTokens: 40 }),
      backend.chat(PROMPT, { maxTokens: 40 }),
    ]);
    expect(parA.text).to.equal(seqA.text);
    expect(parB.text).to.equal(seqB.text);
  });

  it("stops at maxTokens with finishReason 'length'", async () => {
    const r = await backend.chat(PROMPT, { maxTokens: 5 });
    expect(r.usage.completionTokens).to.be.at.most(5);
    expect(r.finishReason).to.equal("length");
  });

  it("a seeded sampled generation repeats with the same seed", async () => {
    const x = await backend.chat(PROMPT, { maxTokens: 30, temperature: 0.9, seed: 7 });
    const y = await backend.chat(PROMPT, { maxTokens: 30, temperature: 0.9, seed: 7 });
    expect(x.text).to.equal(y.text);
  });

  it("truncates a prompt longer than the context, keeping its start and end, and still answers", async () => {
    const long = `Lily had a dog. ${"The sun was hot and the sky was blue. ".repeat(60)}What did Lily do?`;
    const r = await backend.chat(
      [
        { role: "system", content: "You tell short stories." },
        { role: "user", content: long },
      ],
      { maxTokens: 64 },
    );
    expect(r.truncatedTokens).to.be.greaterThan(200);
    expect(r.usage.promptTokens + 64).to.be.at.most(256);
    expect(r.text.length).to.be.greaterThan(0);
  });

  it("a timeout ends the generation and frees the slot; the next request is clean", async () => {
    const big = new GgufBackend({ modelPath: model, threads: 1, contextSize: 2048, concurrency: 1 });
    try {
      const expected = await big.chat(PROMPT, { maxTokens: 20 });
      const t0 = Date.now();
      expect(await code(big.chat(PROMPT, { maxTokens: 1900, timeoutMs: 150 }))).to.equal("INFERENCE_TIMEOUT");
      expect(Date.now() - t0).to.be.lessThan(1000);
      await waitFor(() => big.stats().active === 0, 1000);
      const ac = new AbortController();
      const running = big.chat(PROMPT, { maxTokens: 1900, signal: ac.signal });
      setTimeout(() => ac.abort(), 100);
      expect(await code(running)).to.equal("INFERENCE_ABORTED");
      await waitFor(() => big.stats().active === 0, 1000);
      expect((await big.chat(PROMPT, { maxTokens: 20 })).text).to.equal(expected.text);
    } finally {
      await big.close();
    }
  });

  it("shares one loaded model per file between backends, and frees it with the last one", async () => {
    const abs = path.resolve(model);
    const before = modelRefs(abs);
    const second = createInferenceBackend({ kind: "gguf", path: model }, { threads: 1, contextSize: 256 });
    expect((await second.chat(PROMPT, { maxTokens: 48 })).text).to.equal(
      (await backend.chat(PROMPT, { maxTokens: 48 })).text,
    );
    expect(modelRefs(abs)).to.equal(before + 1);
    await second.close();
    expect(modelRefs(abs)).to.equal(before);
  });

  it("the judge runs on the real model; a story is not a verdict, so it is an unparsed tie", async () => {
    const r = await compareAnswers(
      backend,
      { question: "What is 2+2?", answerA: "4", answerB: "5" },
      { maxTokens: 24 },
    );
    expect(r.raw.length).to.be.greaterThan(0);
    if (!r.parsed) expect(r.outcome).to.equal("tie");
  });

  it("a missing or invalid model file is INFERENCE_MODEL; bad options are INFERENCE_CONFIG", async () => {
    const missing = new GgufBackend({ modelPath: "/nonexistent/model.gguf" });
    expect(await code(missing.chat(PROMPT))).to.equal("INFERENCE_MODEL");
    await missing.close();
    const notGguf = new GgufBackend({ modelPath: path.join(path.dirname(model), "README.md") });
    expect(await code(notGguf.chat(PROMPT))).to.equal("INFERENCE_MODEL");
    await notGguf.close();
    expect(() => new GgufBackend({ modelPath: model, threads: 0 }))
      .to.throw(ChorusError)
      .with.property("code", "INFERENCE_CONFIG");
    expect(() => new GgufBackend({ modelPath: "" }))
      .to.throw(ChorusError)
      .with.property("code", "INFERENCE_CONFIG");
  });
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
