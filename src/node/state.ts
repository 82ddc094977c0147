/**
 * The node's state database and its parts: opens `<dataDir>/state.db` (importing the old files on first start),
 * builds the settlement queue, round index and member journal on it, and runs retention (settings `state.*`):
 * settled rounds' records are dropped after `settledRecordDays` (their transcripts stay on IPFS), rounds and
 * settled ids after `roundDays`; pending and failed rounds are never pruned.
 */
import path from "node:path";
import { RoundJournal } from "../round/signed-rounds.js";
import { SettlementQueue } from "../settlement/index.js";
import { StateDb, type StateLog } from "../state/index.js";
import { RoundIndex } from "./rounds.js";

export interface RetentionSettings {
  settledRecordDays: number;
  roundDays: number;
  pruneIntervalMs?: number;
}

export const DEFAULT_RETENTION = {
  settledRecordDays: 7,
  roundDays: 90,
  pruneIntervalMs: 3_600_000,
} satisfies RetentionSettings;

const DAY_MS = 86_400_000;

export interface NodeState<R> {
  db: StateDb;
  queue: SettlementQueue<R>;
  index: RoundIndex;
  journal: RoundJournal;
  /** Runs retention now; returns what it removed. */
  prune(now?: number): { records: number; settled: number; rounds: number };
  close(): Promise<void>;
}

export function openNodeState<R>(
  dataDir: string,
  opts: { retention?: RetentionSettings; log?: StateLog } = {},
): NodeState<R> {
  const log = opts.log;
  const db = StateDb.open(path.join(dataDir, "state.db"), { log });
  const queue = new SettlementQueue<R>(db, { legacyDir: path.join(dataDir, "settlement"), log });
  const index = new RoundIndex(db, { legacyFile: path.join(dataDir, "rounds.jsonl"), log });
  const journal = RoundJournal.open(db, { legacyFile: path.join(dataDir, "member", "rounds.journal"), log });
  const r = opts.retention ?? DEFAULT_RETENTION;
  const prune = (now = Date.now()) => {
    const q = queue.prune({
      recordsBefore: r.settledRecordDays > 0 ? now - r.settledRecordDays * DAY_MS : undefined,
      rowsBefore: r.roundDays > 0 ? now - r.roundDays * DAY_MS : undefined,
    });
    const rounds = r.roundDays > 0 ? index.prune(now - r.roundDays * DAY_MS) : 0;
    db.checkpoint();
    if (q.records + q.rows + rounds > 0)
      log?.(`state: retention dropped ${q.records} settled record(s), ${q.rows} settled id(s), ${rounds} round(s)`);
    return { records: q.records, settled: q.rows, rounds };
  };
  const safePrune = () => {
    try {
      prune();
    } catch (err) {
      log?.(`state: retention failed (${(err as Error).message}); will retry`);
    }
  };
  safePrune();
  const timer = setInterval(safePrune, r.pruneIntervalMs ?? DEFAULT_RETENTION.pruneIntervalMs);
  timer.unref();
  return {
    db,
    queue,
    index,
    journal,
    prune,
    async close() {
      clearInterval(timer);
      await journal.close();
      db.close();
    },
  };
}
