/**
 * The epoch submitter: every `maxRounds` queued records or `intervalMs`, whichever comes first, it settles
 * the pending records in one batch. Before each attempt it drops records the chain already holds (someone
 * else settled them, or an earlier attempt landed but its answer was lost), so a round is never settled
 * twice. Failures (RPC down, a timeout) are retried with exponential backoff; nothing is lost meanwhile. Whether
 * a failure is retried comes from its error code (`isRetryable`, src/core/errors.ts): a batch the chain refuses
 * for good is retried one record at a time and the record at fault is set aside. "Deferred" (the next sequence
 * is still running) is an outcome, not a failure: no backoff.
 *
 * With the node's `RoundSequencer` (src/round/sequencer.ts) it reports what the chain closed and which of the
 * node's rounds will never settle (so their sequences are voided), calls a sequence-aware port without records
 * when there are sequences to void, and settles whenever the sequencer waits for its sequences to close.
 */
import { isBytes32, isRetryable, roundIdParts, sameAddress } from "../core/index.js";
import { hasUnclosed, type RoundSequencer, type SequenceState } from "../round/sequencer.js";
import type { QueuedRecord, SettlementQueue } from "./queue.js";

export interface SettlementPort<R> {
  /** Which of these rounds the chain already holds. */
  settledOnChain(roundIds: readonly string[]): Promise<Set<string>>;
  /**
   * Settles what it can of `records` (possibly none: it may only void sequences, or be called with no records to
   * do so), given the node's sequencer state when it has one; resolves with the last transaction hash once mined,
   * the ids it settled (all of `records` when omitted and a transaction was sent), records it dropped for good
   * with why, the last sequence closed on chain, or `deferred` when nothing could be done yet (not an error). A
   * rejection whose code is not retryable (`isRetryable`) means the chain refused the batch for good.
   */
  submitEpoch(records: readonly QueuedRecord<R>[], sequence?: SequenceState): Promise<SubmitOutcome>;
  /**
   * The port settles in sequence order and voids sequences that will never have a record (src/node/chain-parts.ts):
   * the submitter calls it without records when its sequencer has sequences to void.
   */
  readonly sequenced?: boolean;
}

export interface SubmitOutcome {
  txHash?: string;
  epoch?: number;
  settledIds?: readonly string[];
  dropped?: readonly { roundId: string; reason: string }[];
  /** The coordinator's last sequence closed on chain (settled or voided) after this call. */
  closedThrough?: bigint;
  /** Why nothing could be done yet (the next sequence is still running): an outcome, not a failure. */
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
  /** The node's round sequencer (the one its coordinator takes round ids from). */
  sequencer?: RoundSequencer;
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
  private readonly unsubscribe?: () => void;
  lastError?: string;
  epochsSubmitted = 0;

  constructor(
    private readonly queue: SettlementQueue<R>,
    private readonly port: SettlementPort<R>,
    private readonly opts: SubmitterOptions,
  ) {
    // A batch of sequences can be replaced only once everything in it settled or was voided.
    this.unsubscribe = opts.sequencer?.onSettlementNeeded(() => this.flush());
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(false), Math.min(this.opts.intervalMs, 1000));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
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
    const sequencer = this.opts.sequencer;
    const voidsOnly =
      head.count === 0 && force && this.port.sequenced === true && !!sequencer && hasUnclosed(sequencer.state());
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
          r = await this.port.submitEpoch(batch, sequencer?.state());
        } catch (err) {
          if (!isRetryable(err)) {
            if (batch.length > 1) this.oneByOne = true;
            else if (batch.length === 1) await this.setAside(batch[0].roundId, (err as Error).message);
          }
          throw err;
        }
        for (const d of r.dropped ?? []) {
          await this.setAside(d.roundId, d.reason);
          this.opts.log?.(`round ${d.roundId.slice(0, 12)}… dropped: ${d.reason}`);
        }
        if (r.closedThrough !== undefined) sequencer?.closed(r.closedThrough);
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

  /** Moves a record that will never settle out of the queue; its sequence, when this node's, is to be voided. */
  private async setAside(roundId: string, reason: string): Promise<void> {
    await this.queue.markFailed(roundId, reason);
    const sequencer = this.opts.sequencer;
    if (sequencer && isBytes32(roundId) && sameAddress(roundIdParts(roundId).coordinator, sequencer.coordinator))
      sequencer.failed(roundId);
  }
}
