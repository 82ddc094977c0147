/**
 * The explorer's JSON API (under /explorer/api), built only from chain reads and events through viem, and
 * the static page at /explorer that draws it (Chart.js for the charts).
 *
 * Public and unauthenticated, so cheap by construction: chain reads happen once per new block whatever the
 * number of GETs (src/explorer/cache.ts; `/explorer/api/nodes` used to make 3 calls per node per GET), a
 * settled round's audit is computed once, each client IP has a token bucket (429 + Retry-After), and every
 * /explorer response carries CSP (`default-src 'self'; frame-ancestors 'none'`), X-Frame-Options DENY and
 * X-Content-Type-Options nosniff.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { Router } from "express";
import { getAddress, type Address, type Hex } from "viem";
import { chorusContracts, listActiveNodes, REP_INITIAL, type ChorusChain } from "../chain/index.js";
import { settledRoundDeltas, type EpochTables } from "../chain/round-event.js";
import { ChorusError } from "../core/index.js";
import { bytes32ToCid } from "../ipfs/index.js";
import { route } from "../http/index.js";
import { ipRateLimit, type RateLimitOptions } from "../http/index.js";
import { BlockCache, FinalCache } from "./cache.js";
import { finalityView, type FinalityView } from "./finality.js";
import { EventLog, type ChainEvent } from "./events.js";

/** Per client IP: 10 API requests a second, bursts of 60 (the page makes ~6 per view). */
export const DEFAULT_EXPLORER_RATE: RateLimitOptions = { perSecond: 10, burst: 60 };

const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export interface ExplorerDeps {
  chain: ChorusChain;
  /** Rounds this node coordinated that are not settled yet. */
  pendingRounds?: () => Promise<{ roundId: string; transcriptCid: string; winner: string; createdAt: number }[]>;
  /** The audit verdict of a round (chorus audit), when the node can compute it. */
  auditRound?: (roundId: Hex) => Promise<unknown>;
  /** Per-IP limit of /explorer/api (default {@link DEFAULT_EXPLORER_RATE}). */
  rateLimit?: RateLimitOptions;
  /** How long one `eth_blockNumber` answer is trusted (default 1000 ms). */
  blockTtlMs?: number;
}

/** A settled round: `status` is "settled" while its epoch is pending, "final" once its deltas took effect, "voided"
 *  when a proven omission or an upheld dispute voided it (its deltas never take effect). */
function roundView(e: ChainEvent, tables: Map<string, EpochTables>, finality: FinalityView) {
  const a = e.args as { roundId: Hex; transcriptCid: Hex; deltas: Hex };
  const t = tables.get(e.txHash) ?? { epoch: 0, nodes: [], sources: [] };
  const d = settledRoundDeltas(a.deltas, t);
  const status = finality.voided.has(a.roundId.toLowerCase())
    ? "voided"
    : finality.epochs.get(t.epoch)?.status === "final"
      ? "final"
      : "settled";
  return {
    roundId: a.roundId,
    epoch: t.epoch,
    transcriptCid: bytes32ToCid(a.transcriptCid).toString(),
    winner: d.winner,
    deltas: d.nodes,
    sources: d.sources,
    block: Number(e.blockNumber),
    timestamp: e.timestamp,
    txHash: e.txHash,
    status,
  };
}

