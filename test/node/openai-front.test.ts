/**
 * The front door as clients use it: the official `openai` SDK (plain and streaming) and `curl -N` against a real
 * 7-node gateway on 127.0.0.1. Text parts, `developer` / `tool` roles and `content: null` are accepted; `stop`,
 * `seed`, `temperature`, `top_p`, `max_tokens` reach every member's model through the query document; each
 * parameter the swarm cannot honour is refused with a 400 naming it in `param`; usage is the winner's backend
 * counts, `finish_reason` is `length` when the winner hit the cap, ids are unique per round.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import OpenAI from "openai";
import { RoundLimiter } from "../../src/node/limiter.js";
import type { Mind, MindQuery } from "../../src/round/ports.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { startHttpSwarm, type HttpSwarm } from "../helpers/http-swarm.js";
import { closeStarted } from "../helpers/close.js";

/** A member's model that reports token counts like a backend: it stops at the cap with `length`. */
function countingMind(i: number, seen: MindQuery[]): Mind {
  const base = fixedMind(`answer q${i} from node ${i}`, preferHigherQ);
  return {
    ...base,
    async answerDetailed(q, o) {
      seen.push(q);
      const text = await base.answer(q, o);
      const words = text.split(" ").length;
      const cut = q.maxTokens < words;
      return {
        text: cut ? text.split(" ").slice(0, q.maxTokens).join(" ") : text,
        usage: { promptTokens: 100 + i, completionTokens: Math.min(words, q.maxTokens) },
        finishReason: cut ? "length" : "stop",
      };
    },
  };
}

