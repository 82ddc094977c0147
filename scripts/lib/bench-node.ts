/**
 * One bench node in its own process (forked by bench-swarm.ts): a real node (startNode) with an instant fake
 * model, reporting its URL to the parent over IPC, then receiving the directory of all nodes.
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Address, type Hex } from "viem";
import { startNode } from "../../src/node/service.js";
import { createSigner } from "../../src/core/index.js";
import type { Directory, Mind, NodeEntry } from "../../src/round/ports.js";
import { countRules } from "../../test/kit/count-rules.js";
import { MemoryArtifacts, directoryOf } from "../../test/kit/memory-round.js";
import { memorySettlement } from "../../test/kit/memory-node.js";
import { TEST_DOMAIN, TEST_RECORDS } from "../../test/kit/test-domain.js";

const [key, index] = [process.argv[2] as Hex, Number(process.argv[3])];
const entries: NodeEntry[] = [];
const directory: Directory = directoryOf(entries);
const mind: Mind = {
  answer: async () => `answer ${index}`,
  compare: async ({ answerA, answerB }) => ({ outcome: answerA < answerB ? "A" : "B" }),
};
const node = await startNode(
  {
    domain: TEST_DOMAIN,
    signer: createSigner(key),
    directory,
    artifacts: new MemoryArtifacts(),
    mind,
    rules: countRules,
    records: TEST_RECORDS,
    settlement: memorySettlement(),
  },
  {
    host: "127.0.0.1",
    port: 0,
    dataDir: await mkdtemp(path.join(os.tmpdir(), `chorus-bench-${index}-`)),
    round: {
      committeeSize: 7,
      answerTimeoutMs: 5000,
      revealTimeoutMs: 5000,
      judgeTimeoutMs: 5000,
      signTimeoutMs: 5000,
    },
    epoch: { maxRounds: 20, intervalMs: 5000 },
    limits: { concurrentRounds: 16, queuedRounds: 64, bodyLimit: "256kb" },
    net: { allowPrivate: ["127.0.0.0/8"] }, // every bench node is on loopback
  },
);
process.on("message", (m: { entries?: { address: Address; endpoint: string }[]; stop?: boolean }) => {
  if (m.entries) {
    entries.push(...m.entries.map((e) => ({ ...e, stake: 10n ** 20n, reputation: 500_000 })));
    process.send!({ ready: true });
  }
  if (m.stop) void node.close().then(() => process.exit(0));
});
process.send!({ url: node.url, address: node.address });
