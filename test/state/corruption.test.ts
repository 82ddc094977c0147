/**
 * Issue 19 item 2: corrupt or foreign state never kills a node. Every kind of state file (the SQLite database, its
 * WAL, the old-format files being moved in, the member's journal) is truncated or overwritten at random offsets
 * (seeded, so a failure replays) and a real node is started on it each time. Each time the node starts and serves,
 * and nothing committed before the damage is lost:
 *  - old-format files: every record, line and entry the damage did not touch is there; a damaged one is either
 *    still readable or quarantined with a log line naming it;
 *  - the WAL (left by a SIGKILLed writer): every transaction whose commit frame ends before the damage is there
 *    (SQLite stops reading the WAL at the first bad frame: later transactions are lost, the stated limit);
 *  - the database file: every record is either there unaltered (checksums) or accounted for by a log line (its
 *    row quarantined, or the database moved aside and salvaged); a damaged page's rows are the stated limit.
 */
import { expect } from "chai";
import { fork } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import type { RunningNode } from "../../src/node/service.js";
import {
  coordinatorId,
  outcomeOf,
  recordOf,
  roundIdOf,
  startStateNode,
  summaryOf,
  writeOldFormat,
} from "../helpers/state-node.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const SEED = 0x19c0ffee;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo)) };
}

type Damage = { how: "truncate" | "overwrite"; at: number; len: number };

/** Truncates `file` at a random offset, or overwrites 1-64 random bytes at one; returns what it did. */
function damage(file: string, rnd: ReturnType<typeof prng>, from = 0): Damage {
  const size = statSync(file).size;
  const at = rnd.int(Math.min(from, size - 1), size);
  if (rnd.next() < 0.5) {
    truncateSync(file, at);
    return { how: "truncate", at, len: size - at };
  }
  const len = Math.min(rnd.int(1, 65), size - at);
  const bytes = Buffer.from(Array.from({ length: len }, () => rnd.int(0, 256)));
  const fd = openSync(file, "r+");
  writeSync(fd, bytes, 0, len, at);
  closeSync(fd);
  return { how: "overwrite", at, len };
}

const touches = (d: Damage, start: number, end: number) => start < d.at + d.len && end > d.at;

/** The byte ranges [start, end) of each line of a file's text (newline included). */
function lineRanges(text: string): { line: string; start: number; end: number }[] {
  const out: { line: string; start: number; end: number }[] = [];
  let start = 0;
  for (const line of text.split("\n").slice(0, -1)) {
    const end = start + Buffer.byteLength(line, "latin1") + 1;
    out.push({ line, start, end });
    start = end;
  }
  return out;
}

/** End offsets of the commit frames of a WAL's current generation (frames whose salts match the header's). */
function walCommits(file: string): number[] {
  const b = readFileSync(file);
  const pageSize = b.readUInt32BE(8);
  const salt = [b.readUInt32BE(16), b.readUInt32BE(20)];
  const ends: number[] = [];
  for (let off = 32; off + 24 + pageSize <= b.length; off += 24 + pageSize) {
    if (b.readUInt32BE(off + 8) !== salt[0] || b.readUInt32BE(off + 12) !== salt[1]) break;
    if (b.readUInt32BE(off + 4) !== 0) ends.push(off + 24 + pageSize);
  }
  return ends;
}

