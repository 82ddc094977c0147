/**
 * A persistent queue of signed round records waiting for settlement: one JSON file per round under
 * <dir>/pending, written atomically (temp file + rename) before the client is answered, moved to
 * <dir>/settled/ once the chain has it. A node that restarts finds its pending records and settles them
 * once; a record already on chain (settled by anyone) is recognised and not submitted again.
 */
import { access, mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { ChorusError } from "../core/index.js";

export interface QueuedRecord<R = unknown> {
  roundId: string;
  queuedAt: number;
  record: R;
}

const SAFE_ID = /^0x[0-9a-fA-F]{64}$/;

export class SettlementQueue<R = unknown> {
  private readonly pending: string;
  private readonly settled: string;
  private readonly failed: string;
  private ready?: Promise<void>;

  constructor(readonly dir: string) {
    this.pending = path.join(dir, "pending");
    this.settled = path.join(dir, "settled");
    this.failed = path.join(dir, "failed");
  }

  private init(): Promise<void> {
    this.ready ??= Promise.all([this.pending, this.settled, this.failed].map((d) => mkdir(d, { recursive: true }))).then(() => {});
    return this.ready;
  }

  private file(dir: string, roundId: string): string {
    if (!SAFE_ID.test(roundId)) throw new ChorusError("INPUT_INVALID", `round id ${roundId} is not a bytes32 hex`, { roundId });
    return path.join(dir, `${roundId.toLowerCase()}.json`);
  }

  /** Adds a record durably; adding the same round twice keeps the first. */
  async add(roundId: string, record: R, now = Date.now()): Promise<void> {
    await this.init();
    const target = this.file(this.pending, roundId);
    if ((await exists(target)) || (await exists(this.file(this.settled, roundId)))) return;
    const tmp = `${target}.${process.pid}.tmp`;
    const item: QueuedRecord<R> = { roundId: roundId.toLowerCase(), queuedAt: now, record };
    await writeFile(tmp, serialize(item));
    await rename(tmp, target);
  }

  /** Pending records, oldest first. */
  async list(): Promise<QueuedRecord<R>[]> {
    await this.init();
    const names = (await readdir(this.pending)).filter((n) => n.endsWith(".json"));
    const items = await Promise.all(names.map(async (n) => JSON.parse(await readFile(path.join(this.pending, n), "utf8"), revive) as QueuedRecord<R>));
    return items.sort((a, b) => a.queuedAt - b.queuedAt || (a.roundId < b.roundId ? -1 : 1));
  }

  /** Marks rounds settled (moves their files); unknown ids are ignored. */
  async markSettled(roundIds: readonly string[], meta: { txHash?: string; epoch?: number } = {}): Promise<void> {
    await this.init();
    for (const id of roundIds) {
      const from = this.file(this.pending, id);
      if (!(await exists(from))) continue;
      const item = JSON.parse(await readFile(from, "utf8"), revive) as QueuedRecord<R>;
      const to = this.file(this.settled, id);
      await writeFile(from, serialize({ ...item, settledAt: Date.now(), ...meta }));
      await rename(from, to);
    }
  }

  /**
   * Moves a record the chain refuses for good (it reverted when submitted alone) out of the queue, keeping it
   * with the reason under failed/ for the operator: recorded, never silently dropped.
   */
  async markFailed(roundId: string, reason: string): Promise<void> {
    await this.init();
    const from = this.file(this.pending, roundId);
    if (!(await exists(from))) return;
    const item = JSON.parse(await readFile(from, "utf8"), revive) as QueuedRecord<R>;
    await writeFile(from, serialize({ ...item, failedAt: Date.now(), reason }));
    await rename(from, this.file(this.failed, roundId));
  }

  async status(roundId: string): Promise<"pending" | "settled" | "failed" | "unknown"> {
    await this.init();
    if (await exists(this.file(this.pending, roundId))) return "pending";
    if (await exists(this.file(this.settled, roundId))) return "settled";
    if (await exists(this.file(this.failed, roundId))) return "failed";
    return "unknown";
  }

  async size(): Promise<number> {
    await this.init();
    return (await readdir(this.pending)).filter((n) => n.endsWith(".json")).length;
  }
}

function serialize(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? { $bigint: v.toString() } : v));
}

function revive(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && "$bigint" in value && Object.keys(value).length === 1) {
    return BigInt((value as { $bigint: string }).$bigint);
  }
  return value;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
