/**
 * A persistent queue of signed round records waiting for settlement, in the node's state database (table
 * `settlement`, src/state): a record is committed (fsynced) before the client is answered, and marked settled once
 * the chain has it. A node that restarts finds its pending records and settles them once; a record already on
 * chain (settled by anyone) is recognised and not submitted again.
 *
 * The old layout (one JSON file per round under <dir>/pending, settled/ and failed/) is imported on first open and
 * the folders renamed `*.migrated`; a file that does not parse is quarantined with a log line naming it. A stored
 * row that no longer parses is quarantined the same way when it is read; every other record carries on.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ChorusError, plainText, promiseOf } from "../core/index.js";
import { checksum, markMigrated, StateDb, type StateLog } from "../state/index.js";

export interface QueuedRecord<R = unknown> {
  roundId: string;
  queuedAt: number;
  record: R;
}

export type QueueStatus = "pending" | "settled" | "failed" | "unknown";

const SAFE_ID = /^0x[0-9a-fA-F]{64}$/;

interface Row {
  round_id: string;
  queued_at: number;
  record: string | null;
  sum: string | null;
}

/** A round's entry in the queue, in any state. */
export interface QueueEntry<R> {
  roundId: string;
  status: Exclude<QueueStatus, "unknown">;
  queuedAt: number;
  /** Absent once retention dropped it (the transcript stays on IPFS). */
  record?: R;
  txHash?: string;
  epoch?: number;
  reason?: string;
}

export class SettlementQueue<R = unknown> {
  readonly db: StateDb;
  private readonly owned: boolean;
  private readonly stmts: ReturnType<typeof statements>;

  /**
   * `store`: the node's state database, or a directory (a database `state.db` is opened in it, and the old
   * layout under it imported). `legacyDir`: where the old pending/settled/failed folders may be.
   */
  constructor(store: string | StateDb, opts: { legacyDir?: string; log?: StateLog } = {}) {
    this.owned = typeof store === "string";
    this.db = typeof store === "string" ? StateDb.open(path.join(store, "state.db"), { log: opts.log }) : store;
    this.stmts = statements(this.db);
    const legacy = opts.legacyDir ?? (typeof store === "string" ? store : undefined);
    if (legacy) this.importLegacy(legacy);
  }

  private id(roundId: string): string {
    if (!SAFE_ID.test(roundId))
      throw new ChorusError("INPUT_INVALID", `round id ${roundId} is not a bytes32 hex`, { roundId });
    return roundId.toLowerCase();
  }

  /**
   * Adds a record durably (resolves once committed and its WAL fsynced); adding a round already known (pending, settled
   * or failed) keeps the first. Adds made in the same tick are committed together (one fsync).
   */
  add(roundId: string, record: R, now = Date.now()): Promise<void> {
    return new Promise((resolve, reject) => {
      // a record that cannot be serialized (or a bad id) throws here, which rejects the add
      const text = serialize(record);
      const row: [string, number, string, string] = [this.id(roundId), now, text, checksum(text)];
      this.adds.push({ row, resolve, reject });
      if (this.adds.length === 1) setImmediate(() => void this.commitAdds());
    });
  }

  private adds: { row: [string, number, string, string]; resolve: () => void; reject: (err: unknown) => void }[] = [];

  private async commitAdds(): Promise<void> {
    const batch = this.adds;
    this.adds = [];
    try {
      this.db.transaction(() => {
        for (const b of batch) this.stmts.insert.run(...b.row);
      });
      await this.db.durable();
      for (const b of batch) b.resolve();
    } catch (err) {
      const e = new ChorusError(
        "STORE_WRITE_FAILED",
        `cannot queue records in ${this.db.file}: ${(err as Error).message}`,
        {},
        { cause: err },
      );
      for (const b of batch) b.reject(e);
    }
  }

  /** Pending records, oldest first. A row that does not parse is quarantined (logged) and left out. */
  list(): Promise<QueuedRecord<R>[]> {
    return promiseOf(() => {
      const out: QueuedRecord<R>[] = [];
      for (const row of this.stmts.pending.all() as Row[]) {
        const item = this.parse(row);
        if (item) out.push(item);
      }
      return out;
    });
  }

  /** How many records are pending and when the oldest was queued (no record is read). */
  summary(): Promise<{ count: number; oldestAt?: number }> {
    return promiseOf(() => {
      const s = this.stmts.summary.get() as { count: number; oldestAt: number | null };
      return { count: s.count, oldestAt: s.oldestAt ?? undefined };
    });
  }

