/**
 * The member's durable memory of rounds: every round id it committed an answer for and every round id it
 * signed a record for, in table `member_rounds` of the node's state database (src/state; each write committed
 * and its WAL fsynced, off the event loop, before the member replies, appends made together committed together). From it the member rebuilds,
 * after a restart, each coordinator's high-water mark (its highest round id answered here) and the rounds it must
 * never answer or sign again, so a replayed request from a public transcript is refused whatever its uptime.
 *
 * Entries are never expired by time or count. Round ids far below their coordinator's high-water mark are
 * refused by the mark alone, so only the ones within the window are also kept in memory; the database keeps all.
 *
 * The old append-only journal file (`a <id>` / `s <id>` lines) is imported on first open and renamed
 * `*.migrated`: a last line cut by a crash was never acknowledged and is skipped; any other malformed line is
 * quarantined with a log line naming it and the rest is imported. A lost line can only lower a coordinator's
 * high-water mark (or forget one signed id): the node still starts, and says so.
 */
import type { Hex } from "viem";
import { asError, ChorusError, present } from "../core/index.js";
import { checksum, markMigrated, readLegacyText, StateDb, type StateLog } from "../state/index.js";
import { existsSync } from "node:fs";

const LINE = /^([as]) (0x[0-9a-f]{64})$/;
const ID = /^0x[0-9a-f]{64}$/;
const entrySum = (kind: string, id: string) => checksum(`${kind} ${id}`);

export class RoundJournal {
  private readonly answered = new Set<string>();
  private readonly signed = new Set<string>();
  /** Highest round id answered per coordinator (the id's top 160 bits), as a bigint. */
  private readonly marks = new Map<string, bigint>();
  private pending: { kind: "a" | "s"; id: string; done: (err?: unknown) => void }[] = [];
  private flushing = false;

  private constructor(
    readonly db: StateDb | undefined,
    private readonly owned: boolean,
  ) {}

  /** A journal without a database (tests, benches): the same rules, forgotten at exit. */
  static memory(): RoundJournal {
    return new RoundJournal(undefined, false);
  }

  /**
   * Opens the journal in `store` (the node's state database, or the path of a database file to open), replaying
   * it; `legacyFile`: an old journal file to import first.
   */
  static open(store: string | StateDb, opts: { legacyFile?: string; log?: StateLog } = {}): RoundJournal {
    const db = typeof store === "string" ? StateDb.open(store, { log: opts.log }) : store;
    const j = new RoundJournal(db, typeof store === "string");
    if (opts.legacyFile && existsSync(opts.legacyFile)) j.importLegacy(opts.legacyFile, opts.log);
    for (const row of db.sql.prepare("SELECT round_id, kind, sum FROM member_rounds").all() as {
      round_id: string;
      kind: string;
      sum: string;
    }[]) {
      if (
        ID.test(row.round_id) &&
        (row.kind === "a" || row.kind === "s") &&
        row.sum === entrySum(row.kind, row.round_id)
      )
        j.apply(row.kind, row.round_id);
      else
        db.transaction(() => {
          db.quarantineRow(
            "member_rounds",
            `${row.kind} ${row.round_id}`,
            null,
            "malformed entry or checksum mismatch (this member may no longer refuse that round by its id alone)",
          );
          db.sql.prepare("DELETE FROM member_rounds WHERE round_id = ? AND kind = ?").run(row.round_id, row.kind);
        });
    }
    return j;
  }

  /** Every entry as `a <id>` / `s <id>`, by round id (tests, operators). */
  entries(): string[] {
    if (!this.db) return [];
    return (
      this.db.sql.prepare("SELECT kind, round_id FROM member_rounds ORDER BY round_id, kind").all() as {
        kind: string;
        round_id: string;
      }[]
    ).map((r) => `${r.kind} ${r.round_id}`);
  }