describe("corrupt or foreign state never kills a node (seeded random damage, a node restarted each time)", function () {
  this.timeout(300_000);
  const rnd = prng(SEED);
  const dirs: string[] = [];
  let node: RunningNode | undefined;
  const fresh = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), "chorus-corrupt-"));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    await node?.close({ flush: false });
    node = undefined;
  });
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** Starts a node on `dir` and checks it serves. */
  const start = async (dir: string, logs: string[]) => {
    node = await startStateNode(dir, (l) => logs.push(l));
    const res = await fetch(`${node.url}/chorus/v1/rounds?limit=500`);
    expect(res.status, "the round index answers").to.equal(200);
    expect((await fetch(`${node.url}/health`)).status).to.equal(200);
    return node;
  };

  for (const kind of ["settlement/pending file", "rounds.jsonl", "member/rounds.journal"] as const) {
    it(`old-format ${kind}, damaged at 6 random offsets while being moved in: everything it did not touch is there`, async () => {
      for (let round = 0; round < 6; round++) {
        const dir = fresh();
        const old = writeOldFormat(dir, 20);
        const logs: string[] = [];
        const where = `seed ${SEED.toString(16)}, ${kind}, round ${round}`;
        if (kind === "settlement/pending file") {
          const victim = old.pending[rnd.int(0, old.pending.length)];
          const d = damage(path.join(dir, "settlement", "pending", `${victim}.json`), rnd);
          const n = await start(dir, logs);
          for (const id of [...old.pending, ...old.settled, ...old.failed]) {
            const got = await n.queue.get(id);
            if (id !== victim) {
              expect(got?.status, `${where}: ${id}`).to.be.oneOf(["pending", "settled", "failed"]);
              expect(got?.record, `${where}: ${id}`).to.deep.equal(recordOf(old.rounds.indexOf(id)));
            } else if (got === undefined) {
              expect(
                logs.some((l) => l.includes(`${victim}.json`) && l.includes("quarantined")),
                `${where}: ${JSON.stringify(d)} named in the log`,
              ).to.equal(true);
            }
          }
        } else if (kind === "rounds.jsonl") {
          const file = path.join(dir, "rounds.jsonl");
          const lines = lineRanges(readFileSync(file, "latin1"));
          const d = damage(file, rnd);
          const n = await start(dir, logs);
          for (const [i, l] of lines.entries()) {
            const got = await n.index.get(old.rounds[i]);
            if (!touches(d, l.start, l.end))
              expect(got, `${where}: line ${i + 1} ${JSON.stringify(d)}`).to.deep.equal(summaryOf(old.rounds[i], i));
          }
          for (const q of n.state.db.quarantine())
            expect(
              logs.some((x) => x.includes(q.key)),
              `${where}: quarantined ${q.key} is named in the log`,
            ).to.equal(true);
        } else {
          const file = path.join(dir, "member", "rounds.journal");
          const lines = lineRanges(readFileSync(file, "latin1"));
          const d = damage(file, rnd);
          const n = await start(dir, logs);
          const entries = new Set(
            n.state.journal
              .db!.sql.prepare("SELECT kind || ' ' || round_id AS e FROM member_rounds")
              .pluck()
              .all() as string[],
          );
          for (const l of lines)
            if (!touches(d, l.start, l.end))
              expect(entries.has(l.line), `${where}: ${l.line} ${JSON.stringify(d)}`).to.equal(true);
          for (const q of n.state.db.quarantine())
            expect(
              logs.some((x) => x.includes(q.key)),
              `${where}: quarantined ${q.key} is named in the log`,
            ).to.equal(true);
        }
        await node!.close({ flush: false });
        node = undefined;
      }
    });
  }

  it("the WAL left by a SIGKILLed writer, damaged at 6 random offsets: every transaction committed before the damage is there", async () => {
    const N = 12;
    for (let round = 0; round < 6; round++) {
      const dir = fresh();
      const child = fork(path.join(here, "state-writer.ts"), [JSON.stringify({ dataDir: dir, n: N })], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      await new Promise<void>((resolve, reject) => {
        child.once("message", () => resolve());
        child.once("exit", (code) => reject(new Error(`writer exited ${code}`)));
      });
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        process.kill(child.pid!, "SIGKILL");
      });
      const wal = path.join(dir, "state.db-wal");
      const commits = walCommits(wal);
      expect(commits, "one commit frame per transaction of the writer").to.have.length(3 * N);
      const d = damage(wal, rnd);
      const where = `seed ${SEED.toString(16)}, WAL round ${round}, ${JSON.stringify(d)}`;
      const logs: string[] = [];
      const n = await start(dir, logs);
      for (let i = 0; i < N; i++) {
        const id = roundIdOf(`w-${i}`);
        if (commits[i] <= d.at)
          expect((await n.queue.get(id))?.record, `${where}: record ${i}`).to.deep.equal(recordOf(i));
        if (commits[N + i] <= d.at)
          expect(await n.index.get(id), `${where}: round ${i}`).to.deep.equal(summaryOf(id, i));
        if (commits[2 * N + i] <= d.at)
          expect(n.state.journal.hasAnswered(coordinatorId(BigInt(i + 1))), `${where}: entry ${i}`).to.equal(true);
      }
      await node!.close({ flush: false });
      node = undefined;
    }
  });

  it("the database file, damaged at 8 random offsets after a clean stop: the node starts each time, and every record is there unaltered or accounted for in the log", async () => {
    const N = 60;
    let lost = 0;
    let total = 0;
    let aside = 0;
    const salvaged: number[] = [];
    for (let round = 0; round < 8; round++) {
      const dir = fresh();
      let n = await start(dir, []);
      for (let i = 0; i < N; i++) {
        const id = roundIdOf(`d-${i}`);
        // Queued now: the node's submitter (epochs of a day) leaves them pending while the test looks.
        await n.queue.add(id, recordOf(i) as never, Date.now());
        await n.index.add(outcomeOf(id, i));
        await n.state.journal.markAnswered(coordinatorId(BigInt(i + 1)));
      }
      await n.close({ flush: false });
      node = undefined;
      const d = damage(path.join(dir, "state.db"), rnd, 100);
      const where = `seed ${SEED.toString(16)}, db round ${round}, ${JSON.stringify(d)}`;
      const logs: string[] = [];
      n = await start(dir, logs);
      const movedAside = n.state.db.report.movedAside !== undefined;
      if (movedAside) {
        aside++;
        salvaged.push(Object.values(n.state.db.report.salvaged ?? {}).reduce((x, y) => x + y, 0));
      }
      if (movedAside)
        expect(
          logs.some((l) => l.includes("is unusable") && l.includes("moved aside")),
          where,
        ).to.equal(true);
      const quarantined = new Set(n.state.db.quarantine().map((q) => q.key));
      const pending = new Map((await n.queue.list()).map((p) => [p.roundId, p.record]));
      for (let i = 0; i < N; i++) {
        const id = roundIdOf(`d-${i}`);
        total += 3;
        const rec = pending.get(id);
        if (rec !== undefined) expect(rec, where).to.deep.equal(recordOf(i));
        else {
          lost++;
          expect(movedAside || quarantined.has(id), `${where}: record ${i} missing without a word`).to.equal(true);
        }
        const s = await n.index.get(id);
        if (s !== undefined) expect(s, where).to.deep.equal(summaryOf(id, i));
        else {
          lost++;
          expect(movedAside || quarantined.has(id), `${where}: round ${i} missing without a word`).to.equal(true);
        }
        if (!n.state.journal.hasAnswered(coordinatorId(BigInt(i + 1)))) {
          lost++;
          expect(
            movedAside || [...quarantined].some((k) => k.endsWith(coordinatorId(BigInt(i + 1)))),
            `${where}: entry ${i} missing without a word`,
          ).to.equal(true);
        }
      }
      await n.close({ flush: false });
      node = undefined;
    }
    console.log(
      `      (database damage: moved aside ${aside} of 8 times, rows salvaged each time ${JSON.stringify(salvaged)}; ${lost} of ${total} rows lost on damaged or cut pages, each accounted for in the log)`,
    );
  });

  it("foreign state: a file that is not a database, another program's database, a stray file in the old queue folder", async () => {
    const a = fresh();
    writeFileSync(path.join(a, "state.db"), Buffer.from(Array.from({ length: 8192 }, () => rnd.int(0, 256))));
    const logsA: string[] = [];
    await start(a, logsA);
    expect(logsA.some((l) => /state\.db is unusable .*moved aside/.test(l))).to.equal(true);
    await node!.close({ flush: false });
    node = undefined;

    const b = fresh();
    const other = new Database(path.join(b, "state.db"));
    other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me'); PRAGMA user_version = 42;");
    other.close();
    const logsB: string[] = [];
    const n = await start(b, logsB);
    expect(logsB.some((l) => l.includes("schema version 42 is newer"))).to.equal(true);
    const aside = n.state.db.report.movedAside!;
    expect(new Database(aside, { readonly: true }).prepare("SELECT body FROM notes").pluck().get()).to.equal("keep me");
    await node!.close({ flush: false });
    node = undefined;

    const c = fresh();
    writeOldFormat(c, 3);
    writeFileSync(path.join(c, "settlement", "pending", "notes.txt"), "hello");
    const logsC: string[] = [];
    const m = await start(c, logsC);
    expect((await m.queue.list()).length).to.be.greaterThan(0);
    expect(readdirSync(path.join(c, "quarantine"))).to.deep.equal(["settlement-pending-notes.txt"]);
    expect(existsSync(path.join(c, "settlement", "pending.migrated"))).to.equal(true);
  });
});
