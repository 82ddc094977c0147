/**
 * The gateway is not an open tap: with `gateway.apiKeys` a query needs `Authorization: Bearer` with a key whose
 * SHA-256 is configured (401 otherwise, in OpenAI's error shape, before any member runs); per-key and per-IP
 * token buckets answer 429 with Retry-After; the key check compares digests with crypto.timingSafeEqual.
 */
import { expect } from "chai";
import crypto from "node:crypto";
import OpenAI from "openai";
import { RoundLimiter } from "../../src/node/limiter.js";
import { accessControl, hashApiKey, keyMatches, readKeyHashes } from "../../src/node/openai/access.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { startHttpSwarm, type HttpSwarm } from "../helpers/http-swarm.js";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { closeStarted } from "../helpers/close.js";

describe("gateway access: API keys and per-client rate limits", function () {
  this.timeout(60_000);
  let swarm: HttpSwarm;
  let answered = 0;
  const KEY = "sk-chorus-test-key-1";
  const OTHER = "sk-chorus-test-key-2";

  before(async () => {
    swarm = await startHttpSwarm({
      n: 7,
      mind: (i) => {
        const m = fixedMind(`answer q${i} from node ${i}`, preferHigherQ);
        return { ...m, answer: async (q, o) => (answered++, m.answer(q, o)) };
      },
      round: {
        committeeSize: 7,
        answerTimeoutMs: 2000,
        revealTimeoutMs: 2000,
        judgeTimeoutMs: 2000,
        signTimeoutMs: 2000,
      },
      limiter: () => new RoundLimiter(4, 8),
      access: {
        keyHashes: [hashApiKey(KEY), hashApiKey(OTHER)],
        perKey: { perSecond: 0.2, burst: 2 },
        perIp: { perSecond: 0.5, burst: 8 },
      },
    });
  });
  after(() => closeStarted(swarm));

  const ask = (apiKey: string) =>
    new OpenAI({ baseURL: `${swarm.base}/v1`, apiKey, maxRetries: 0 }).chat.completions.create({
      model: "chorus-swarm",
      messages: [{ role: "user", content: "hi" }],
    });

  it("no key or a wrong key: 401 invalid_api_key, and no member ran", async () => {
    const before = answered;
    const res = await fetch(`${swarm.base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).to.equal(401);
    expect((await res.json()).error).to.deep.include({
      type: "invalid_request_error",
      code: "invalid_api_key",
      param: null,
    });
    const err = await ask("sk-wrong").catch((e) => e);
    expect(err).to.be.instanceOf(OpenAI.AuthenticationError);
    expect(err.code).to.equal("invalid_api_key");
    expect(answered).to.equal(before);
  });

  it("a configured key is served; past its burst it gets 429 rate_limit_exceeded with Retry-After, another key still works", async () => {
    expect((await ask(KEY)).choices[0].message.content).to.equal("answer q6 from node 6");
    await ask(KEY);
    const res = await fetch(`${swarm.base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).to.equal(429);
    expect(Number(res.headers.get("retry-after"))).to.be.within(1, 5);
    expect((await res.json()).error).to.deep.include({ type: "requests", code: "rate_limit_exceeded" });
    expect((await ask(OTHER)).choices[0].message.content).to.equal("answer q6 from node 6");
  });

  it("per IP: guessing keys from one address runs out of tokens too (429 before the key check)", async () => {
    let status = 0;
    for (let i = 0; i < 20 && status !== 429; i++)
      status = (await fetch(`${swarm.base}/v1/models`, { headers: { authorization: `Bearer guess-${i}` } })).status;
    expect(status).to.equal(429);
  });

  it("the key check hashes and compares with crypto.timingSafeEqual against every configured hash", () => {
    const hashes = [hashApiKey("a"), hashApiKey(KEY), hashApiKey("b")].map((h) => Buffer.from(h, "hex"));
    const calls: number[] = [];
    const original = crypto.timingSafeEqual;
    // count the constant-time comparisons (node:crypto's export object is shared with the module under test)
    (crypto as { timingSafeEqual: typeof original }).timingSafeEqual = (a, b) => (calls.push(1), original(a, b));
    try {
      expect(keyMatches(KEY, hashes)).to.equal(true);
      expect(calls.length, "no early exit on a match").to.equal(3);
      expect(keyMatches("nope", hashes)).to.equal(false);
      expect(calls.length).to.equal(6);
    } finally {
      (crypto as { timingSafeEqual: typeof original }).timingSafeEqual = original;
    }
  });

  it("keys file: one hash per line with comments; a plaintext key in it is refused; no keys means open", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-keys-"));
    try {
      const file = path.join(dir, "keys");
      await writeFile(file, `# team A\n${hashApiKey(KEY)}\n\n${hashApiKey(OTHER)}  # ci\n`);
      expect(readKeyHashes(file)).to.deep.equal([hashApiKey(KEY), hashApiKey(OTHER)]);
      await writeFile(file, `${KEY}\n`);
      expect(() => readKeyHashes(file)).to.throw(/entry 1 is not a SHA-256 hex hash/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(accessControl({}).open).to.equal(true);
    expect(accessControl({ keyHashes: [hashApiKey(KEY)] }).open).to.equal(false);
  });
});

describe("gateway access: a refusal is held, so a client that ignores Retry-After cannot spin the node", function () {
  this.timeout(20_000);
  let server: import("node:http").Server;
  let base = "";
  let sent = 0;
  before(async () => {
    const express = (await import("express")).default;
    const app = express();
    app.use(accessControl({ perIp: { perSecond: 0.01, burst: 1 }, holdRefusalsMs: 400 }).handler);
    app.get("/x", (_req, res) => void res.json({ ok: true }));
    // express tells an error handler by its four parameters, so `_next` stays though unused
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    app.use((err: { message: string }, _req: unknown, res: import("express").Response, _next: unknown) => {
      sent++;
      res.status(429).json({ error: err.message });
    });
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("the first request passes; a refused one answers 429 with Retry-After only after the hold", async () => {
    expect((await fetch(`${base}/x`)).status).to.equal(200);
    const t0 = performance.now();
    const res = await fetch(`${base}/x`);
    const took = performance.now() - t0;
    expect(res.status).to.equal(429);
    expect(Number(res.headers.get("retry-after"))).to.be.at.least(1);
    expect(took, "held for holdRefusalsMs").to.be.at.least(380);
  });

  it("a client that goes away during the hold is dropped: no refusal is sent after it left, and the server keeps serving", async () => {
    const before = sent;
    const ac = new AbortController();
    const pending = fetch(`${base}/x`, { signal: ac.signal }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    expect(await pending).to.be.instanceOf(Error);
    await new Promise((r) => setTimeout(r, 600));
    expect(sent, "the held refusal was cancelled").to.equal(before);
    expect((await fetch(`${base}/x`)).status).to.equal(429);
  });
});
