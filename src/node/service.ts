/**
 * One running Chorus node: the HTTP service (peers, gateway, IPFS gateway, explorer), the member that
 * answers its committee duties, the coordinator for queries it receives, the round index, and the
 * settlement queue with its epoch submitter. The parts that touch the outside world come in as `NodeParts`
 * so the devnet, the tests and the benches assemble the same node from different pieces.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Router } from "express";
import type { Hex } from "viem";
import { Coordinator, type CoordinatorOptions, type SignedRecord } from "../round/coordinator.js";
import { Member, type MemberDeps } from "../round/member.js";
import { RoundJournal } from "../round/signed-rounds.js";
import type { PeerClient } from "../round/ports.js";
import type { Exclusion, Transcript } from "../protocol/index.js";
import { MemorySequencer, type RoundSequencer } from "../round/sequencer.js";
import { EpochFinalizer, EpochSubmitter, SettlementQueue, type FinalityPort, type SettlementPort } from "../settlement/index.js";
import { redactUrls } from "../net/index.js";
import { createNodeApp } from "./app.js";
import type { AccessOptions } from "./openai/access.js";
import { RoundLimiter } from "./limiter.js";
import { httpPeers } from "./peers-http.js";
import { RoundIndex, roundsRouter } from "./rounds.js";

/** What the queue holds for each round: everything the settlement contract needs. */
export interface QueuedRound {
  transcript: Transcript;
  transcriptCid: string;
  /** Verified signatures of members on the record. */
  signatures: Record<string, Hex>;
  /** Members excluded at the sign phase (wrong signature), with evidence. */
  signExcluded?: Exclusion[];
}

/**
 * The member's parts (domain, signer, directory, artifacts, mind, rules, records; retrieval and its settings
 * for RAG queries, optional) and the node's own.
 */
export interface NodeParts extends Pick<MemberDeps, "domain" | "signer" | "directory" | "artifacts" | "mind" | "rules" | "records" | "retrieval" | "rag" | "blockHash" | "limits"> {
  settlement: SettlementPort<QueuedRound>;
  /** Makes the epochs this node settled final once due (issue 13); absent without a chain. */
  finality?: FinalityPort;
  /** Hands out this node's round ids, shared by its coordinator and its submitter (default: in memory, for chain-less swarms). */
  sequencer?: RoundSequencer;
  peers?: PeerClient;
  /** Routers to mount (IPFS trustless gateway, explorer); may use the node's round index and queue. */
  routers?: Router[] | ((ctx: { index: RoundIndex; queue: SettlementQueue<QueuedRound> }) => Router[]);
  /** Called on close, after the HTTP server stopped (close stores, backends). */
  onClose?: () => Promise<void>;
}

export interface NodeOptions {
  host: string;
  port: number;
  dataDir: string;
  round: CoordinatorOptions;
  epoch: { maxRounds: number; intervalMs: number };
  /** Admission: rounds running at once, queued at most, and the longest wait in the queue (default: unbounded). */
  limits: { concurrentRounds: number; queuedRounds: number; bodyLimit: string; queueWaitMs?: number };
  /**
   * Outbound requests (coordinator -> members): CIDR ranges of private addresses that may be called
   * (`net.allowPrivate`; the devnet and tests allow 127.0.0.0/8). Required, so every assembly says it.
   */
  net: { allowPrivate: readonly string[] };
  /** API keys and per-client limits of the OpenAI gateway (default: open, no per-client limit). */
  access?: AccessOptions;
  log?: (line: string) => void;
}

export interface RunningNode {
  address: Hex;
  url: string;
  server: Server;
  queue: SettlementQueue<QueuedRound>;
  submitter: EpochSubmitter<QueuedRound>;
  /** Makes this node's settled epochs final once due (absent without a chain). */
  finalizer?: EpochFinalizer;
  index: RoundIndex;
  coordinator: Coordinator;
  member: Member;
  close(): Promise<void>;
}

export async function startNode(parts: NodeParts, opts: NodeOptions): Promise<RunningNode> {
  const queue = new SettlementQueue<QueuedRound>(path.join(opts.dataDir, "settlement"));
  // One sequencer for the coordinator (round ids) and the submitter (what closed, what failed, when to settle).
  const sequencer = parts.sequencer ?? new MemorySequencer(parts.signer.address);
  const submitter = new EpochSubmitter(queue, parts.settlement, { ...opts.epoch, sequencer, log: opts.log });
  const finalizer = parts.finality ? new EpochFinalizer(parts.finality, { intervalMs: opts.epoch.intervalMs, log: opts.log }) : undefined;
  const index = new RoundIndex(opts.dataDir);
  const common = { domain: parts.domain, signer: parts.signer, directory: parts.directory, artifacts: parts.artifacts, rules: parts.rules, records: parts.records };
  // The member's durable record of rounds answered and signed (refuses replays across restarts).
  const journal = RoundJournal.open(path.join(opts.dataDir, "member", "rounds.journal"));
  const member = new Member({ ...common, mind: parts.mind, retrieval: parts.retrieval, rag: parts.rag, blockHash: parts.blockHash, limits: parts.limits, journal });
  const ownPeers = parts.peers ? undefined : httpPeers({ allowPrivate: opts.net.allowPrivate });
  const coordinator = new Coordinator(
    {
      ...common,
      peers: parts.peers ?? ownPeers!,
      sequencer,
      log: opts.log,
      settle: async (roundId: Hex, signed: SignedRecord, transcript?: Transcript) => {
        if (!transcript) return;
        await queue.add(roundId, { transcript, transcriptCid: signed.transcriptCid, signatures: signed.signatures, signExcluded: signed.signExcluded ?? [] });
        submitter.notify();
      },
    },
    opts.round,
  );
  const limiter = new RoundLimiter(opts.limits.concurrentRounds, opts.limits.queuedRounds, opts.limits.queueWaitMs);
  const settlementOf = async (roundId: string) => {
    const status = await queue.status(roundId);
    return { status: status === "unknown" ? "not queued" : status };
  };
  const app = createNodeApp({
    address: parts.signer.address,
    member,
    gateway: {
      bodyLimit: opts.limits.bodyLimit,
      access: opts.access,
      ask: (q, o) =>
        limiter.run(async () => {
          const out = await coordinator.run(q, o);
          await index.add(out);
          return out;
        }, { signal: o.signal }),
      settlementStatus: async (id) => (await settlementOf(id)).status,
    },
    routers: [roundsRouter(index, settlementOf), ...(typeof parts.routers === "function" ? parts.routers({ index, queue }) : (parts.routers ?? []))],
    health: async () => ({ load: limiter.load, pendingSettlement: await queue.size(), lastSettlementError: submitter.lastError === undefined ? null : redactUrls(submitter.lastError), lastFinalityError: finalizer?.lastError === undefined ? null : redactUrls(finalizer.lastError) }),
  });
  if (!opts.access?.keyHashes?.length) opts.log?.("gateway is OPEN: no API keys configured (gateway.apiKeys), anyone who reaches this node can run rounds (per-IP limit only, if configured)");
  const server = app.listen(opts.port, opts.host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  submitter.start();
  finalizer?.start();
  const { port } = server.address() as AddressInfo;
  return {
    address: parts.signer.address,
    url: `http://${opts.host}:${port}`,
    server,
    queue,
    submitter,
    finalizer,
    index,
    coordinator,
    member,
    async close() {
      await submitter.stop();
      await finalizer?.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      ownPeers?.close();
      await journal.close();
      await parts.onClose?.();
    },
  };
}