  private importLegacy(file: string, log?: StateLog): void {
    const db = present(this.db, "the journal database");
    const text = readLegacyText(file) ?? "";
    const lastNewline = text.lastIndexOf("\n");
    const lines = text.slice(0, lastNewline + 1).split("\n");
    const tail = text.slice(lastNewline + 1);
    const good: { kind: "a" | "s"; id: string }[] = [];
    for (const [i, line] of lines.entries()) {
      if (line.length === 0) continue;
      const m = LINE.exec(line);
      if (m) good.push({ kind: m[1] as "a" | "s", id: m[2] });
      else
        db.quarantineRow(
          "rounds.journal",
          `${file}:${i + 1}`,
          line,
          `line ${i + 1} is malformed (this member may no longer refuse that round by its id alone; its coordinator's high-water mark still applies)`,
        );
    }
    if (tail.replace(/\0/g, "").length > 0)
      log?.(
        `state: ${file}: skipped a last line cut by a crash (${JSON.stringify(tail.slice(0, 80))}), never acknowledged`,
      );
    db.transaction(() => {
      const insert = db.sql.prepare(
        "INSERT OR IGNORE INTO member_rounds (round_id, kind, coordinator, sum) VALUES (?, ?, ?, ?)",
      );
      for (const g of good) insert.run(g.id, g.kind, g.id.slice(0, 42), entrySum(g.kind, g.id));
    });
    markMigrated(file);
  }

  private apply(kind: "a" | "s", roundId: string): void {
    const id = roundId.toLowerCase();
    if (kind === "s") this.signed.add(id);
    else {
      this.answered.add(id);
      const c = id.slice(0, 42);
      const seq = BigInt(id);
      if ((this.marks.get(c) ?? -1n) < seq) this.marks.set(c, seq);
    }
  }

  hasAnswered(roundId: Hex): boolean {
    return this.answered.has(roundId.toLowerCase());
  }

  hasSigned(roundId: Hex): boolean {
    return this.signed.has(roundId.toLowerCase());
  }

  /** The highest round id this member answered for the coordinator of `roundId`, if any. */
  highWater(roundId: Hex): bigint | undefined {
    return this.marks.get(roundId.toLowerCase().slice(0, 42));
  }

  /** Records that this member committed an answer for the round; resolves once it is on disk. */
  markAnswered(roundId: Hex): Promise<void> {
    this.apply("a", roundId);
    return this.append("a", roundId.toLowerCase());
  }

  /** Records that this member signed the round's record; resolves once it is on disk. */
  markSigned(roundId: Hex): Promise<void> {
    this.apply("s", roundId);
    return this.append("s", roundId.toLowerCase());
  }

  /** Forgets in-memory ids of a coordinator that its high-water mark alone refuses (ids below mark - window). */
  prune(windowIds: bigint): void {
    for (const set of [this.answered, this.signed]) {
      for (const id of set) {
        const mark = this.marks.get(id.slice(0, 42));
        if (mark !== undefined && BigInt(id) < mark - windowIds) set.delete(id);
      }
    }
  }

  get size(): { answered: number; signed: number } {
    return { answered: this.answered.size, signed: this.signed.size };
  }

  /** Group commit: entries queued while a commit runs go out together in the next transaction. */
  private append(kind: "a" | "s", id: string): Promise<void> {
    if (!this.db) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ kind, id, done: (err) => (err ? reject(asError(err)) : resolve()) });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        // Yield once so appends made in the same tick join this batch.
        await new Promise((r) => setImmediate(r));
        const batch = this.pending;
        this.pending = [];
        try {
          const db = present(this.db, "the journal database");
          const insert = db.sql.prepare(
            "INSERT OR IGNORE INTO member_rounds (round_id, kind, coordinator, sum) VALUES (?, ?, ?, ?)",
          );
          db.transaction(() => {
            for (const b of batch) insert.run(b.id, b.kind, b.id.slice(0, 42), entrySum(b.kind, b.id));
          });
          await db.durable();
          for (const b of batch) b.done();
        } catch (err) {
          const e = new ChorusError(
            "STORE_WRITE_FAILED",
            `cannot record rounds in ${this.db?.file}: ${(err as Error).message}`,
            {},
            { cause: err },
          );
          for (const b of batch) b.done(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Waits for queued entries, then closes the database when this journal opened it. */
  async close(): Promise<void> {
    while (this.flushing || this.pending.length > 0) await new Promise((r) => setTimeout(r, 1));
    if (this.owned) this.db?.close();
  }
}
