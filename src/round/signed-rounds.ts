/**
 * The member's durable memory of rounds: every round id it committed an answer for and every round id it
 * signed a record for, in an append-only journal (one fixed-size line per entry, each append fsynced before
 * the member replies). From it the member rebuilds, after a restart, each coordinator's high-water mark
 * (its highest round id answered here) and the rounds it must never answer or sign again, so a replayed
 * request from a public transcript is refused whatever the member's uptime.
 *
 * Entries are never expired by time or count. Round ids far below their coordinator's high-water mark are
 * refused by the mark alone, so only the ones within the window are also kept in memory; the file keeps all.
 * A crash mid-append leaves a truncated last line: it is ignored and cut off on open. Any other malformed
 * line is corruption and refuses to open (ChorusError STORE_CORRUPT).
 */
import { mkdirSync, openSync, readFileSync, existsSync, ftruncateSync, closeSync, fsyncSync, write, fdatasync } from "node:fs";
import { promisify } from "node:util";
import path from "node:path";
import type { Hex } from "viem";
import { ChorusError } from "../core/index.js";

const writeAsync = promisify(write) as (fd: number, buf: Buffer) => Promise<unknown>;
const fdatasyncAsync = promisify(fdatasync);
const LINE = /^([as]) (0x[0-9a-f]{64})$/;

export class RoundJournal {
  private readonly answered = new Set<string>();
  private readonly signed = new Set<string>();
  /** Highest round id answered per coordinator (the id's top 160 bits), as a bigint. */
  private readonly marks = new Map<string, bigint>();
  private fd?: number;
  private pending: { line: string; done: (err?: unknown) => void }[] = [];
  private flushing = false;

  private constructor(readonly file: string | undefined) {}

  /** A journal without a file (tests, benches): the same rules, forgotten at exit. */
  static memory(): RoundJournal {
    return new RoundJournal(undefined);
  }

  /** Opens (or creates) the journal at `file`, replaying it. */
  static open(file: string): RoundJournal {
    const j = new RoundJournal(file);
    mkdirSync(path.dirname(file), { recursive: true });
    const text = existsSync(file) ? readFileSync(file, "latin1") : "";
    const lastNewline = text.lastIndexOf("\n");
    const complete = text.slice(0, lastNewline + 1);
    const lines = complete.split("\n").filter((l) => l.length > 0);
    for (const [i, line] of lines.entries()) {
      const m = LINE.exec(line);
      if (!m) throw new ChorusError("STORE_CORRUPT", `round journal ${file} line ${i + 1} is malformed`, { file, line: i + 1 });
      j.apply(m[1] as "a" | "s", m[2]);
    }
    j.fd = openSync(file, "a+");
    if (complete.length !== text.length) {
      // A crash cut the last append short: drop the partial line so the next append starts clean.
      ftruncateSync(j.fd, Buffer.byteLength(complete, "latin1"));
      fsyncSync(j.fd);
    }
    return j;
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
    return this.append(`a ${roundId.toLowerCase()}\n`);
  }

  /** Records that this member signed the round's record; resolves once it is on disk. */
  markSigned(roundId: Hex): Promise<void> {
    this.apply("s", roundId);
    return this.append(`s ${roundId.toLowerCase()}\n`);
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

  /** Group commit: appends queued while a write+fsync runs go out together in the next one. */
  private append(line: string): Promise<void> {
    if (this.fd === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ line, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        // Yield once so appends made in the same tick join this batch.
        await new Promise((r) => setImmediate(r));
        batch.push(...this.pending);
        this.pending = [];
        try {
          const buf = Buffer.from(batch.map((b) => b.line).join(""), "latin1");
          await writeAsync(this.fd!, buf);
          await fdatasyncAsync(this.fd!);
          for (const b of batch) b.done();
        } catch (err) {
          const e = new ChorusError("STORE_WRITE_FAILED", `cannot append to round journal ${this.file}: ${(err as Error).message}`, {}, { cause: err });
          for (const b of batch) b.done(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Waits for queued appends, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing || this.pending.length > 0) await new Promise((r) => setTimeout(r, 1));
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
