/**
 * A node's state database: one SQLite file (better-sqlite3) in WAL mode with `synchronous = NORMAL` (a committed
 * transaction survives a process crash; `durable()` fsyncs the WAL off the event loop where a power loss must not
 * lose it either: queued records, the member's journal), and numbered schema migrations (migrations.ts).
 *
 * Damage never stops a node. At open the file gets `PRAGMA integrity_check` (damaged indexes are rebuilt with
 * REINDEX, losing nothing); a file that is not a database, fails the
 * check, cannot be opened, or carries a newer schema than this code knows is moved aside (with its WAL) as
 * `<file>.corrupt-<time>`, a new database is created, and every row that can still be read from the old one is
 * copied over (each table scanned forwards and then backwards until the damaged page): rows on damaged pages are
 * lost, and the log says how many rows each table kept. Rows carry a checksum of their payload; damaged rows found
 * later (checksum mismatch, bad JSON, bad ids) and damaged
 * legacy files are quarantined by their owners through `quarantineRow` / `quarantineFile`, with a log line naming
 * them; nothing is dropped silently.
 *
 * Limits: SQLite stops reading a WAL at its first frame with a bad checksum, so damage to the WAL loses the
 * transactions from that frame on that were not yet checkpointed into the main file (the node checkpoints at open,
 * at close and every `checkpoint()` call). A main file cut to zero bytes is indistinguishable from a new one.
 */
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  fdatasync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { ChorusError, present } from "../core/index.js";
import { MIGRATIONS, SALVAGE_TABLES } from "./migrations.js";

const fdatasyncAsync = promisify(fdatasync);

export type StateLog = (line: string) => void;

export interface StateOpenReport {
  /** Where the unusable database was moved (absent when it opened cleanly). */
  movedAside?: string;
  /** Why it was unusable. */
  problem?: string;
  /** Rows copied from the unusable database, per table. */
  salvaged?: Record<string, number>;
}

const LATEST = MIGRATIONS[MIGRATIONS.length - 1].version;

export class StateDb {
  /** Rows and files quarantined by this process (tests and /health read it). */
  quarantined = 0;
  private closed = false;

  private constructor(
    readonly sql: Database.Database,
    readonly file: string,
    readonly report: StateOpenReport,
    private readonly log: StateLog,
  ) {}

  /** Opens (creating, migrating or, when damaged, replacing and salvaging) the database at `file`. */
  static open(file: string, opts: { log?: StateLog } = {}): StateDb {
    const log = opts.log ?? (() => {});
    mkdirSync(path.dirname(file), { recursive: true });
    let db: Database.Database | undefined;
    let problem: string | undefined;
    try {
      db = new Database(file);
      configure(db);
      problem = integrityProblem(db, log, file);
      if (problem === undefined) {
        const version = db.pragma("user_version", { simple: true }) as number;
        if (version > LATEST) problem = `its schema version ${version} is newer than this node's (${LATEST})`;
        else migrate(db);
      }
    } catch (err) {
      problem = (err as Error).message;
    }
    if (problem === undefined)
      return new StateDb(present(db, "the database that opened without a problem"), file, {}, log);

    try {
      db?.close();
    } catch {
      // A handle on a damaged file may fail to close; it is moved aside below either way.
    }
    const aside = moveAside(file);
    log(`state: database ${file} is unusable (${problem}); moved aside to ${aside}, starting a new one`);
    const fresh = new Database(file);
    configure(fresh);
    migrate(fresh);
    const salvaged = /newer than this node/.test(problem) ? {} : salvage(aside, fresh, log);
    if (Object.keys(salvaged).length > 0)
      log(
        `state: salvaged from ${aside}: ${Object.entries(salvaged)
          .map(([t, n]) => `${t} ${n} row(s)`)
          .join(", ")}`,
      );
    return new StateDb(fresh, file, { movedAside: aside, problem, salvaged }, log);
  }

