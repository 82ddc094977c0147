/**
 * The index of rounds this node coordinated (table `rounds` of the node's state database, src/state), served at
 * GET /chorus/v1/rounds and /chorus/v1/rounds/:id. The transcripts themselves are on IPFS; this index only
 * says where, and how far settlement got. The old append-only `rounds.jsonl` is imported on first open (a line
 * that does not parse, such as one cut by a crash, is quarantined with a log line) and renamed `*.migrated`.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { Router } from "express";
import { ChorusError, promiseOf } from "../core/index.js";
import type { RoundOutcome } from "../round/coordinator.js";
import { route } from "../http/index.js";
import { checksum, markMigrated, readLegacyText, StateDb, type StateLog } from "../state/index.js";

export interface RoundSummary {
  roundId: string;
  queryCid: string;
  transcriptCid: string;
  winner: string;
  ranking: string[];
  scores: Record<string, number>;
  committee: string[];
  excluded: { member: string; phase: string; reason: string }[];
  createdAt: number;
}

const ROUND_ID = /^0x[0-9a-fA-F]{64}$/;

export class RoundIndex {
  readonly db: StateDb;
  private readonly owned: boolean;
  private readonly stmts: ReturnType<typeof statements>;

  /** `store`: the node's state database, or its data directory (opens `state.db` there, imports `rounds.jsonl`). */
  constructor(store: string | StateDb, opts: { legacyFile?: string; log?: StateLog } = {}) {
    this.owned = typeof store === "string";
    this.db = typeof store === "string" ? StateDb.open(path.join(store, "state.db"), { log: opts.log }) : store;
    this.stmts = statements(this.db);
    const legacy = opts.legacyFile ?? (typeof store === "string" ? path.join(store, "rounds.jsonl") : undefined);
    if (legacy && existsSync(legacy)) this.importLegacy(legacy);
  }

  add(out: RoundOutcome, now = Date.now()): Promise<void> {
    return promiseOf(() => {
      this.put(out, now);
    });
  }

  private put(out: RoundOutcome, now: number): void {
    const s: RoundSummary = {
      roundId: out.roundId,
      queryCid: out.queryCid,
      transcriptCid: out.transcriptCid,
      winner: out.result.winner,
      ranking: out.result.ranking,
      scores: out.result.scores,
      committee: out.transcript.committee.members,
      excluded: [...out.transcript.excluded, ...out.signExcluded].map((e) => ({
        member: e.member,
        phase: e.phase,
        reason: e.reason,
      })),
      createdAt: out.transcript.query.createdAt,
    };
    const text = JSON.stringify(s);
    this.stmts.upsert.run(s.roundId.toLowerCase(), now, text, checksum(text));
  }

  get(roundId: string): Promise<RoundSummary | undefined> {
    return promiseOf(() => {
      const row = this.stmts.get.get(roundId.toLowerCase()) as
        { round_id: string; summary: string; sum: string } | undefined;
      return row ? this.parse(row) : undefined;
    });
  }

  /** The latest `limit` rounds, newest first. */
  recent(limit: number): Promise<RoundSummary[]> {
    return promiseOf(() => {
      const rows = this.stmts.recent.all(limit) as { round_id: string; summary: string; sum: string }[];
      return rows.map((r) => this.parse(r)).filter((s): s is RoundSummary => s !== undefined);
    });
  }

  /** Retention: forgets rounds indexed before `before` (ms); returns how many. */
  prune(before: number): number {
    return this.stmts.prune.run(before).changes;
  }

  close(): void {
    if (this.owned) this.db.close();
  }

  private parse(row: { round_id: string; summary: string; sum: string }): RoundSummary | undefined {
    try {
      if (row.sum !== checksum(row.summary)) throw new Error("its checksum does not match");
      const s: unknown = JSON.parse(row.summary);
      if (!hasRoundId(s) || s.roundId.toLowerCase() !== row.round_id) throw new Error("its round id does not match");
      return s;
    } catch (err) {
      this.db.transaction(() => {
        this.db.quarantineRow(
          "rounds",
          row.round_id,
          row.summary,
          `round summary unreadable: ${(err as Error).message}`,
        );
        this.stmts.remove.run(row.round_id);
      });
      return undefined;
    }
  }

  /** Imports `rounds.jsonl` (in order) in one transaction, quarantining lines that do not parse, then renames it. */
  private importLegacy(file: string): void {
    const text = readLegacyText(file) ?? "";
    const mtime = Date.now();
    const good: RoundSummary[] = [];
    for (const [i, line] of text.split("\n").entries()) {
      if (!line.trim()) continue;
      try {
        const s: unknown = JSON.parse(line);
        if (!hasRoundId(s) || !ROUND_ID.test(s.roundId)) throw new Error("no round id");
        good.push(s);
      } catch (err) {
        this.db.quarantineRow(
          "rounds.jsonl",
          `${file}:${i + 1}`,
          line,
          `line ${i + 1} does not parse: ${(err as Error).message}`,
        );
      }
    }
    this.db.transaction(() => {
      for (const s of good) {
        const text = JSON.stringify(s);
        this.stmts.upsert.run(s.roundId.toLowerCase(), mtime, text, checksum(text));
      }
    });
    markMigrated(file);
  }
}

