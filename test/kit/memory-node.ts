/**
 * Assembles real nodes (startNode: HTTP service, member, coordinator, queue, submitter) from in-memory parts:
 * a shared directory and store, count-based rules and a chain stand-in for settlement. For tests of the
 * service's HTTP surface; the swarm tests on the real chain and IPFS use the production parts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startNode, type NodeOptions, type NodeParts, type RunningNode } from "../../src/node/service.js";
import type { Mind, NodeEntry } from "../../src/round/ports.js";
import type { SettlementPort } from "../../src/settlement/index.js";
import type { QueuedRound } from "../../src/node/service.js";
import { countRules } from "./count-rules.js";
import { MemoryArtifacts, directoryOf, fixedMind, makeSigners } from "./memory-round.js";

export { TEST_DOMAIN, TEST_RECORDS } from "./test-domain.js";
import { TEST_DOMAIN, TEST_RECORDS } from "./test-domain.js";
const quality = (text: string) => Number(/q(\d)/.exec(text)?.[1] ?? 0);
export const preferHigherQ = (a: string, b: string) =>
  quality(a) > quality(b) ? "A" : quality(a) < quality(b) ? "B" : "tie";

export function memorySettlement(): SettlementPort<QueuedRound> & { settled: Set<string> } {
  const settled = new Set<string>();
  return {
    settled,
    async settledOnChain(ids) {
      return new Set(ids.filter((i) => settled.has(i)));
    },
    async submitEpoch(items) {
      for (const i of items) settled.add(i.roundId);
      return { txHash: `0x${"ab".repeat(32)}` };
    },
  };
}

export async function startMemorySwarm(
  n: number,
  opts: {
    minds?: (i: number) => Mind;
    timeoutMs?: number;
    settlement?: SettlementPort<QueuedRound> & { settled: Set<string> };
    parts?: (i: number) => Partial<NodeParts>;
    options?: (i: number) => Partial<NodeOptions>;
  } = {},
) {
  const signers = makeSigners(n);
  const entries: NodeEntry[] = [];
  const directory = directoryOf(entries);
  const artifacts = new MemoryArtifacts();
  const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-swarm-"));
  const settlement = opts.settlement ?? memorySettlement();
  const nodes: RunningNode[] = [];
  const t = opts.timeoutMs ?? 2000;
  for (const [i, signer] of signers.entries()) {
    const node = await startNode(
      {
        domain: TEST_DOMAIN,
        signer,
        directory,
        artifacts,
        mind: opts.minds?.(i) ?? fixedMind(`answer q${i % 10} from node ${i}`, preferHigherQ),
        rules: countRules,
        records: TEST_RECORDS,
        settlement,
        ...opts.parts?.(i),
      },
      {
        host: "127.0.0.1",
        port: 0,
        dataDir: path.join(dir, `node${i}`),
        round: { committeeSize: 7, answerTimeoutMs: t, revealTimeoutMs: t, judgeTimeoutMs: t, signTimeoutMs: t },
        epoch: { maxRounds: 5, intervalMs: 60_000 },
        limits: { concurrentRounds: 4, queuedRounds: 8, bodyLimit: "64kb" },
        net: { allowPrivate: ["127.0.0.0/8"] }, // every test node is on loopback
        ...opts.options?.(i),
      },
    );
    nodes.push(node);
    entries.push({ address: signer.address, endpoint: node.url, stake: 10n ** 20n, reputation: 500_000 });
  }
  return {
    nodes,
    settlement,
    artifacts,
    async close() {
      await Promise.all(nodes.map((x) => x.close()));
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}