  /** Runs `fn` in one transaction (IMMEDIATE: takes the write lock at once). */
  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn).immediate();
  }

  /** Keeps a damaged row out of the way (in the quarantine table) and says so. */
  quarantineRow(source: string, key: string, content: string | Buffer | null, reason: string): void {
    this.sql
      .prepare("INSERT INTO quarantine (at, source, key, reason, content) VALUES (?, ?, ?, ?, ?)")
      .run(Date.now(), source, key, reason, content);
    this.quarantined++;
    this.log(`state: quarantined ${source} row ${key} (${reason})`);
  }

  /** Moves a damaged file into `<dir of the db>/quarantine/`, records it and says so; returns where it went. */
  quarantineFile(file: string, source: string, reason: string): string {
    const dir = path.join(path.dirname(this.file), "quarantine");
    mkdirSync(dir, { recursive: true });
    const dest = uniquePath(path.join(dir, `${source}-${path.basename(file)}`));
    renameSync(file, dest);
    this.sql
      .prepare("INSERT INTO quarantine (at, source, key, reason, content) VALUES (?, ?, ?, ?, NULL)")
      .run(Date.now(), source, dest, reason);
    this.quarantined++;
    this.log(`state: quarantined ${source} file ${file} (${reason}); moved to ${dest}`);
    return dest;
  }

  /** Rows in the quarantine table. */
  quarantine(): { source: string; key: string; reason: string }[] {
    return this.sql.prepare("SELECT source, key, reason FROM quarantine ORDER BY n").all() as {
      source: string;
      key: string;
      reason: string;
    }[];
  }

  private walFd?: number;
  private syncing?: Promise<void>;
  /** Set by durable() calls made while a sync runs: they need the sync after it. */
  private syncAgain = false;

  /** Read through a call: the loop in durable() clears the flag, and other calls set it while a sync awaits. */
  private anotherSyncWanted(): boolean {
    return this.syncAgain;
  }

  /**
   * Makes every transaction committed so far durable (fdatasync of the WAL, on libuv's thread pool: the event
   * loop is not blocked as it would be by `synchronous = FULL`). Calls made while a sync runs share the next one.
   */
  durable(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.syncAgain = false;
          this.walFd ??= openSync(`${this.file}-wal`, "r");
          await fdatasyncAsync(this.walFd);
        } while (this.anotherSyncWanted());
      } finally {
        this.syncing = undefined;
      }
    };
    this.syncing = run();
    return this.syncing;
  }

  /** Copies the WAL into the main file (PASSIVE: never waits for readers). */
  checkpoint(): void {
    if (!this.closed) this.sql.pragma("wal_checkpoint(PASSIVE)");
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.walFd !== undefined) closeSync(this.walFd);
    try {
      this.sql.pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      this.sql.close();
    }
  }
}

/** Why the database fails `PRAGMA integrity_check`, after rebuilding damaged indexes (from their tables) once. */
function integrityProblem(db: Database.Database, log: StateLog, file: string): string | undefined {
  const check = () => (db.pragma("integrity_check(20)") as { integrity_check: string }[]).map((r) => r.integrity_check);
  let found = check();
  if (found.length === 1 && found[0] === "ok") return undefined;
  // Damage confined to indexes loses nothing: every index is rebuilt from its table.
  if (found.every((m) => /index|row \d+ missing from/i.test(m))) {
    db.exec("REINDEX");
    found = check();
    if (found.length === 1 && found[0] === "ok") {
      log(`state: database ${file} had damaged indexes; rebuilt them from their tables, nothing lost`);
      return undefined;
    }
  }
  return `integrity check failed: ${found.slice(0, 3).join("; ")}`;
}

