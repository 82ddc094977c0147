/**
 * One member node in its own process, for the replay-after-restart test (replay-restart.test.ts, started by
 * startProcessSwarm in test/helpers/http-swarm.ts): a real node (startNode: HTTP on 127.0.0.1, its round journal
 * under `dataDir`) over a memory chain that every process and the test read alike (chainDirectoryOf: block
 * hashes derived from the number, a fixed latest block; each coordinator's last closed sequence as the parent says
 * the chain holds it). It reports its URL over IPC; the parent stops it by its PID (SIGKILL: a crash, or
 * `{ stop: true }`: a clean close) and starts it again on the same data directory; `{ closed }` moves its chain on.
 *
 * argv[2]: JSON { key, index, dataDir, latestBlock, closed: { coordinator: last closed seq }, entries: [{ address, stake, reputation }], limits }
 */
import { z } from "zod";
import type { Address, Hex } from "viem";
import { startNode } from "../../src/node/service.js";
import { createSigner } from "../../src/core/index.js";
import type { NodeEntry } from "../../src/round/ports.js";
import { countingMind, chainDirectoryOf, LimitedArtifacts, LOOPBACK } from "../helpers/peer-swarm.js";
import { TEST_DOMAIN, TEST_RECORDS, memorySettlement } from "../kit/memory-node.js";
import { countRules } from "../kit/count-rules.js";

const hex = (n: number) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${n}}$`));
const Config = z.object({
  key: hex(64),
  index: z.number().int().min(0),
  dataDir: z.string().min(1),
  latestBlock: z.string().regex(/^\d+$/),
  closed: z.record(hex(40), z.string().regex(/^\d+$/)),
  entries: z.array(
    z.object({
      address: hex(40),
      stake: z.string().regex(/^\d+$/),
      reputation: z.number().int().min(0).max(1_000_000),
    }),
  ),
  limits: z.record(z.string(), z.number()),
});
const cfg = Config.parse(JSON.parse(process.argv[2]));

const entries: NodeEntry[] = cfg.entries.map((e) => ({
  address: e.address as Address,
  endpoint: "http://127.0.0.1:9",
  stake: BigInt(e.stake),
  reputation: e.reputation,
}));
const closed: Record<string, bigint> = Object.fromEntries(
  Object.entries(cfg.closed).map(([c, s]) => [c.toLowerCase(), BigInt(s)]),
);
// The memory chain: its latest block and each coordinator's last closed sequence (Settlement.batchOf's lastSeq).
const directory = chainDirectoryOf(entries, { latest: BigInt(cfg.latestBlock), closed });
const counts = { answer: 0, compare: 0, screen: 0 };
const node = await startNode(
  {
    domain: TEST_DOMAIN,
    signer: createSigner(cfg.key as Hex),
    directory,
    blockHash: directory.blockHash,
    artifacts: new LimitedArtifacts(),
    mind: countingMind(cfg.index, counts),
    rules: countRules,
    records: TEST_RECORDS,
    settlement: memorySettlement(),
    limits: cfg.limits,
  },
  {
    host: "127.0.0.1",
    port: 0,
    dataDir: cfg.dataDir,
    round: {
      committeeSize: entries.length,
      answerTimeoutMs: 3000,
      revealTimeoutMs: 3000,
      judgeTimeoutMs: 3000,
      signTimeoutMs: 3000,
    },
    epoch: { maxRounds: 5, intervalMs: 60_000 },
    limits: { concurrentRounds: 4, queuedRounds: 8, bodyLimit: "64kb" },
    net: { allowPrivate: LOOPBACK },
  },
);
process.on("message", (m: { stop?: boolean; counts?: boolean; closed?: Record<string, string> }) => {
  if (m.counts) process.send!({ counts });
  if (m.closed) {
    // The chain moved on: a coordinator's sequences were closed (settled or voided) through a new one.
    for (const [c, seq] of Object.entries(m.closed)) closed[c.toLowerCase()] = BigInt(seq);
    process.send!({ chainUpdated: true });
  }
  if (m.stop) void node.close().then(() => process.exit(0));
});
process.send!({ url: node.url, address: node.address });
