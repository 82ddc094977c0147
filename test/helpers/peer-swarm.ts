/**
 * Real nodes (startNode: HTTP service on 127.0.0.1, member with its journal on disk, coordinator) for the
 * peer-protocol attack tests: a shared in-memory directory over a memory chain (block hashes as
 * MemorySequencer derives its batch seeds, a latest block members bound seed-block ages with), an artifact
 * store that enforces the 4 MiB artifact limit, minds that count their inferences, a node restart on the same
 * data directory (and the same sequencer, as a chain-backed one would resume), and a PeerClient that lets a
 * test's byzantine coordinator rewrite its requests (re-signing them) and records every refusal.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { concat, toHex, type Hex } from "viem";
import { ChorusError } from "../../src/core/index.js";
import { startNode, type RunningNode } from "../../src/node/service.js";
import { canonicalBytes } from "../../src/core/index.js";
import type { Envelope } from "../../src/protocol/index.js";
import type { MemberLimits } from "../../src/round/member-checks.js";
import { ARTIFACT_LIMIT_BYTES } from "../../src/protocol/index.js";
import { keccak256 } from "../../src/core/index.js";
import type { Directory, Mind, NodeEntry, PeerClient } from "../../src/round/ports.js";
import { MemorySequencer } from "../../src/round/sequencer.js";
import type { DigestSigner } from "../../src/core/index.js";
import { countRules } from "../kit/count-rules.js";
import { MemoryArtifacts, directoryOf, makeSigners } from "../kit/memory-round.js";
import { TEST_DOMAIN, TEST_RECORDS, memorySettlement, preferHigherQ } from "../kit/memory-node.js";

/** An artifact store that refuses documents over the artifact limit, as the IPFS store does. */
export class LimitedArtifacts extends MemoryArtifacts {
  async putJson(value: unknown): Promise<string> {
    const size = canonicalBytes(value).length;
    if (size > ARTIFACT_LIMIT_BYTES)
      throw new ChorusError("IPFS_TOO_LARGE", `document of ${size} bytes exceeds ${ARTIFACT_LIMIT_BYTES}`, {
        size,
        limit: ARTIFACT_LIMIT_BYTES,
      });
    return super.putJson(value);
  }
}

/** Test nodes are on loopback: outbound peer calls may reach 127.0.0.0/8. */
export const LOOPBACK = ["127.0.0.0/8"];

/**
 * The hash of block `number` of the memory chain: the batch seed MemorySequencer gives a batch whose seed block
 * is `number` (src/round/sequencer.ts), so honest rounds pass the members' seed-block check and a made-up hash
 * does not.
 */
export function memoryBlockHash(number: bigint): Hex {
  return keccak256(concat([toHex("chorus memory batch"), toHex(number, { size: 32 })]));
}

/**
 * `directoryOf(entries)` (every node a candidate in every period, tau 7) that also reads a memory chain: block
 * hashes and its latest block, `chain.latest` (MemorySequencer's seed blocks are 1000 + one per batch of 16 sequences; a test may move it),
 * and each coordinator's last closed sequence, `chain.closed` (by lower-case address; 0 when absent).
 */
export function chainDirectoryOf(
  entries: NodeEntry[],
  chain: { latest: bigint; closed?: Record<string, bigint> } = { latest: 2000n },
): Required<Directory> & { chain: { latest: bigint; closed?: Record<string, bigint> } } {
  return {
    ...(directoryOf(entries) as Required<Pick<Directory, "candidates" | "weightsAt">>),
    blockHash: async (number: bigint) => memoryBlockHash(number),
    latestBlock: async () => ({ number: chain.latest, hash: memoryBlockHash(chain.latest) }),
    closedThrough: async (coordinator) => chain.closed?.[coordinator.toLowerCase()] ?? 0n,
    chain,
  };
}

export interface Counts {
  answer: number;
  compare: number;
  screen: number;
}

export function countingMind(i: number, counts: Counts): Mind {
  return {
    answer: async () => (counts.answer++, `answer q${i % 10} from node ${i}`),
    compare: async ({ answerA, answerB }) => (counts.compare++, { outcome: preferHigherQ(answerA, answerB) }),
    screen: async () => (counts.screen++, "GOOD"),
  };
}

/**
 * n real nodes, each a candidate with equal stake at full reputation; the draw's tau is directoryOf's 7, so with
 * up to 6 staked nodes (the extra ones included) every service node holds a seat in every round.
 */
