import { expect } from "chai";
import OpenAI from "openai";
import { RoundLimiter } from "../../src/node/limiter.js";
import { newRoundId } from "../kit/round-id.js";
import { fixedMind } from "../kit/memory-round.js";
import { startHttpSwarm, type HttpSwarm } from "../helpers/http-swarm.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { closeStarted } from "../helpers/close.js";

describe("gateway over HTTP (7 nodes on 127.0.0.1)", function () {
  let swarm: HttpSwarm;
  let base = "";

  before(async () => {
    swarm = await startHttpSwarm({
      n: 7,
      mind: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
      round: {
        committeeSize: 7,
        answerTimeoutMs: 2000,
        revealTimeoutMs: 2000,
        judgeTimeoutMs: 2000,
        signTimeoutMs: 2000,
      },
      limiter: () => new RoundLimiter(2, 2),
      bodyLimit: "16kb",
    });
    base = swarm.base;
  });
  after(() => closeStarted(swarm));

  it("the openai npm client gets the swarm's winning answer, with the chorus object", async () => {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused" });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).to.deep.equal(["chorus-swarm"]);
    const completion = await client.chat.completions.create({
      model: "chorus-swarm",
      messages: [{ role: "user", content: "Tell me a story." }],
    });
    expect(completion.choices[0].message.content).to.equal("answer q6 from node 6");
    const chorus = (completion as unknown as { chorus: Record<string, any> }).chorus;
    expect(chorus.round_id).to.match(/^0x[0-9a-f]{64}$/);
    expect(chorus.transcript_cid).to.match(/^bagu/);
    expect(chorus.committee_size).to.equal(7);
    expect(chorus.signatures).to.equal(7);
    expect(chorus.settlement).to.equal("queued");
  });

  const bad: [string, string | object, number, RegExp][] = [
    ["malformed JSON", "{not json", 400, /body is not valid JSON/],
    ["no messages", { messages: [] }, 400, /messages: must hold at least one message/],
    [
      "a wrong type",
      { messages: [{ role: "user", content: 5 }] },
      400,
      /messages\[0\].content: must be a string or an array of content parts/,
    ],
    [
      "an unknown role",
      { messages: [{ role: "wizard", content: "hi" }] },
      400,
      /messages\[0\].role: must be system, developer, user, assistant or tool/,
    ],
    [
      "an unknown model",
      { model: "gpt-4", messages: [{ role: "user", content: "hi" }] },
      404,
      /The model 'gpt-4' does not exist/,
    ],
    ["a body over the limit", { messages: [{ role: "user", content: "x".repeat(20_000) }] }, 413, /exceeds the limit/],
    ["a bad max_tokens", { messages: [{ role: "user", content: "hi" }], max_tokens: -3 }, 400, /max_tokens/],
  ];
  for (const [what, body, status, message] of bad) {
    it(`rejects ${what} with ${status} and a message, and keeps serving`, async () => {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      expect(res.status).to.equal(status);
      const json = (await res.json()) as { error: { message: string } };
      expect(json.error.message).to.match(message);
      expect((await fetch(`${base}/health`)).status).to.equal(200);
    });
  }

  it("peer route: a garbage envelope is refused with 400, one for an unknown round with 404, an unsigned one with 401", async () => {
    let res = await fetch(`${base}/peer/v1/message`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ hello: 1 }),
    });
    expect(res.status).to.equal(400);
    const forged = {
      kind: "reveal-request",
      roundId: `0x${"11".repeat(32)}`,
      from: "0x1111111111111111111111111111111111111111",
      body: { commitments: {} },
      signature: `0x${"22".repeat(65)}`,
    };
    res = await fetch(`${base}/peer/v1/message`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(forged),
    });
    expect(res.status).to.equal(404);
    // Claiming to be an active node coordinating a fresh round gets as far as the signature check.
    const active = swarm.nodes[1].address;
    const unsigned = {
      kind: "answer-request",
      roundId: newRoundId(active),
      from: active,
      body: {},
      signature: `0x${"22".repeat(65)}`,
    };
    res = await fetch(`${base}/peer/v1/message`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(unsigned),
    });
    expect(res.status).to.equal(401);
  });
});