export function explorerRouter(deps: ExplorerDeps): Router {
  const eventLog = new EventLog(deps.chain);
  const cache = new BlockCache(deps.chain, deps.blockTtlMs);
  const audits = new FinalCache<unknown>();
  /** The event log, scanned at most once per block. */
  const events = {
    all: () => cache.get("events", () => eventLog.all()),
    of: async (contract: string, eventName?: string) =>
      (await events.all()).filter((e) => e.contract === contract && (!eventName || e.eventName === eventName)),
  };
  /** Each settlement transaction's epoch tables (EpochSettled), by transaction hash. */
  const tables = async () => {
    const out = new Map<string, EpochTables>();
    for (const e of await events.of("Settlement", "EpochSettled")) {
      out.set(e.txHash, {
        epoch: Number(e.args.epoch),
        nodes: e.args.nodes as Address[],
        sources: e.args.sources as Address[],
      });
    }
    return out;
  };
  /** Pending versus final, per epoch, node and source. */
  const finality = async () => finalityView(await events.all());
  const r = Router();
  r.use("/explorer", (_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });
  r.use("/explorer/api", ipRateLimit(deps.rateLimit ?? DEFAULT_EXPLORER_RATE));

  const chartJs = path.join(path.dirname(require.resolve("chart.js")), "chart.umd.js");
  r.get("/explorer", (_req, res) => res.sendFile(path.join(here, "page", "index.html")));
  r.get("/explorer/assets/chart.umd.js", (_req, res) => res.sendFile(chartJs));
  r.use("/explorer/assets", express.static(path.join(here, "page"), { index: false, maxAge: 0 }));

  r.get(
    "/explorer/api/overview",
    route(async (_req, res) => {
      const all = await events.all();
      res.json({
        chainId: deps.chain.chainId,
        contracts: Object.fromEntries(Object.entries(deps.chain.deployments.contracts).map(([k, v]) => [k, v.address])),
        events: all.length,
        epochs: all.filter((e) => e.eventName === "EpochSettled").length,
        rounds: all.filter((e) => e.eventName === "RoundSettled").length,
      });
    }),
  );

  r.get(
    "/explorer/api/nodes",
    route(async (_req, res) => {
      res.json({ nodes: await cache.get("nodes", () => nodeRows()) });
    }),
  );

  /** The active set with reputation, capability, rounds and wins: one read set per block. */
  const nodeRows = async () => {
    const nodes = await listActiveNodes(deps.chain);
    const t = await tables();
    const f = await finality();
    const settled = (await events.of("Settlement", "RoundSettled"))
      .filter((e) => (e.args.deltas as string).length > 0)
      .map((e) => roundView(e, t, f));
    const rounds = new Map<string, number>();
    const wins = new Map<string, number>();
    for (const v of settled) {
      for (const d of v.deltas) rounds.set(d.node.toLowerCase(), (rounds.get(d.node.toLowerCase()) ?? 0) + 1);
      wins.set(v.winner.toLowerCase(), (wins.get(v.winner.toLowerCase()) ?? 0) + 1);
    }
    return Promise.all(
      nodes.map(async (n) => {
        const { settlement, capabilityRegistry } = chorusContracts(deps.chain);
        const [reputation, capable] = await Promise.all([
          settlement.read.reputationOf([n.address]).then(Number),
          capabilityRegistry ? capabilityRegistry.read.isCapable([n.address]) : null,
        ]);
        const key = n.address.toLowerCase();
        return {
          address: n.address,
          endpoint: n.endpoint,
          staked: n.staked.toString(),
          thawing: n.thawing.toString(),
          capable,
          /** Final reputation (Settlement.reputationOf): what weighs the node in committees. */
          reputation,
          /** The net of its deltas in pending epochs: what its reputation will move by (before clamping). */
          pendingDelta: f.pendingByNode.get(getAddress(n.address)) ?? 0,
          rounds: rounds.get(key) ?? 0,
          wins: rounds.has(key) ? (wins.get(key) ?? 0) : 0,
        };
      }),
    );
  };

  r.get(
    "/explorer/api/reputation",
    route(async (_req, res) => {
      const series: Record<string, { t: number; epoch: number; value: number }[]> = {};
      for (const e of await events.of("NodeRegistry", "NodeStaked")) {
        series[(e.args.node as string).toLowerCase()] = [{ t: e.timestamp, epoch: 0, value: REP_INITIAL }];
      }
      // final reputation, as each epoch became final; pending deltas are in /explorer/api/nodes
      for (const e of await events.of("Settlement", "EpochFinalized")) {
        const a = e.args as { epoch: bigint; nodes: Address[]; reputations: number[] };
        a.nodes.forEach((n, i) =>
          (series[n.toLowerCase()] ??= []).push({
            t: e.timestamp,
            epoch: Number(a.epoch),
            value: a.reputations[i],
          }),
        );
      }
      res.json({ series });
    }),
  );

  r.get(
    "/explorer/api/rounds",
    route(async (_req, res) => {
      const [t, f] = [await tables(), await finality()];
      const settled = (await events.of("Settlement", "RoundSettled")).map((e) => roundView(e, t, f)).reverse();
      const known = new Set(settled.map((s) => s.roundId.toLowerCase()));
      const pending = ((await deps.pendingRounds?.()) ?? [])
        .filter((p) => !known.has(p.roundId.toLowerCase()))
        .map((p) => ({ ...p, status: "pending", timestamp: Math.floor(p.createdAt / 1000) }));
      res.json({ rounds: [...pending, ...settled] });
    }),
  );

  r.get(
    "/explorer/api/rounds/:id",
    route(async (req, res) => {
      const id = String(req.params.id);
      if (!/^0x[0-9a-fA-F]{64}$/.test(id))
        throw new ChorusError("INPUT_INVALID", "round id must be 0x + 64 hex digits");
      const e = (await events.of("Settlement", "RoundSettled")).find(
        (x) => (x.args.roundId as string).toLowerCase() === id.toLowerCase(),
      );
      const pending = e
        ? undefined
        : ((await deps.pendingRounds?.()) ?? []).find((p) => p.roundId.toLowerCase() === id.toLowerCase());
      if (!e && !pending) throw new ChorusError("NOT_FOUND", `round ${id} is neither settled nor pending here`);
      res.json(e ? roundView(e, await tables(), await finality()) : { ...pending, status: "pending" });
    }),
  );

  r.get(
    "/explorer/api/rounds/:id/audit",
    route(async (req, res) => {
      const id = String(req.params.id);
      if (!/^0x[0-9a-fA-F]{64}$/.test(id))
        throw new ChorusError("INPUT_INVALID", "round id must be 0x + 64 hex digits");
      const audit = deps.auditRound;
      if (!audit) throw new ChorusError("NOT_FOUND", "this node does not audit rounds");
      // An audit exists only for a settled round, and a settled round's verdict never changes: computed once.
      res.json(
        await audits.get(
          id.toLowerCase(),
          () => audit(id as Hex),
          (report) => report !== null && typeof report === "object",
        ),
      );
    }),
  );

  r.get(
    "/explorer/api/epochs",
    route(async (_req, res) => {
      const f = await finality();
      const epochs = (await events.of("Settlement", "EpochSettled")).map((e) => ({
        epoch: Number(e.args.epoch),
        status: f.epochs.get(Number(e.args.epoch))?.status ?? "pending",
        voidedRounds: f.epochs.get(Number(e.args.epoch))?.voidedRounds ?? 0,
        finalizedAt: f.epochs.get(Number(e.args.epoch))?.finalizedAt ?? null,
        settler: e.args.settler,
        rounds: Number(e.args.rounds),
        recordsCommitment: e.args.recordsCommitment,
        block: Number(e.blockNumber),
        timestamp: e.timestamp,
        txHash: e.txHash,
      }));
      res.json({ epochs: epochs.reverse() });
    }),
  );

  r.get(
    "/explorer/api/sources",
    route(async (_req, res) => {
      // by lower-case address, in the order the sources first registered
      const sources = new Map<
        string,
        {
          address: string;
          endpoint: string;
          manifestCid: string;
          active: boolean;
          reliability: { t: number; value: number }[];
          usefulness: { t: number; value: number }[];
        }
      >();
      for (const e of await events.of("SourceRegistry")) {
        if (e.eventName === "SourceRegistered" || e.eventName === "SourceUpdated") {
          const a = e.args as { source: Address; endpoint: string; manifestCid: Hex };
          const key = a.source.toLowerCase();
          let s = sources.get(key);
          if (!s) {
            s = {
              address: a.source,
              endpoint: "",
              manifestCid: "",
              active: true,
              reliability: [{ t: e.timestamp, value: 500_000 }],
              usefulness: [{ t: e.timestamp, value: 500_000 }],
            };
            sources.set(key, s);
          }
          s.endpoint = a.endpoint;
          s.manifestCid = bytes32ToCid(a.manifestCid).toString();
        } else if (e.eventName === "SourceLeft") {
          const s = sources.get((e.args as { source: Address }).source.toLowerCase());
          if (s) s.active = false;
        } else if (e.eventName === "SourceScoresUpdated") {
          // uint32[] scores: viem decodes them as numbers
          const a = e.args as { sources: Address[]; reliability: number[]; usefulness: number[] };
          a.sources.forEach((src, i) => {
            const s = sources.get(src.toLowerCase());
            if (!s) return;
            s.reliability.push({ t: e.timestamp, value: a.reliability[i] });
            s.usefulness.push({ t: e.timestamp, value: a.usefulness[i] });
          });
        }
      }
      const f = await finality();
      res.json({
        sources: [...sources.values()].map((s) => ({
          ...s,
          pending: f.pendingBySource.get(getAddress(s.address)) ?? { reliability: 0, usefulness: 0 },
        })),
      });
    }),
  );
  return r;
}
