/**
 * One running Chorus node: the HTTP service (peers, gateway, IPFS gateway, explorer), the member that
 * answers its committee duties, the coordinator for queries it receives, the round index, and the
 * settlement queue with its epoch submitter. The parts that touch the outside world come in as `NodeParts`
 * so the devnet, the tests and the benches assemble the same node from different pieces.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Router } from "express";
import type { Hex } from "viem";
import { Coordinator, type CoordinatorOptions, type SignedRecord } from "../round/coordinator.js";
import { Member, type MemberDeps } from "../round/member.js";
import type { PeerClient } from "../round/ports.js";
import type { Exclusion, Transcript } from "../protocol/index.js";
import { MemorySequencer, type RoundSequencer } from "../round/sequencer.js";
import {
  EpochFinalizer,
  EpochSubmitter,
  SettlementQueue,
  type FinalityPort,
  type SettlementPort,
} from "../settlement/index.js";
import { redactUrls } from "../net/index.js";
import { ChorusError, present } from "../core/index.js";
import {
  backlogCheck,
  createLogger,
  lineLog,
  NodeMetrics,
  silentLogger,
  type Logger,
  type ReadinessCheck,
  type Readiness,
} from "../obs/index.js";
import { createNodeApp } from "./app.js";
import { meteredMind, meteredSettlement, opsRouter, outcomeOf, roundObserver } from "./observe.js";
import type { AccessOptions } from "./openai/access.js";
import { RoundLimiter } from "./limiter.js";
import { httpPeers } from "./peers-http.js";
import { RoundIndex, roundsRouter } from "./rounds.js";
import { openNodeState, type NodeState, type RetentionSettings } from "./state.js";

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
export interface NodeParts extends Pick<
  MemberDeps,
  | "domain"
  | "signer"
  | "directory"
  | "artifacts"
  | "mind"
  | "rules"
  | "records"
  | "retrieval"
  | "rag"
  | "blockHash"
  | "limits"
  | "gold"
> {
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
  /** Readiness checks of the outside parts (chain block age, model, IPFS, capability pass); see /ready. */
  checks?: Record<string, ReadinessCheck>;
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
  /** Retention of the state database (default: settled records 7 days, rounds 90 days). */
  state?: RetentionSettings;
  /** The node's logger (default: one that turns `log` lines into records, or silent). */
  logger?: Logger;
  /** Plain-line log, for callers without a logger (each line one info record). */
  log?: (line: string) => void;
  /** Longest a shutdown waits for the rounds in flight before it aborts them (default 30 s). */
  shutdownMs?: number;
  /** Settlement backlog above which the node is not ready (default 1,000 records or 1 hour). */
  ready?: { maxBacklog?: number; maxBacklogAgeS?: number };
  /** Metrics registry options (default: process metrics too). */
  metrics?: { defaults?: boolean };
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
  /** The state database and its parts (queue, index, member journal). */
  state: NodeState<QueuedRound>;
  coordinator: Coordinator;
  member: Member;
  logger: Logger;
  metrics: NodeMetrics;
  /** The readiness checks now (what /ready answers). */
  readiness(): Promise<Readiness>;
  /** True once close() began: new rounds are refused with 503 SHUTTING_DOWN. */
  readonly draining: boolean;
  /**
   * Graceful stop: refuses new rounds, lets the rounds in flight finish (at most `shutdownMs`, then aborts
   * them), settles what is pending, then closes the server and stores. `{ graceMs: 0, flush: false }` is a
   * hard stop (the crash tests' kill): rounds in flight are aborted at once and nothing is settled.
   */
  close(opts?: { graceMs?: number; flush?: boolean }): Promise<void>;
}

/** A logger over a plain `log(line)` callback: each record's message becomes one line. */
function callbackLogger(log: (line: string) => void): Logger {
  return createLogger({
    destination: {
      write: (s: string) => {
        const { msg } = JSON.parse(s) as { msg?: unknown };
        log(msg === undefined || msg === null ? s : typeof msg === "string" ? msg : JSON.stringify(msg));
      },
    } as never,
  });
}

