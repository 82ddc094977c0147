/**
 * The openai backend against the Chorus gateway itself (an OpenAI-compatible server of this project): three
 * nodes on 127.0.0.1 whose members answer and judge with the real gguf backend on the test model, through
 * the judge prompts of this module. The client is this module's OpenAIBackend.
 */
import { expect } from "chai";
import { GgufBackend, OpenAIBackend, mindFromBackend } from "../../src/inference/index.js";
import { createMemoryStore, roundArtifacts } from "../../src/ipfs/index.js";
import { RoundLimiter } from "../../src/node/limiter.js";
import { startHttpSwarm, type HttpSwarm } from "../helpers/http-swarm.js";
import { requireTestModel } from "./helpers/model.js";

describe("inference / openai backend against the Chorus gateway (3 nodes, real gguf minds)", function () {
  this.timeout(120_000);
  const backends: GgufBackend[] = [];
  const store = createMemoryStore();
  let swarm: HttpSwarm | undefined;
  let base = "";

  before(async () => {
    const model = requireTestModel();
    for (let i = 0; i < 3; i++) backends.push(new GgufBackend({ modelPath: model, threads: 1, contextSize: 512 }));
    swarm = await startHttpSwarm({
      n: 3,
      mind: (i) => mindFromBackend(backends[i], { judge: { maxTokens: 24 } }),
      round: {
        committeeSize: 3,
        answerTimeoutMs: 20_000,
        revealTimeoutMs: 5000,
        judgeTimeoutMs: 20_000,
        signTimeoutMs: 5000,
      },
      limiter: () => new RoundLimiter(1, 2),
      bodyLimit: "64kb",
      artifacts: roundArtifacts(store),
    });
    base = `${swarm.base}/v1`;
  });
  after(async () => {
    await swarm?.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it("gets the swarm's answer, which is the model's greedy answer, with the transcript on the store", async () => {
    const messages = [{ role: "user" as const, content: "Once upon a time, a little cat" }];
    const client = new OpenAIBackend({ baseUrl: base, model: "chorus-swarm", timeoutMs: 60_000 });
    const r = await client.chat(messages, { maxTokens: 32 });
    const direct = await backends[0].chat(messages, { maxTokens: 32 });
    expect(r.text).to.equal(direct.text);
    expect(r.model).to.equal("chorus-swarm");
    expect(store.memory.blocks.size).to.be.greaterThan(0);
  });
});