/**
 * A parsed summary is taken as this node wrote it (checksummed, or from its own old file) once it is an object
 * with a string round id.
 */
function hasRoundId(value: unknown): value is RoundSummary {
  return typeof value === "object" && value !== null && typeof (value as { roundId?: unknown }).roundId === "string";
}

function statements(db: StateDb) {
  const sql = db.sql;
  return {
    upsert: sql.prepare(
      "INSERT INTO rounds (round_id, added_at, summary, sum) VALUES (?, ?, ?, ?) ON CONFLICT (round_id) DO UPDATE SET summary = excluded.summary, sum = excluded.sum",
    ),
    get: sql.prepare("SELECT round_id, summary, sum FROM rounds WHERE round_id = ?"),
    recent: sql.prepare("SELECT round_id, summary, sum FROM rounds ORDER BY n DESC LIMIT ?"),
    prune: sql.prepare("DELETE FROM rounds WHERE added_at < ?"),
    remove: sql.prepare("DELETE FROM rounds WHERE round_id = ?"),
  };
}

export function roundsRouter(
  index: RoundIndex,
  settlement: (roundId: string) => Promise<{ status: string; txHash?: string }>,
): Router {
  const r = Router();
  r.get(
    "/chorus/v1/rounds",
    route(async (req, res) => {
      const q = req.query.limit ?? "50";
      // a repeated or nested ?limit is no number either
      const raw = typeof q === "string" ? q : "";
      const limit = Number(raw);
      if (!/^\d+$/.test(raw) || limit < 1 || limit > 500)
        throw new ChorusError("INPUT_INVALID", "limit must be a whole number from 1 to 500");
      res.json({ rounds: await index.recent(limit) });
    }),
  );
  r.get(
    "/chorus/v1/rounds/:id",
    route(async (req, res) => {
      const id = String(req.params.id);
      if (!/^0x[0-9a-fA-F]{64}$/.test(id))
        throw new ChorusError("INPUT_INVALID", "round id must be 0x + 64 hex digits");
      const s = await index.get(id);
      if (!s) throw new ChorusError("NOT_FOUND", `this node did not coordinate round ${id}`);
      const st = await settlement(id);
      res.json({ ...s, settlement: st.status, txHash: st.txHash });
    }),
  );
  return r;
}

/** Rounds this node coordinated that still wait in its settlement queue (for the explorer). */
export function pendingRounds(index: RoundIndex, queue: { status(id: string): Promise<string> }) {
  return async (): Promise<RoundSummary[]> => {
    const out: RoundSummary[] = [];
    for (const r of await index.recent(200)) if ((await queue.status(r.roundId)) === "pending") out.push(r);
    return out;
  };
}