  /** Marks pending rounds settled, in one transaction; unknown ids and ids not pending are ignored. */
  markSettled(roundIds: readonly string[], meta: { txHash?: string; epoch?: number } = {}): Promise<void> {
    return promiseOf(() => {
      const ids = roundIds.map((id) => this.id(id));
      const now = Date.now();
      this.db.transaction(() => {
        for (const id of ids) this.stmts.settle.run(now, meta.txHash ?? null, meta.epoch ?? null, id);
      });
    });
  }

  /**
   * Moves a record the chain refuses for good (it reverted when submitted alone) out of the queue, keeping it
   * with the reason for the operator: recorded, never silently dropped.
   */
  markFailed(roundId: string, reason: string): Promise<void> {
    return promiseOf(() => {
      this.stmts.fail.run(Date.now(), reason, this.id(roundId));
    });
  }

  status(roundId: string): Promise<QueueStatus> {
    return promiseOf(() => (this.stmts.status.get(this.id(roundId)) as QueueStatus | undefined) ?? "unknown");
  }

  /** One round's entry in any state; `record` is absent once retention dropped it (the transcript stays on IPFS). */
  get(roundId: string): Promise<QueueEntry<R> | undefined> {
    return promiseOf(() => this.entry(roundId));
  }

  private entry(roundId: string): QueueEntry<R> | undefined {
    const row = this.stmts.one.get(this.id(roundId)) as
      | (Row & {
          status: Exclude<QueueStatus, "unknown">;
          tx_hash: string | null;
          epoch: number | null;
          reason: string | null;
        })
      | undefined;
    if (!row) return undefined;
    let record: R | undefined;
    if (row.record !== null) {
      if (row.status === "pending") record = this.parse(row)?.record;
      else
        try {
          record = JSON.parse(row.record, revive) as R;
        } catch {
          record = undefined;
        }
    }
    return {
      roundId: row.round_id,
      status: row.status,
      queuedAt: row.queued_at,
      record,
      txHash: row.tx_hash ?? undefined,
      epoch: row.epoch ?? undefined,
      reason: row.reason ?? undefined,
    };
  }

  async size(): Promise<number> {
    return (await this.summary()).count;
  }

  /**
   * Retention: drops the records (whole transcripts, which stay on IPFS) of rounds settled before
   * `recordsBefore`, keeping their ids, status and transaction; and forgets settled rounds entirely before
   * `rowsBefore`. Pending and failed rounds are kept. Returns how many rows each step touched.
   */
  prune(opts: { recordsBefore?: number; rowsBefore?: number }): { records: number; rows: number } {
    const sql = this.db.sql;
    return this.db.transaction(() => ({
      records:
        opts.recordsBefore === undefined
          ? 0
          : sql
              .prepare(
                "UPDATE settlement SET record = NULL, sum = NULL WHERE status = 'settled' AND settled_at < ? AND record IS NOT NULL",
              )
              .run(opts.recordsBefore).changes,
      rows:
        opts.rowsBefore === undefined
          ? 0
          : sql.prepare("DELETE FROM settlement WHERE status = 'settled' AND settled_at < ?").run(opts.rowsBefore)
              .changes,
    }));
  }

  /** Closes the database when this queue opened it (a directory was given). */
  close(): void {
    if (this.owned) this.db.close();
  }

  private parse(row: Row): QueuedRecord<R> | undefined {
    try {
      if (row.record === null) throw new Error("the record is missing");
      if (!SAFE_ID.test(row.round_id) || !Number.isFinite(row.queued_at))
        throw new Error("the round id or queue time is malformed");
      if (row.sum !== checksum(row.record)) throw new Error("its checksum does not match");
      return { roundId: row.round_id, queuedAt: row.queued_at, record: JSON.parse(row.record, revive) as R };
    } catch (err) {
      this.db.transaction(() => {
        this.db.quarantineRow(
          "settlement",
          row.round_id,
          row.record,
          `pending record unreadable: ${(err as Error).message}`,
        );
        this.stmts.remove.run(row.round_id);
      });
      return undefined;
    }
  }