export async function startNode(parts: NodeParts, opts: NodeOptions): Promise<RunningNode> {
  const logger = (opts.logger ?? (opts.log ? callbackLogger(opts.log) : silentLogger())).child({
    node: parts.signer.address,
  });
  // One state database (<dataDir>/state.db) for the queue, the round index and the member's journal.
  const state = openNodeState<QueuedRound>(opts.dataDir, { retention: opts.state, log: lineLog(logger, "state") });
  const { queue, index, journal } = state;
  const backlog = async () => {
    const s = await queue.summary();
    return { depth: s.count, oldestAgeS: s.oldestAt !== undefined ? Math.max(0, (Date.now() - s.oldestAt) / 1000) : 0 };
  };
  const limiter = new RoundLimiter(opts.limits.concurrentRounds, opts.limits.queuedRounds, opts.limits.queueWaitMs);
  const metrics = new NodeMetrics({
    settlement: { backlog },
    load: () => limiter.load,
    defaults: opts.metrics?.defaults,
  });
  // One sequencer for the coordinator (round ids) and the submitter (what closed, what failed, when to settle).
  const sequencer = parts.sequencer ?? new MemorySequencer(parts.signer.address);
  const submitter = new EpochSubmitter(queue, meteredSettlement(parts.settlement, metrics), {
    ...opts.epoch,
    sequencer,
    log: lineLog(logger, "settlement"),
  });
  const finalizer = parts.finality
    ? new EpochFinalizer(parts.finality, { intervalMs: opts.epoch.intervalMs, log: lineLog(logger, "finality") })
    : undefined;
  const common = {
    domain: parts.domain,
    signer: parts.signer,
    directory: parts.directory,
    artifacts: parts.artifacts,
    rules: parts.rules,
    records: parts.records,
    gold: parts.gold,
  };
  // The member's durable record of rounds answered and signed (the journal: refuses replays across restarts).
  const member = new Member({
    ...common,
    mind: meteredMind(parts.mind, metrics),
    retrieval: parts.retrieval,
    rag: parts.rag,
    blockHash: parts.blockHash,
    limits: parts.limits,
    journal,
  });
  const ownPeers = parts.peers ? undefined : httpPeers({ allowPrivate: opts.net.allowPrivate });
  const coordinator = new Coordinator(
    {
      ...common,
      peers: parts.peers ?? present(ownPeers, "the node's own HTTP peers"),
      sequencer,
      log: lineLog(logger, "coordinator", "debug"),
      settle: async (roundId: Hex, signed: SignedRecord, transcript?: Transcript) => {
        if (!transcript) return;
        await queue.add(roundId, {
          transcript,
          transcriptCid: signed.transcriptCid,
          signatures: signed.signatures,
          signExcluded: signed.signExcluded ?? [],
        });
        submitter.notify();
      },
    },
    opts.round,
  );
  // Shutdown: `draining` refuses new rounds; `stopRounds` aborts those still running once the bound is past.
  let draining = false;
  const stopRounds = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  const ask = async (q: Parameters<Coordinator["run"]>[0], o: { signal: AbortSignal; log?: Logger }) => {
    if (draining)
      throw new ChorusError(
        "SHUTTING_DOWN",
        "this node is shutting down and takes no new rounds; retry on another node",
      );
    const observer = roundObserver(metrics, o.log ?? logger);
    const t0 = performance.now();
    const run = limiter.run(
      async () => {
        const out = await coordinator.run(q, { signal: AbortSignal.any([o.signal, stopRounds.signal]), observer });
        await index.add(out);
        return out;
      },
      { signal: o.signal },
    );
    inFlight.add(run);
    try {
      const out = await run;
      metrics.round("ok", (performance.now() - t0) / 1000);
      observer.log.info(
        {
          transcriptCid: out.transcriptCid,
          winner: out.result.winner,
          excluded: out.transcript.excluded.length + out.signExcluded.length,
        },
        "round done",
      );
      return out;
    } catch (err) {
      metrics.round(outcomeOf(err), (performance.now() - t0) / 1000);
      const aborted = o.signal.aborted;
      if (!aborted && !(err instanceof ChorusError && err.code === "OVERLOADED"))
        observer.log.warn({ err }, "round failed");
      else
        observer.log.debug({ code: outcomeOf(err) }, aborted ? "round aborted: the client went away" : "round refused");
      throw err;
    } finally {
      inFlight.delete(run);
    }
  };
  const settlementOf = async (roundId: string) => {
    const status = await queue.status(roundId);
    return { status: status === "unknown" ? "not queued" : status };
  };
  const ready = { maxBacklog: opts.ready?.maxBacklog ?? 1000, maxBacklogAgeS: opts.ready?.maxBacklogAgeS ?? 3600 };
  const ops = opsRouter({
    address: parts.signer.address,
    metrics,
    log: logger.child({ component: "ready" }),
    checks: () => ({
      ...(parts.checks ?? {}),
      settlement: backlogCheck(backlog, { maxDepth: ready.maxBacklog, maxAgeS: ready.maxBacklogAgeS }),
      shutdown: () => (draining ? { ok: false, reason: "the node is shutting down" } : { ok: true }),
    }),
    detail: async () => ({
      load: limiter.load,
      pendingSettlement: await queue.size(),
      lastSettlementError: submitter.lastError === undefined ? null : redactUrls(submitter.lastError),
      lastFinalityError: finalizer?.lastError === undefined ? null : redactUrls(finalizer.lastError),
    }),
  });
  const app = createNodeApp({
    address: parts.signer.address,
    member,
    logger,
    ops,
    gateway: {
      bodyLimit: opts.limits.bodyLimit,
      access: opts.access,
      ask,
      settlementStatus: async (id) => (await settlementOf(id)).status,
    },
    routers: [
      roundsRouter(index, settlementOf),
      ...(typeof parts.routers === "function" ? parts.routers({ index, queue }) : (parts.routers ?? [])),
    ],
  });
  if (!opts.access?.keyHashes?.length)
    logger.warn(
      "gateway is OPEN: no API keys configured (gateway.apiKeys), anyone who reaches this node can run rounds (per-IP limit only, if configured)",
    );
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
    state,
    coordinator,
    member,
    logger,
    metrics,
    readiness: () => ops.readiness(),
    get draining() {
      return draining;
    },
    async close(how: { graceMs?: number; flush?: boolean } = {}) {
      if (draining) return;
      draining = true;
      const bound = how.graceMs ?? opts.shutdownMs ?? 30_000;
      // no grace: a hard stop, the port closed and connections cut at once (their rounds abort as their clients leave)
      let serverClosed: Promise<unknown> | undefined;
      if (bound === 0) {
        serverClosed = new Promise((r) => server.close(r));
        server.closeAllConnections();
      }
      if (inFlight.size > 0) {
        logger.info({ rounds: inFlight.size, boundMs: bound }, "shutting down: letting the rounds in flight finish");
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), bound)));
        const done = Promise.allSettled([...inFlight]).then(() => "done" as const);
        if ((await Promise.race([done, late])) === "late") {
          logger.warn({ rounds: inFlight.size }, `rounds still running after ${bound} ms: aborting them`);
          stopRounds.abort(new ChorusError("SHUTTING_DOWN", "the node shut down before the round finished"));
          await done;
        }
        clearTimeout(timer);
      }
      if (how.flush !== false)
        await submitter
          .flush()
          .catch((err: unknown) =>
            logger.warn({ err }, "settling at shutdown failed; the records stay queued for the next start"),
          );
      await submitter.stop();
      await finalizer?.stop();
      server.closeAllConnections();
      await (serverClosed ?? new Promise((r) => server.close(r)));
      ownPeers?.close();
      await state.close();
      await parts.onClose?.();
    },
  };
}