describe("OpenAI front door: the openai SDK and curl against a 7-node gateway", function () {
  this.timeout(60_000);
  let swarm: HttpSwarm;
  let client: OpenAI;
  const seen: MindQuery[][] = [];

  before(async () => {
    swarm = await startHttpSwarm({
      n: 7,
      mind: (i) => countingMind(i, (seen[i] = [])),
      round: {
        committeeSize: 7,
        answerTimeoutMs: 2000,
        revealTimeoutMs: 2000,
        judgeTimeoutMs: 2000,
        signTimeoutMs: 2000,
      },
      limiter: () => new RoundLimiter(4, 8),
    });
    client = new OpenAI({ baseURL: `${swarm.base}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  after(() => closeStarted(swarm));

  it("text parts, developer and tool roles, assistant content null: accepted; sampling parameters reach every member", async () => {
    const c = await client.chat.completions.create({
      model: "chorus-swarm",
      messages: [
        { role: "developer", content: [{ type: "text", text: "Be brief." }] },
        {
          role: "user",
          content: [
            { type: "text", text: "What is the weather?" },
            { type: "text", text: "In Paris." },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
      ],
      stop: ["\n\n"],
      // the gateway keeps accepting what clients still send, deprecated in the SDK's types or not
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      seed: 7,
      temperature: 0.5,
      top_p: 0.9,
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      max_tokens: 50,
    });
    expect(c.choices[0].message.content).to.equal("answer q6 from node 6");
    expect(c.choices[0].finish_reason).to.equal("stop");
    for (let i = 0; i < 7; i++) {
      const q = seen[i].at(-1)!;
      expect(q.params, `member ${i}`).to.deep.equal({ temperature: 0.5, topP: 0.9, seed: 7, stop: ["\n\n"] });
      expect(q.maxTokens).to.equal(50);
      expect(q.messages.map((m) => m.role)).to.deep.equal(["system", "user", "assistant", "user"]);
      expect(q.messages[1].content).to.equal("What is the weather?\nIn Paris.");
      expect(q.messages[2].content).to.contain('weather({"city":"Paris"})');
      expect(q.messages[3].content).to.equal("Tool result (call_1):\nsunny");
    }
    // usage: the winner's (node 6) own counts; chorus.usage: the committee's
    expect(c.usage).to.deep.equal({ prompt_tokens: 106, completion_tokens: 5, total_tokens: 111 });
    const chorus = (c as unknown as { chorus: Record<string, any> }).chorus;
    expect(chorus.usage).to.deep.equal({
      prompt_tokens: 721,
      completion_tokens: 35,
      total_tokens: 756,
      reported_by: 7,
    });
    expect(c.id).to.equal(`chatcmpl-${chorus.round_id.slice(2)}`);
  });

  it("finish_reason is length when the winning answer hit max_tokens; each round has its own id", async () => {
    const a = await client.chat.completions.create({
      model: "chorus-swarm",
      messages: [{ role: "user", content: "hi" }],
      max_completion_tokens: 3,
    });
    expect(a.choices[0].finish_reason).to.equal("length");
    expect(a.usage?.completion_tokens).to.equal(3);
    const b = await client.chat.completions.create({
      model: "chorus-swarm",
      messages: [{ role: "user", content: "hi" }],
      // the deprecated spelling, which clients still send, is honoured too
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      max_tokens: 3,
    });
    expect(b.id).to.not.equal(a.id);
  });

  it("GET /v1/models/{id}; an unknown model is 404 model_not_found with param model", async () => {
    expect((await client.models.retrieve("chorus-swarm")).id).to.equal("chorus-swarm");
    const err = await client.models.retrieve("gpt-4o").catch((e) => e);
    expect(err).to.be.instanceOf(OpenAI.NotFoundError);
    expect(err.code).to.equal("model_not_found");
    const err2 = await client.chat.completions
      .create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] })
      .catch((e) => e);
    expect(err2).to.be.instanceOf(OpenAI.NotFoundError);
    expect([err2.code, err2.param]).to.deep.equal(["model_not_found", "model"]);
  });

  const user = [{ role: "user" as const, content: "hi" }];
  const refused: [string, Record<string, unknown>][] = [
    ["tools", { tools: [{ type: "function", function: { name: "f", parameters: {} } }] }],
    ["tool_choice", { tool_choice: "required" }],
    ["functions", { functions: [{ name: "f" }] }],
    ["response_format", { response_format: { type: "json_object" } }],
    ["n", { n: 2 }],
    ["logprobs", { logprobs: true }],
    ["presence_penalty", { presence_penalty: 0.5 }],
    ["logit_bias", { logit_bias: { "50256": -100 } }],
    ["audio", { audio: { voice: "alloy", format: "wav" } }],
    [
      "messages[0].content[1].type",
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "what is this?" },
              { type: "image_url", image_url: { url: "https://x/y.png" } },
            ],
          },
        ],
      },
    ],
    [
      "messages[0].content[0].type",
      {
        messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] }],
      },
    ],
    ["messages[0].content", { messages: [{ role: "user", content: null }] }],
    [
      "messages[1].tool_call_id",
      {
        messages: [
          { role: "user", content: "hi" },
          { role: "tool", content: "x" },
        ],
      },
    ],
  ];
  for (const [param, extra] of refused) {
    it(`refuses ${param} with a 400 naming it in param`, async () => {
      const before = seen[0].length;
      const err = await client.chat.completions
        .create({ model: "chorus-swarm", messages: user, ...extra } as never)
        .catch((e) => e);
      expect(err, String(err)).to.be.instanceOf(OpenAI.BadRequestError);
      expect(err.param).to.equal(param);
      expect(err.error.type).to.equal("invalid_request_error");
      expect(seen[0].length, "no member ran").to.equal(before);
    });
  }

  it("stream: the SDK gets the role chunk, the answer, a final chunk with finish_reason and chorus, the usage chunk", async () => {
    const stream = await client.chat.completions.create({
      model: "chorus-swarm",
      messages: [{ role: "user", content: [{ type: "text", text: "Tell me a story." }] }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: any[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0].choices[0].delta.role).to.equal("assistant");
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).to.equal("answer q6 from node 6");
    const final = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(final.choices[0].finish_reason).to.equal("stop");
    expect(final.chorus.round_id).to.match(/^0x[0-9a-f]{64}$/);
    expect(final.chorus.transcript_cid).to.match(/^bagu/);
    const last = chunks.at(-1);
    expect(last.choices).to.deep.equal([]);
    expect(last.usage).to.deep.equal({ prompt_tokens: 106, completion_tokens: 5, total_tokens: 111 });
    expect(new Set(chunks.map((c) => c.id)).size).to.equal(1);
  });

  it("stream over curl -N: text/event-stream, a progress comment, data chunks, then [DONE]", async () => {
    const body = JSON.stringify({ model: "chorus-swarm", messages: [{ role: "user", content: "hi" }], stream: true });
    const curl = spawn(
      "curl",
      ["-sN", "-i", "-H", "content-type: application/json", "-d", body, `${swarm.base}/v1/chat/completions`],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    curl.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => curl.kill("SIGKILL"), 20_000);
      curl.on("close", (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code).to.equal(0);
    expect(out).to.match(/content-type: text\/event-stream/i);
    expect(out).to.contain(": chorus: round started");
    const events = out
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => l.slice(6));
    expect(events.at(-1)).to.equal("[DONE]");
    const parsed = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(parsed[0].choices[0].delta.role).to.equal("assistant");
    expect(parsed.at(-1).chorus.transcript_cid).to.match(/^bagu/);
  });

  it("a validation error on a stream request is a plain 400 before any event", async () => {
    const err = await client.chat.completions
      .create({ model: "chorus-swarm", messages: user, stream: true, n: 3 })
      .catch((e) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect(err.param).to.equal("n");
  });
});

describe("stream: a client that disconnects aborts its round", function () {
  this.timeout(60_000);
  let swarm: HttpSwarm;

  before(async () => {
    swarm = await startHttpSwarm({
      n: 7,
      mind: (i) => {
        const base = fixedMind(`answer q${i} from node ${i}`, preferHigherQ);
        return { ...base, answer: async (q, o) => (await new Promise((r) => setTimeout(r, 800)), base.answer(q, o)) };
      },
      round: {
        committeeSize: 7,
        answerTimeoutMs: 3000,
        revealTimeoutMs: 3000,
        judgeTimeoutMs: 3000,
        signTimeoutMs: 3000,
      },
      // one round at a time, none queued: a round left running would refuse the next query with 503
      limiter: () => new RoundLimiter(1, 0),
    });
  });
  after(() => closeStarted(swarm));

  it("closing the stream after the role chunk frees the node's only round slot at once", async () => {
    const client = new OpenAI({ baseURL: `${swarm.base}/v1`, apiKey: "unused", maxRetries: 0 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "chorus-swarm", messages: [{ role: "user", content: "hi" }], stream: true },
      { signal: controller.signal },
    );
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect((first.value as { choices: { delta: { role?: string } }[] }).choices[0].delta.role).to.equal("assistant");
    controller.abort();
    await new Promise((r) => setTimeout(r, 100));
    const c = await client.chat.completions.create({
      model: "chorus-swarm",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(c.choices[0].message.content).to.equal("answer q6 from node 6");
  });
});
