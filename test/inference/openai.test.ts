/**
 * The openai backend against a real OpenAI-compatible server: a small HTTP server started here on 127.0.0.1,
 * speaking the chat-completions wire format, answering with the real gguf backend on the test model. The
 * official `openai` SDK is pointed at the same server to show the wire format is the real one.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import express from "express";
import OpenAI from "openai";
import { ChorusError } from "../../src/core/index.js";
import {
  GgufBackend,
  OpenAIBackend,
  createInferenceBackend,
  screenAnswer,
  type ChatMessage,
} from "../../src/inference/index.js";
import { startOpenAIServer, type OpenAITestServer } from "./helpers/openai-server.js";
import { requireTestModel } from "./helpers/model.js";
import { closeStarted } from "../helpers/close.js";

const PROMPT: ChatMessage[] = [
  { role: "system", content: "You tell stories." },
  { role: "user", content: "Once upon a time, a little cat" },
];
const KEY = "sk-test-chorus";

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(ChorusError);
    return (err as ChorusError).code;
  }
  return "OK";
}

describe("inference / openai backend against a real OpenAI-compatible server", function () {
  this.timeout(60_000);
  let gguf: GgufBackend;
  let server: OpenAITestServer;

  before(async () => {
    gguf = new GgufBackend({ modelPath: requireTestModel(), threads: 1, contextSize: 2048, concurrency: 1 });
    server = await startOpenAIServer(gguf, { apiKey: KEY });
  });
  after(async () => {
    await closeStarted(server, gguf);
  });

  it("returns the model's text and the server's token usage, identical to calling gguf directly", async () => {
    const direct = await gguf.chat(PROMPT, { maxTokens: 40 });
    const remote = new OpenAIBackend({ baseUrl: server.baseUrl, apiKey: KEY, model: "stories260K" });
    const r = await remote.chat(PROMPT, { maxTokens: 40 });
    expect(r.text).to.equal(direct.text);
    expect(r.usage).to.deep.equal(direct.usage);
    expect(r.model).to.equal("stories260K");
    expect(r.finishReason).to.equal(direct.finishReason);
    expect(remote.name).to.equal("openai:stories260K");
    expect(server.bodies.at(-1)).to.deep.equal({
      model: "stories260K",
      messages: PROMPT,
      max_tokens: 40,
      temperature: 0,
      stream: false,
    });
  });

  it("the official openai SDK gets the same completion from the same server", async () => {
    const client = new OpenAI({ baseURL: server.baseUrl, apiKey: KEY });
    const sdk = await client.chat.completions.create({
      model: "stories260K",
      messages: PROMPT,
      // what SDK users still send, deprecated in the SDK's types
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      max_tokens: 40,
      temperature: 0,
    });
    const ours = await new OpenAIBackend({ baseUrl: server.baseUrl, apiKey: KEY, model: "stories260K" }).chat(PROMPT, {
      maxTokens: 40,
    });
    expect(sdk.choices[0].message.content).to.equal(ours.text);
    expect(sdk.usage?.completion_tokens).to.equal(ours.usage.completionTokens);
  });

  it("a wrong key is INFERENCE_BACKEND with the HTTP status and the server's message", async () => {
    const remote = new OpenAIBackend({ baseUrl: server.baseUrl, apiKey: "sk-wrong" });
    try {
      await remote.chat(PROMPT, { maxTokens: 5 });
      expect.fail("should throw");
    } catch (err) {
      expect((err as ChorusError).code).to.equal("INFERENCE_BACKEND");
      expect((err as ChorusError).details).to.deep.include({ status: 401, retryable: false });
      expect((err as Error).message).to.contain("Incorrect API key provided.");
    }
  });

  it("a timeout ends the request, frees the slot, and the server stops generating", async () => {
    const remote = new OpenAIBackend({ baseUrl: server.baseUrl, apiKey: KEY, concurrency: 1 });
    const aborts = server.stats.clientAborts;
    const t0 = Date.now();
    expect(await code(remote.chat(PROMPT, { maxTokens: 1900, timeoutMs: 150 }))).to.equal("INFERENCE_TIMEOUT");
    expect(Date.now() - t0).to.be.lessThan(1000);
    await waitFor(() => remote.stats().active === 0, 200);
    await waitFor(() => server.stats.clientAborts === aborts + 1 && gguf.stats().active === 0, 2000);
    const ac = new AbortController();
    const p = remote.chat(PROMPT, { maxTokens: 1900, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    expect(await code(p)).to.equal("INFERENCE_ABORTED");
    await waitFor(() => gguf.stats().active === 0, 2000);
    expect((await remote.chat(PROMPT, { maxTokens: 10 })).usage.completionTokens).to.be.greaterThan(0);
  });

  it("the judge prompts work through the HTTP backend (unparsable story -> documented default)", async () => {
    const remote = createInferenceBackend({
      kind: "openai",
      baseUrl: server.baseUrl,
      apiKey: KEY,
      model: "stories260K",
    });
    const r = await screenAnswer(remote, { question: "Is the sky blue?", answer: "Yes." }, { maxTokens: 16 });
    expect(r.raw.length).to.be.greaterThan(0);
    if (!r.parsed) expect(r.verdict).to.equal("GOOD");
  });

  describe("against misbehaving servers", () => {
    let bad: Server;
    let base: string;
    before(async () => {
      const app = express();
      app.post("/notjson/chat/completions", (_req, res) => void res.type("text/plain").send("hello"));
      app.post("/nochoices/chat/completions", (_req, res) => void res.json({ id: "x", choices: [] }));
      app.post(
        "/nousage/chat/completions",
        (_req, res) => void res.json({ choices: [{ message: { content: "hi" }, finish_reason: "stop" }] }),
      );
      app.post(
        "/busy/chat/completions",
        (_req, res) => void res.status(503).json({ error: { message: "model loading" } }),
      );
      app.post(
        "/huge/chat/completions",
        (_req, res) => void res.json({ choices: [{ message: { content: "x".repeat(3_000_000) } }] }),
      );
      bad = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => bad.once("listening", resolve));
      base = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
    });
    after(async () => {
      bad.closeAllConnections();
      await new Promise((resolve) => bad.close(resolve));
    });

    it("maps each failure to a typed error", async () => {
      const at = (p: string, extra = {}) => new OpenAIBackend({ baseUrl: `${base}/${p}`, ...extra }).chat(PROMPT);
      expect(await code(at("notjson"))).to.equal("INFERENCE_BAD_RESPONSE");
      expect(await code(at("nochoices"))).to.equal("INFERENCE_BAD_RESPONSE");
      expect(await code(at("huge", { maxResponseBytes: 1_000_000 }))).to.equal("INFERENCE_BAD_RESPONSE");
      try {
        await at("busy", { retry: { maxAttempts: 1 } });
        expect.fail("a 503 must fail");
      } catch (err) {
        expect((err as ChorusError).details).to.deep.include({ status: 503, retryable: true, attempts: 1 });
      }
      const r = await new OpenAIBackend({ baseUrl: `${base}/nousage` }).chat(PROMPT);
      expect(r).to.deep.include({ text: "hi", model: "default", finishReason: "stop" });
      expect(r.usage).to.deep.equal({ promptTokens: 0, completionTokens: 0 });
      expect(await code(new OpenAIBackend({ baseUrl: "http://127.0.0.1:1/v1" }).chat(PROMPT))).to.equal(
        "INFERENCE_BACKEND",
      );
      expect(() => new OpenAIBackend({ baseUrl: "file:///etc" }))
        .to.throw(ChorusError)
        .with.property("code", "INFERENCE_CONFIG");
    });
  });
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
