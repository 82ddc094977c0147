/**
 * The epoch submitter: every `maxRounds` queued records or `intervalMs`, whichever comes first, it settles
 * the pending records in one batch. Before each attempt it drops records the chain already holds (someone
 * else settled them, or an earlier attempt landed but its answer was lost), so a round is never settled
 * twice. Failures (RPC down, a revert) are retried with exponential backoff; nothing is lost meanwhile.
 */
import type { QueuedRecord, SettlementQueue } from "./queue.js";

export interface SettlementPort<R> {
  /** Which of these rounds the chain already holds. */
  settledOnChain(roundIds: readonly string[]): Promise<Set<string>>;
  /**
   * Settles what it can of `records` (possibly none: it may only void sequences, or be called with no records to
   * do so); resolves with the last transaction hash once mined, the ids it settled (all of `records` when omitted
   * and a transaction was sent), records it dropped for good with why, or `deferred` when nothing could be done
   * yet (not an error). An error with `retryable: false` means the chain refused the batch for good.
   */
  submitEpoch(records: readonly QueuedRecord<R>[]): Promise<SubmitOutcome>;
  /** A record was moved out of the queue as failed (its round will never settle). */
  failed?(roundId: string): void;
  /** Whether a call without records has work to do (sequences to void); without it, such calls are not made. */
  hasWork?(): boolean;
}

export interface SubmitOutcome {
  txHash?: string;
  epoch?: number;
  settledIds?: readonly string[];
  dropped?: readonly { roundId: string; reason: string }[];
  deferred?: string;
  /** Gas the transactions of this call used, and what they cost in wei (for the node's metrics). */
  gasUsed?: bigint;
  gasCostWei?: bigint;
}

export interface SubmitterOptions {
  maxRounds: number;
  intervalMs: number;
  /** First retry delay; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  log?: (line: string) => void;
}

export class EpochSubmitter<R> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failures = 0;
  /** After a batch is refused, records go one at a time until one settles, to find the one at fault. */
  private oneByOne = false;
  private nextAttemptAt = 0;
  private stopped = false;
  lastError?: string;
  epochsSubmitted = 0;

  constructor(
    private readonly queue: SettlementQueue<R>,
    private readonly port: SettlementPort<R>,
    private readonly opts: SubmitterOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(false), Math.min(this.opts.intervalMs, 1000));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Call after queueing a record: settles at once when the epoch is full. */
  notify(): void {
    void this.tick(false);
  }

  /** Settles everything pending now (tests, shutdown). Resolves when the attempt ends. */
  flush(): Promise<void> {
    return this.tick(true);
  }

  private oldestAt = 0;

  private tick(force: boolean): Promise<void> {
    if (this.running) return force ? this.running.then(() => this.tick(true)) : this.running;
    // A failure anywhere in an attempt (the chain, or the state database) is logged and retried: never a rejection
    // left to a timer, which would end the node.
    this.running = this.attempt(force)
      .catch((err: unknown) => this.failed(err))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async attempt(force: boolean): Promise<void> {
    if (this.stopped && !force) return;
    const now = Date.now();
    if (!force && now < this.nextAttemptAt) return;
    // The queue's count and oldest time come from an index; records are read only when an epoch is due.
    const head = await this.queue.summary();
    const voidsOnly = head.count === 0 && force && (this.port.hasWork?.() ?? false);
    if (head.count === 0 && !voidsOnly) return;
    this.oldestAt = head.oldestAt ?? now;
    const due = force || head.count >= this.opts.maxRounds || now - this.oldestAt >= this.opts.intervalMs;
    if (!due) return;
    const pending = await this.queue.list();
    try {
      const onChain = await this.port.settledOnChain(pending.map((p) => p.roundId));
      if (onChain.size > 0) await this.queue.markSettled([...onChain]);
      const batch = pending
        .filter((p) => !onChain.has(p.roundId))
        .sort((a, b) => (BigInt(a.roundId) < BigInt(b.roundId) ? -1 : 1))
        .slice(0, this.oneByOne ? 1 : this.opts.maxRounds);
      if (batch.length > 0 || voidsOnly) {
        let r: SubmitOutcome;
        try {
          r = await this.port.submitEpoch(batch);
        } catch (err) {
          if ((err as { retryable?: boolean }).retryable === false) {
            if (batch.length > 1) this.oneByOne = true;
            else if (batch.length === 1) {
              await this.queue.markFailed(batch[0].roundId, (err as Error).message);
              this.port.failed?.(batch[0].roundId);
            }
          }
          throw err;
        }
        for (const d of r.dropped ?? []) {
          await this.queue.markFailed(d.roundId, d.reason);
          this.opts.log?.(`round ${d.roundId.slice(0, 12)}… dropped: ${d.reason}`);
        }
        const ids = r.settledIds ?? (r.txHash ? batch.map((b) => b.roundId) : []);
        if (ids.length > 0) {
          await this.queue.markSettled(ids, { txHash: r.txHash, epoch: r.epoch });
          this.oneByOne = false;
          this.epochsSubmitted++;
          this.opts.log?.(`settled ${ids.length} round(s) in tx ${r.txHash}`);
        }
      }
      this.failures = 0;
      this.nextAttemptAt = 0;
      this.lastError = undefined;
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    this.failures++;
    const base = this.opts.backoffMs ?? 500;
    const delay = Math.min(this.opts.maxBackoffMs ?? 30_000, base * 2 ** (this.failures - 1));
    this.nextAttemptAt = Date.now() + delay;
    this.lastError = (err as Error).message;
    this.opts.log?.(`settlement failed (${this.lastError}); retrying in ${delay} ms`);
  }
}
