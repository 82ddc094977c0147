/**
 * Part of `npm run bench:load`: the settlement queue on the node's state database (SQLite, WAL, synchronous=FULL,
 * src/state). Enqueues 10,000 pending records the size of a 7-member round's record (~4 KB each), one committed
 * and fsynced transaction per record as a node does before answering its client, then lists them all (the
 * submitter's read when an epoch is due). Prints:
 *
 *   settle_queue_10k_ms          enqueue + list of 10,000 records (the figure)
 *   settle_queue_10k_add_ms      the enqueue part
 *   settle_queue_10k_list_ms     the list part
 *   settle_queue_summary_us      the submitter's per-tick check (count and oldest) with 10,000 pending
 *   settle_queue_10k_grouped_ms  enqueue + list again (a new database) with 100 rounds finishing at once: adds made
 *                                together share one transaction and one fsync
 *
 * The database is in a temporary folder on the machine's disk (os.tmpdir()); options: --records / BENCH_STATE_RECORDS (10000).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { keccak256, toHex } from "viem";
import { SettlementQueue } from "../src/settlement/index.js";
import { StateDb } from "../src/state/index.js";

const arg = process.argv.indexOf("--records");
const N = Number(arg > 0 ? process.argv[arg + 1] : (process.env.BENCH_STATE_RECORDS ?? 10_000));
if (!Number.isInteger(N) || N < 1 || N > 1_000_000)
  throw new Error(`--records must be a whole number from 1 to 1000000 (got ${N})`);

const dir = mkdtempSync(path.join(os.tmpdir(), "chorus-bench-state-"));
const members = Array.from(
  { length: 7 },
  (_v, i) =>
    `0x${String(i + 1)
      .repeat(40)
      .slice(0, 40)}`,
);
const recordOf = (i: number) => ({
  transcriptCid: `bafyreib${i.toString(36).padStart(51, "x")}`,
  signatures: Object.fromEntries(members.map((m) => [m, `0x${"ab".repeat(65)}`])),
  transcript: {
    committee: { members },
    answers: members.map((m) => ({ from: m, text: "The capital of France is Paris. ".repeat(12) })),
    scores: Object.fromEntries(members.map((m, k) => [m, BigInt(k) * 10n ** 17n])),
  },
  signExcluded: [],
});
try {
  const db = StateDb.open(path.join(dir, "state.db"));
  const q = new SettlementQueue(db);
  const ids = Array.from({ length: N }, (_v, i) => keccak256(toHex(`bench-${i}`)));
  const records = ids.map((_id, i) => recordOf(i));
  const size = Buffer.byteLength(JSON.stringify(records[0], (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await q.add(ids[i], records[i], 1_000_000 + i);
  const t1 = performance.now();
  const listed = await q.list();
  const t2 = performance.now();
  if (listed.length !== N) throw new Error(`listed ${listed.length} of ${N} records`);
  const reps = 200;
  const t3 = performance.now();
  for (let i = 0; i < reps; i++) await q.summary();
  const t4 = performance.now();
  db.close();
  const db2 = StateDb.open(path.join(dir, "grouped.db"));
  const q2 = new SettlementQueue(db2);
  const t5 = performance.now();
  for (let i = 0; i < N; i += 100)
    await Promise.all(ids.slice(i, i + 100).map((id, k) => q2.add(id, records[i + k], 1_000_000 + i + k)));
  if ((await q2.list()).length !== N) throw new Error("grouped: not every record listed");
  const t6 = performance.now();
  db2.close();
  console.error(`bench-state: ${N} records of ${size} bytes in ${dir}`);
  console.log(`BENCH settle_queue_10k_ms ${(t2 - t0).toFixed(0)} ms`);
  console.log(`BENCH settle_queue_10k_add_ms ${(t1 - t0).toFixed(0)} ms`);
  console.log(`BENCH settle_queue_10k_list_ms ${(t2 - t1).toFixed(0)} ms`);
  console.log(`BENCH settle_queue_10k_grouped_ms ${(t6 - t5).toFixed(0)} ms`);
  console.log(`BENCH settle_queue_summary_us ${(((t4 - t3) / reps) * 1000).toFixed(0)} us`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
