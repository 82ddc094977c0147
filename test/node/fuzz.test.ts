import { expect } from "chai";
import fc from "fast-check";
import { startMemorySwarm } from "../kit/memory-node.js";

/** Every endpoint a node serves, with the methods it takes. */
const ENDPOINTS: [string, string][] = [
  ["POST", "/v1/chat/completions"],
  ["POST", "/peer/v1/message"],
  ["GET", "/v1/models"],
  ["GET", "/chorus/v1/rounds"],
  ["GET", "/chorus/v1/rounds/0x00"],
  ["GET", "/health"],
];

const oddStrings = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom(
    "\u0000",
    "\uFEFF{}",
    "\uD800",
    "𝕏".repeat(100),
    "%00",
    "../../etc/passwd",
    '{"__proto__":{"x":1}}',
    "null",
    "[]",
    "1e309",
  ),
);
const jsonish = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  oddStrings,
);
const chatLike = fc.record(
  {
    model: fc.oneof(fc.string(), fc.constant("chorus-swarm"), fc.integer()),
    messages: fc.oneof(
      fc.array(
        fc.record({
          role: fc.oneof(fc.constantFrom("user", "system", "assistant"), fc.string()),
          content: fc.oneof(oddStrings, fc.integer(), fc.constant(null)),
        }),
        { maxLength: 3 },
      ),
      fc.string(),
    ),
    max_tokens: fc.oneof(fc.integer(), fc.double(), fc.string()),
    stream: fc.oneof(fc.boolean(), fc.string()),
  },
  { requiredKeys: [] },
);
const envelopeLike = fc.record(
  {
    kind: fc.oneof(
      fc.constantFrom("answer-request", "reveal-request", "judge-request", "sign-request", "commit"),
      fc.string(),
    ),
    roundId: fc.oneof(fc.stringMatching(/^0x[0-9a-f]{64}$/), fc.string()),
    from: fc.oneof(fc.stringMatching(/^0x[0-9a-f]{40}$/), fc.string()),
    body: fc.jsonValue(),
    signature: fc.oneof(fc.stringMatching(/^0x[0-9a-f]{130}$/), fc.string()),
  },
  { requiredKeys: [] },
);

describe("HTTP fuzz: every endpoint answers bad input with 4xx and a message, and keeps serving", function () {
  this.timeout(120_000);
  let swarm: Awaited<ReturnType<typeof startMemorySwarm>>;
  let base: string;
  before(async () => {
    swarm = await startMemorySwarm(3);
    base = swarm.nodes[0].url;
  });
  after(async () => swarm.close());

  async function send(method: string, path: string, body?: string, contentType = "application/json") {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { "content-type": contentType },
      body,
    });
    const text = await res.text();
    return { status: res.status, text };
  }

  function expectClientError(r: { status: number; text: string }, what: string) {
    expect(r.status, `${what} -> ${r.status} ${r.text.slice(0, 200)}`).to.be.within(400, 499);
    const parsed = JSON.parse(r.text) as { error: { message: string; code: string } };
    expect(parsed.error.message, what).to.be.a("string").and.not.equal("");
  }

  it("random bodies (JSON, non-JSON, odd unicode) to the POST endpoints", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS.filter(([m]) => m === "POST").map(([, p]) => p)),
        fc.oneof(
          jsonish,
          chatLike.map((v) => JSON.stringify(v)),
          envelopeLike.map((v) => JSON.stringify(v)),
        ),
        async (path, body) => {
          const r = await send("POST", path, body);
          // A random chat body can be valid; then it is a real round (200). Nothing may be a 5xx.
          if (r.status === 200) return;
          expectClientError(r, `POST ${path} ${body.slice(0, 80)}`);
        },
      ),
      { numRuns: 150 },
    );
    expect((await send("GET", "/health")).status).to.equal(200);
  });

  it("huge bodies, wrong content types, bad paths and replayed or invalid signatures", async () => {
    const huge = JSON.stringify({ messages: [{ role: "user", content: "x".repeat(5_000_000) }] });
    for (const path of ["/v1/chat/completions", "/peer/v1/message"]) {
      expectClientError(await send("POST", path, huge), `huge ${path}`);
      expectClientError(await send("POST", path, "<xml/>", "application/xml"), `xml ${path}`);
    }
    expectClientError(await send("GET", "/chorus/v1/rounds/0x00"), "bad round id");
    expectClientError(await send("GET", `/chorus/v1/rounds/0x${"ab".repeat(32)}`), "unknown round");
    expectClientError(await send("GET", "/chorus/v1/rounds?limit=-1"), "bad limit");
    expectClientError(await send("GET", "/nope"), "unknown route");

    // A real round, then its signed messages replayed to a member: refused, not re-executed.
    const ok = await send(
      "POST",
      "/v1/chat/completions",
      JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
    );
    expect(ok.status).to.equal(200);
    const roundId = JSON.parse(ok.text).chorus.round_id as string;
    const member = swarm.nodes[1].member as unknown as { rounds: Map<string, unknown> };
    expect(member.rounds.has(roundId)).to.equal(true);
    const index = await swarm.nodes[0].index.get(roundId);
    const transcript = await swarm.artifacts.getJson<{ requests: Record<string, unknown> }>(index!.transcriptCid);
    for (const request of Object.values(transcript.requests) as {
      kind: string;
      roundId: string;
      from: string;
      body: unknown;
      signature: string;
    }[]) {
      // In wire order (the stored transcript's keys are sorted; the peer route reads kind, roundId, from first).
      const { kind, roundId: id, from, body, signature } = request;
      const wire = JSON.stringify({ kind, roundId: id, from, body, signature });
      const r = await fetch(`${swarm.nodes[1].url}/peer/v1/message`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: wire,
      });
      expect(r.status, "a replayed request").to.equal(409);
      // Stored order (body first) is refused too, before the body is read.
      const stored = await fetch(`${swarm.nodes[1].url}/peer/v1/message`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(request),
      });
      expect(stored.status, "a replayed request in stored order").to.equal(400);
    }
    const {
      kind,
      roundId: id,
      from,
      body,
    } = transcript.requests.reveal as { kind: string; roundId: string; from: string; body: unknown };
    const tampered = { kind, roundId: id, from, body, signature: `0x${"11".repeat(65)}` };
    const r = await fetch(`${swarm.nodes[1].url}/peer/v1/message`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(tampered),
    });
    expect(r.status, "an invalid signature").to.equal(401);
    expect((await send("GET", "/health")).status).to.equal(200);
  });
});