  /** Imports the old one-file-per-round layout, settled first (a round in two folders is settled), then renames it. */
  private importLegacy(dir: string): void {
    const folders = (["settled", "failed", "pending"] as const)
      .map((status) => ({ status, folder: path.join(dir, status) }))
      .filter((f) => existsSync(f.folder));
    if (folders.length === 0) return;
    const sql = this.db.sql;
    const insert = sql.prepare(
      "INSERT OR IGNORE INTO settlement (round_id, status, queued_at, record, sum, settled_at, tx_hash, epoch, failed_at, reason) VALUES (@id, @status, @queuedAt, @record, @sum, @settledAt, @txHash, @epoch, @failedAt, @reason)",
    );
    const rows: Record<string, unknown>[] = [];
    for (const { status, folder } of folders) {
      for (const name of readdirSync(folder)) {
        const file = path.join(folder, name);
        const item = legacyProblem(file, name);
        if (typeof item === "string") {
          this.db.quarantineFile(file, `settlement-${status}`, item);
          continue;
        }
        const { roundId, queuedAt, record, settledAt, txHash, epoch, failedAt, reason } = item;
        const text = serialize(record);
        rows.push({
          id: roundId.toLowerCase(),
          status,
          queuedAt,
          record: text,
          sum: checksum(text),
          settledAt: status === "settled" ? (num(settledAt) ?? queuedAt) : null,
          txHash: typeof txHash === "string" ? txHash : null,
          epoch: num(epoch) ?? null,
          failedAt: status === "failed" ? (num(failedAt) ?? queuedAt) : null,
          reason: status === "failed" ? plainText(reason, "unknown") : null,
        });
      }
    }
    this.db.transaction(() => {
      for (const r of rows) insert.run(r);
    });
    for (const { folder } of folders) markMigrated(folder);
    this.db.checkpoint();
  }
}

function statements(db: StateDb) {
  const sql = db.sql;
  return {
    insert: sql.prepare(
      "INSERT OR IGNORE INTO settlement (round_id, status, queued_at, record, sum) VALUES (?, 'pending', ?, ?, ?)",
    ),
    pending: sql.prepare(
      "SELECT round_id, queued_at, record, sum FROM settlement WHERE status = 'pending' ORDER BY queued_at, round_id",
    ),
    settle: sql.prepare(
      "UPDATE settlement SET status = 'settled', settled_at = ?, tx_hash = ?, epoch = ? WHERE round_id = ? AND status = 'pending'",
    ),
    fail: sql.prepare(
      "UPDATE settlement SET status = 'failed', failed_at = ?, reason = ? WHERE round_id = ? AND status = 'pending'",
    ),
    status: sql.prepare("SELECT status FROM settlement WHERE round_id = ?").pluck(),
    one: sql.prepare(
      "SELECT round_id, status, queued_at, record, sum, tx_hash, epoch, reason FROM settlement WHERE round_id = ?",
    ),
    summary: sql.prepare(
      "SELECT count(*) AS count, min(queued_at) AS oldestAt FROM settlement WHERE status = 'pending'",
    ),
    remove: sql.prepare("DELETE FROM settlement WHERE round_id = ?"),
  };
}

interface LegacyItem {
  roundId: string;
  queuedAt: number;
  record: unknown;
  settledAt?: unknown;
  txHash?: unknown;
  epoch?: unknown;
  failedAt?: unknown;
  reason?: unknown;
}

/** The parsed legacy record, or why the file cannot be imported. */
function legacyProblem(file: string, name: string): LegacyItem | string {
  const m = /^(0x[0-9a-fA-F]{64})\.json$/.exec(name);
  if (!m) return name.endsWith(".tmp") ? "an unfinished write (temporary file)" : "not a round record file name";
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"), revive);
  } catch (err) {
    return `does not parse: ${(err as Error).message}`;
  }
  if (!parsed || typeof parsed !== "object") return "not a JSON object";
  // each field is checked below before the object is taken as a LegacyItem
  const item = parsed as { [K in keyof LegacyItem]?: unknown };
  if (typeof item.roundId !== "string" || item.roundId.toLowerCase() !== m[1].toLowerCase())
    return "its roundId does not match its file name";
  if (typeof item.queuedAt !== "number" || !Number.isFinite(item.queuedAt))
    return "queuedAt is missing or not a number";
  if (item.record === null || typeof item.record !== "object") return "record is missing";
  return item as LegacyItem;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function serialize(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? { $bigint: v.toString() } : v));
}

function revive(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && "$bigint" in value && Object.keys(value).length === 1) {
    return BigInt((value as { $bigint: string }).$bigint);
  }
  return value;
}