/** A short checksum of a stored value, checked when it is read back (SQLite keeps no page checksums). */
export function checksum(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

function configure(db: Database.Database): void {
  db.pragma("busy_timeout = 5000");
  const mode = db.pragma("journal_mode = WAL", { simple: true });
  if (mode !== "wal")
    throw new ChorusError("STORE_CORRUPT", `cannot switch the state database to WAL (got ${String(mode)})`);
  // Commits write the WAL without fsync; what must survive a power loss is made durable by `durable()` off the
  // event loop. A process crash (SIGKILL) loses nothing committed either way.
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
}

function migrate(db: Database.Database): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const current = db.pragma("user_version", { simple: true }) as number;
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        m.version,
        m.name,
        Date.now(),
      );
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

function uniquePath(base: string): string {
  let p = base;
  for (let i = 1; existsSync(p); i++) p = `${base}.${i}`;
  return p;
}

/** Renames the database and its WAL and shared-memory files together; returns the new database path. */
function moveAside(file: string): string {
  const aside = uniquePath(`${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  for (const suffix of ["", "-wal", "-shm"]) if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  return aside;
}

/** Copies every readable row of the known tables from `from` into `to`; rows past a damaged page are read backwards. */
function salvage(from: string, to: Database.Database, log: StateLog): Record<string, number> {
  // Read a copy (the moved-aside file stays as it was for the operator), grown back to the page count its header
  // states when it was cut short: SQLite refuses a file shorter than that, and then pages before the cut are readable.
  const copy = uniquePath(`${from}.salvage`);
  let src: Database.Database;
  try {
    copyFileSync(from, copy);
    if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${copy}-wal`);
    const header = readHeader(copy);
    if (header && header.pageSize * header.pageCount > statSync(copy).size)
      truncateSync(copy, header.pageSize * header.pageCount);
    src = new Database(copy, { fileMustExist: true });
    src.pragma("busy_timeout = 1000");
  } catch (err) {
    log(`state: nothing could be salvaged from ${from} (${(err as Error).message})`);
    removeCopy(copy);
    return {};
  }
  const out: Record<string, number> = {};
  try {
    for (const { table, order } of SALVAGE_TABLES) {
      const columns = (to.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
      let have: string[];
      try {
        have = (src.pragma(`table_info(${table})`) as { name: string }[])
          .map((c) => c.name)
          .filter((c) => columns.includes(c));
      } catch {
        continue;
      }
      if (have.length === 0) continue;
      const insert = to.prepare(
        `INSERT OR IGNORE INTO ${table} (${have.join(", ")}) VALUES (${have.map(() => "?").join(", ")})`,
      );
      let copied = 0;
      const desc = order
        .split(",")
        .map((c) => `${c.trim()} DESC`)
        .join(", ");
      for (const direction of [order, desc]) {
        const rows: unknown[][] = [];
        try {
          for (const row of src
            .prepare(`SELECT ${have.join(", ")} FROM ${table} ORDER BY ${direction}`)
            .raw()
            .iterate() as Iterable<unknown[]>)
            rows.push(row);
        } catch {
          // The scan reached a damaged page: keep what it read so far.
        }
        to.transaction(() => {
          for (const row of rows) copied += insert.run(...row).changes;
        })();
      }
      out[table] = copied;
    }
  } finally {
    try {
      src.close();
    } catch {
      // Closing a damaged file may fail; nothing more to read from it.
    }
    removeCopy(copy);
  }
  return out;
}

function removeCopy(copy: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(copy + suffix, { force: true });
}

/** Page size and page count from a SQLite header, when the first 100 bytes are one. */
function readHeader(file: string): { pageSize: number; pageCount: number } | undefined {
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(100);
    if (readSync(fd, b, 0, 100, 0) < 100 || b.toString("latin1", 0, 16) !== "SQLite format 3\0") return undefined;
    const raw = b.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    const pageCount = b.readUInt32BE(28);
    if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0 || pageCount > 1 << 24) return undefined;
    return { pageSize, pageCount };
  } finally {
    closeSync(fd);
  }
}
