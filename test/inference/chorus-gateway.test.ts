/**
 * The openai backend against the Chorus gateway itself (an OpenAI-compatible server of this project): three
 * nodes on 127.0.0.1 whose members answer and judge with the real gguf backend on the test model, through
 * the judge prompts of this module. The client is this module's OpenAIBackend.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { encodePacked, keccak256, type Address } from "viem";
import { GgufBackend, OpenAIBackend, mindFromBackend } from "../../src/inference/index.js";
import { createMemoryStore, roundArtifacts } from "../../src/ipfs/index.js";
import { createNodeApp } from "../../src/node/app.js";
import { RoundLimiter } from "../../src/node/limiter.js";
import { httpPeers } from "../../src/node/peers-http.js";
import { Coordinator } from "../../src/round/coordinator.js";
import { Member } from "../../src/round/member.js";
import type { NodeEntry } from "../../src/round/ports.js";
import type { Transcript } from "../../src/round/transcript.js";
import { countRules } from "../helpers/count-rules.js";
import { directoryOf, makeSigners } from "../helpers/memory-round.js";
import { requireTestModel } from "./helpers/model.js";

const domain = { chainId: 31337, registry: "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0" as Address };
const records = { digest: (t: Transcript, cid: string) => keccak256(encodePacked(["bytes32", "string"], [t.roundId, cid])) };

describe("inference / openai backend against the Chorus gateway (3 nodes, real gguf minds)", function () {
  this.timeout(120_000);
  const servers: Server[] = [];
  const backends: GgufBackend[] = [];
  const store = createMemoryStore();
  let base = "";

  before(async () => {
    const model = requireTestModel();
    const signers = makeSigners(3);
    const nodes: NodeEntry[] = [];
    const directory = directoryOf(nodes);
    const artifacts = roundArtifacts(store);
    for (const signer of signers) {
      const backend = new GgufBackend({ modelPath: model, threads: 1, contextSize: 512 });
      backends.push(backend);
      const mind = mindFromBackend(backend, { judge: { maxTokens: 24 } });
      const member = new Member({ domain, signer, directory, artifacts, rules: countRules, records, mind });
      const coordinator = new Coordinator(
        { domain, signer, directory, peers: httpPeers(), artifacts, rules: countRules, records, settle: async () => {} },
        { committeeSize: 3, answerTimeoutMs: 20_000, revealTimeoutMs: 5000, judgeTimeoutMs: 20_000, signTimeoutMs: 5000 },
      );
      const limiter = new RoundLimiter(1, 2);
      const app = createNodeApp({
        address: signer.address,
        member,
        gateway: { ask: (q, o) => limiter.run(() => coordinator.run(q, o)), settlementStatus: async () => "queued", bodyLimit: "64kb" },
      });
      const server = app.listen(0, "127.0.0.1");
      await new Promise((r) => server.once("listening", r));
      servers.push(server);
      nodes.push({ address: signer.address, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stake: 10n ** 20n, reputation: 500_000 });
    }
    base = `${nodes[0].endpoint}/v1`;
  });
  after(async () => {
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
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