export async function startPeerSwarm(
  n: number,
  opts: { committeeSize?: number; limits?: Partial<MemberLimits>; extra?: DigestSigner[]; latestBlock?: bigint } = {},
) {
  const signers = makeSigners(n);
  const entries: NodeEntry[] = [];
  const directory = chainDirectoryOf(entries, { latest: opts.latestBlock ?? 2000n });
  const artifacts = new LimitedArtifacts();
  const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-peer-"));
  const counts: Counts[] = signers.map(() => ({ answer: 0, compare: 0, screen: 0 }));
  const nodes: RunningNode[] = [];
  const settlement = memorySettlement();
  const k = opts.committeeSize ?? n;
  // One sequencer per node for its whole life: a restarted node goes on with its sequences.
  const sequencers = signers.map((x) => new MemorySequencer(x.address));
  const start = (i: number) =>
    startNode(
      {
        domain: TEST_DOMAIN,
        signer: signers[i],
        directory,
        blockHash: directory.blockHash,
        artifacts,
        mind: countingMind(i, counts[i]),
        rules: countRules,
        records: TEST_RECORDS,
        settlement,
        sequencer: sequencers[i],
        limits: opts.limits,
      },
      {
        host: "127.0.0.1",
        port: 0,
        dataDir: path.join(dir, `node${i}`),
        round: {
          committeeSize: k,
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
  for (let i = 0; i < n; i++) {
    nodes.push(await start(i));
    entries.push({ address: signers[i].address, endpoint: nodes[i].url, stake: 10n ** 20n, reputation: 500_000 });
  }
  // Staked nodes that run no service here (a test's byzantine coordinator): never drawn (reputation 0).
  for (const s of opts.extra ?? [])
    entries.push({ address: s.address, endpoint: "http://127.0.0.1:9", stake: 10n ** 20n, reputation: 0 });
  return {
    nodes,
    signers,
    entries,
    directory,
    artifacts,
    counts,
    /** Stops node i and starts it again on the same data directory (its in-memory state is gone). */
    async restart(i: number) {
      await nodes[i].close();
      nodes[i] = await start(i);
      entries[i].endpoint = nodes[i].url;
    },
    async close() {
      await Promise.all(nodes.map((x) => x.close()));
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

export interface Refusal {
  endpoint: string;
  roundId: string;
  kind: string;
  code?: string;
  message: string;
}

/**
 * The attacker's own HTTP transport: unlike a node's (src/node/peers-http.ts, which passes on only a refusal's
 * code so no peer text reaches exclusions), it keeps each refusal's full error (code, message, details), so a
 * test can check what the member said.
 */
function attackerPeers(): PeerClient & { close(): void } {
  return {
    async post(endpoint, p, envelope, { signal, timeoutMs }) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const res = await fetch(new URL(p, endpoint), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(envelope),
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
      const body = (await res.json().catch(() => undefined)) as
        { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined;
      if (!res.ok) {
        const e = body?.error;
        throw new ChorusError("PEER_REFUSED", e?.message ?? `status ${res.status}`, {
          status: res.status,
          code: e?.code,
          details: e?.details,
        });
      }
      return body;
    },
    close() {},
  };
}

/**
 * A byzantine coordinator's transport: `rewrite` may replace any request before it goes out (once per round
 * and kind, the same for every member); every refusal is recorded with the member's code and message.
 */
type Wire = Envelope & { attachment?: unknown };
export function rewritingPeers(rewrite: (env: Wire) => Promise<Wire | undefined>) {
  const inner = attackerPeers();
  const done = new Map<string, Promise<unknown>>();
  const refusals: Refusal[] = [];
  const peers: PeerClient & { refusals: Refusal[]; close(): void } = {
    refusals,
    async post(endpoint, p, envelope, o) {
      const env = envelope as Envelope;
      const key = `${env.roundId}:${env.kind}`;
      if (!done.has(key))
        done.set(
          key,
          Promise.resolve(rewrite(env)).then((r) => r ?? env),
        );
      const out = await done.get(key)!;
      try {
        return await inner.post(endpoint, p, out, o);
      } catch (err) {
        refusals.push({
          endpoint,
          roundId: env.roundId,
          kind: env.kind,
          code: (err as { details?: { code?: unknown } }).details?.code as string | undefined,
          message: (err as Error).message,
        });
        throw err;
      }
    },
    close: () => inner.close(),
  };
  return peers;
}
