/**
 * The openai backend's retries against real HTTP servers on 127.0.0.1: a rate limit (429 with Retry-After)
 * then an answer, a server that keeps answering 503 until the member's deadline, a Retry-After beyond the
 * deadline, and a 400 that is never retried. Each server records when every request arrived.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { ChorusError } from "../../src/core/index.js";
import { OpenAIBackend, type ChatMessage } from "../../src/inference/index.js";
import { backoffMs, DEFAULT_RETRY, nextWait, retryAfterMs } from "../../src/inference/retry.js";

const PROMPT: ChatMessage[] = [{ role: "user", content: "hello" }];
const OK = JSON.stringify({
  model: "m",
  choices: [{ message: { content: "hi there" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 2 },
});

interface Scripted {
  url: string;
  hits: number[];
  close(): Promise<void>;
}

/** A server whose n-th reply (0-based) is `reply(n)`; records each request's arrival time. */
async function scripted(
  reply: (n: number) => { status: number; headers?: Record<string, string>; body: string },
): Promise<Scripted> {
  const hits: number[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const r = reply(hits.length);
      hits.push(Date.now());
      res.writeHead(r.status, { "content-type": "application/json", ...r.headers });
      res.end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function failure(p: Promise<unknown>): Promise<ChorusError> {
  try {
    await p;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(ChorusError);
    return err as ChorusError;
  }
  throw new Error("expected a failure");
}

describe("inference / openai backend retries 429 and 5xx within the deadline", function () {
  this.timeout(30_000);

  it("waits the Retry-After of a 429, then returns the answer of the retry", async () => {
    const s = await scripted((n) =>
      n === 0
        ? { status: 429, headers: { "retry-after": "1" }, body: JSON.stringify({ error: { message: "rate limited" } }) }
        : { status: 200, body: OK },
    );
    const lines: string[] = [];
    try {
      const t0 = Date.now();
      const r = await new OpenAIBackend({ baseUrl: s.url, log: (l) => lines.push(l), timeoutMs: 10_000 }).chat(PROMPT);
      expect(r).to.deep.include({ text: "hi there", model: "m", finishReason: "stop" });
      expect(s.hits).to.have.length(2);
      // Retry-After: 1 is honoured (not the 250 ms first backoff)
      expect(s.hits[1] - s.hits[0]).to.be.at.least(950);
      expect(Date.now() - t0).to.be.lessThan(5000);
      expect(lines.join("\n")).to.match(/HTTP 429, attempt 1; trying again in 1000 ms \(Retry-After\)/);
    } finally {
      await s.close();
    }
  });

  it("keeps retrying a 503 with growing waits, and gives up before the deadline with the attempts made", async () => {
    const s = await scripted(() => ({ status: 503, body: JSON.stringify({ error: { message: "overloaded" } }) }));
    try {
      const t0 = Date.now();
      const backend = new OpenAIBackend({
        baseUrl: s.url,
        timeoutMs: 3000,
        retry: { maxAttempts: 50, baseDelayMs: 100, maxDelayMs: 5000 },
      });
      const err = await failure(backend.chat(PROMPT));
      const took = Date.now() - t0;
      expect(err.code).to.equal("INFERENCE_BACKEND");
      expect(err.details).to.deep.include({ status: 503, retryable: true });
      expect(err.message).to.match(/gave up after \d+ attempt\(s\): the next try .* would end past the deadline/);
      expect(took, "stops within the member's deadline").to.be.lessThan(3000);
      expect(s.hits.length).to.be.at.least(3);
      expect(err.details.attempts).to.equal(s.hits.length);
      // exponential: the last gap is longer than the first (jitter keeps each in [50%, 100%] of 100 * 2^k)
      const gaps = s.hits.slice(1).map((t, i) => t - s.hits[i]);
      expect(gaps[gaps.length - 1]).to.be.greaterThan(gaps[0]);
    } finally {
      await s.close();
    }
  });

  it("does not start a Retry-After wait that ends past the deadline; never retries a 400", async () => {
    const s = await scripted((n) =>
      n < 100 ? { status: 429, headers: { "retry-after": "60" }, body: "{}" } : { status: 200, body: OK },
    );
    try {
      const t0 = Date.now();
      const err = await failure(new OpenAIBackend({ baseUrl: s.url, timeoutMs: 5000 }).chat(PROMPT));
      expect(Date.now() - t0).to.be.lessThan(1000);
      expect(err.details).to.deep.include({ status: 429, attempts: 1, retryAfterMs: 60_000 });
      expect(s.hits).to.have.length(1);
    } finally {
      await s.close();
    }
    const bad = await scripted(() => ({ status: 400, body: JSON.stringify({ error: { message: "bad request" } }) }));
    try {
      const err = await failure(new OpenAIBackend({ baseUrl: bad.url, timeoutMs: 5000 }).chat(PROMPT));
      expect(err.details).to.deep.include({ status: 400, retryable: false, attempts: 1 });
      expect(bad.hits).to.have.length(1);
    } finally {
      await bad.close();
    }
  });

  it("an abort during a backoff wait ends the request at once", async () => {
    const s = await scripted(() => ({ status: 502, headers: { "retry-after": "5" }, body: "{}" }));
    try {
      const ac = new AbortController();
      const t0 = Date.now();
      setTimeout(() => ac.abort(), 200);
      const err = await failure(
        new OpenAIBackend({ baseUrl: s.url, timeoutMs: 20_000 }).chat(PROMPT, { signal: ac.signal }),
      );
      expect(err.code).to.equal("INFERENCE_ABORTED");
      expect(Date.now() - t0).to.be.lessThan(1000);
      expect(s.hits).to.have.length(1);
    } finally {
      await s.close();
    }
  });

  it("reads Retry-After as seconds, an HTTP date or retry-after-ms; backoff doubles and is capped", () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(retryAfterMs(h({ "retry-after": "2" }))).to.equal(2000);
    expect(retryAfterMs(h({ "retry-after-ms": "350", "retry-after": "2" }))).to.equal(350);
    const now = Date.parse("2026-12-07T12:00:00Z");
    expect(retryAfterMs(h({ "retry-after": "Mon, 07 Dec 2026 12:00:03 GMT" }), now)).to.equal(3000);
    expect(retryAfterMs(h({ "retry-after": "soon" }))).to.equal(undefined);
    expect(retryAfterMs(h({}))).to.equal(undefined);
    const p = { ...DEFAULT_RETRY, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(a, p, () => 1))).to.deep.equal([250, 500, 1000, 1000, 1000]);
    expect(backoffMs(2, p, () => 0)).to.equal(250);
    expect(nextWait(6, DEFAULT_RETRY, undefined, undefined)).to.have.property("stop", "attempts");
    expect(nextWait(1, DEFAULT_RETRY, 2000, now + 1000, now)).to.deep.equal({ stop: "deadline", waitMs: 2000 });
    expect(nextWait(1, DEFAULT_RETRY, 500, now + 10_000, now)).to.deep.equal({ waitMs: 500 });
  });
});
