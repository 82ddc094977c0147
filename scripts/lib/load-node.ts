/**
 * One node of the load bench, in its own process (forked by load-swarm.ts): a real node (startNode) with the
 * production consensus rules, the production artifact store (Helia on disk, `embedded`, unless the parent
 * asks for `memory`), the node's default admission limits, and an instant deterministic model. It reports
 * its URL over IPC, then receives the directory of all nodes; on `{ rss: true }` it answers its resident set
 * size, on `{ stop: true }` it closes and exits.
 *
 * argv: <private key> <index> <concurrentRounds> <queuedRounds> <ipfs mode> <queueWaitMs> <perIpPerSecond (0 = off)>
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Address, type Hex } from "viem";
import { z } from "zod";
import { openArtifactStore, roundArtifacts } from "../../src/ipfs/index.js";
import { productionRules } from "../../src/protocol/index.js";
import { startNode, type QueuedRound } from "../../src/node/service.js";
import { createSigner } from "../../src/core/index.js";
import type { Directory, Mind, NodeEntry } from "../../src/round/ports.js";
import type { SettlementPort } from "../../src/settlement/index.js";
import { directoryOf } from "../../test/kit/memory-round.js";
import { createLogger, installProcessGuards, LOG_LEVELS } from "../../src/obs/index.js";
import { TEST_DOMAIN, TEST_RECORDS } from "../../test/kit/test-domain.js";

const Args = z.tuple([
  z.string().regex(/^0x[0-9a-f]{64}$/i, "must be a 32-byte hex private key"),
  z.coerce.number().int().min(0),
  z.coerce.number().int().min(1),
  z.coerce.number().int().min(0),
  z.enum(["embedded", "memory"]),
  z.coerce.number().int().min(1),
  z.coerce.number().min(0),
]);
const [key, index, concurrentRounds, queuedRounds, ipfsMode, queueWaitMs, perIpPerSecond] = Args.parse(
  process.argv.slice(2),
);
// JSON log lines on stderr (LOAD_NODE_LOG_LEVEL, default error); a fault the node survives is logged, never fatal.
const logger = createLogger({
  level: z.enum(LOG_LEVELS).default("error").parse(process.env.LOAD_NODE_LOG_LEVEL),
  base: { loadNode: index },
});
const faults: { count: (kind: string) => void } = { count: () => {} };
installProcessGuards(logger, (kind) => faults.count(kind));

const entries: NodeEntry[] = [];
const directory: Directory = directoryOf(entries);
// The model answers at once and deterministically: the load is on the protocol, the gateway and the store.
const mind: Mind = {
  answer: async () => `answer ${index}`,
  compare: async ({ answerA, answerB }) => ({ outcome: answerA < answerB ? "A" : "B" }),
};
// Settlement goes nowhere (no chain here): epochs are accepted as they come, as a chain would.
const settled = new Set<string>();
const settlement: SettlementPort<QueuedRound> = {
  settledOnChain: async (ids) => new Set(ids.filter((i) => settled.has(i))),
  submitEpoch: async (items) => {
    for (const i of items) settled.add(i.roundId);
    return { txHash: `0x${"ab".repeat(32)}` };
  },
};
const dataDir = await mkdtemp(path.join(os.tmpdir(), `chorus-load-${index}-`));
const store = await openArtifactStore({ mode: ipfsMode }, { dataDir });
const node = await startNode(
  {
    domain: TEST_DOMAIN,
    signer: createSigner(key as Hex),
    directory,
    artifacts: roundArtifacts(store),
    mind,
    rules: productionRules(),
    records: TEST_RECORDS,
    settlement,
    onClose: () => store.close(),
  },
  {
    host: "127.0.0.1",
    port: 0,
    dataDir,
    round: {
      committeeSize: 7,
      answerTimeoutMs: 10_000,
      revealTimeoutMs: 10_000,
      judgeTimeoutMs: 10_000,
      signTimeoutMs: 10_000,
    },
    epoch: { maxRounds: 20, intervalMs: 5000 },
    limits: { concurrentRounds, queuedRounds, queueWaitMs, bodyLimit: "256kb" },
    net: { allowPrivate: ["127.0.0.0/8"] }, // every node is on loopback
    // the gateway's per-client-IP bucket as a node's config sets it by default (burst = 2 s of rate)
    access:
      perIpPerSecond > 0
        ? { perIp: { perSecond: perIpPerSecond, burst: Math.max(1, Math.round(2 * perIpPerSecond)) } }
        : undefined,
    logger,
    shutdownMs: 10_000,
  },
);
faults.count = (kind) => node.metrics.faults.inc({ kind });
process.on("message", (m: { entries?: { address: Address; endpoint: string }[]; stop?: boolean; rss?: boolean }) => {
  if (m.entries) {
    entries.push(...m.entries.map((e) => ({ ...e, stake: 10n ** 20n, reputation: 500_000 })));
    process.send!({ ready: true });
  }
  if (m.rss) process.send!({ rss: process.memoryUsage.rss() });
  if (m.stop) {
    void node
      .close()
      .then(() => rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }))
      .then(() => process.exit(0));
  }
});
process.send!({ url: node.url, address: node.address });
