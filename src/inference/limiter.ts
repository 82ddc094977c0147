/**
 * The inference backends' semaphore: src/core/limiter.ts (the one limiter) with at most `concurrency` holders and at
 * most `maxQueue` waiters, refusing with INFERENCE_BUSY when the queue is full; a waiter whose signal fires leaves
 * the queue at once with the signal's reason; a holder's release hands the slot to the next waiter.
 */
import { asError, Limiter } from "../core/index.js";
import { INFERENCE_ERRORS, inferenceError } from "./errors.js";

export class ConcurrencyLimiter {
  private readonly limiter: Limiter;

  constructor(
    readonly concurrency: number,
    readonly maxQueue: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw inferenceError(INFERENCE_ERRORS.CONFIG, `concurrency must be an integer >= 1, got ${concurrency}`);
    if (!Number.isInteger(maxQueue) || maxQueue < 0)
      throw inferenceError(INFERENCE_ERRORS.CONFIG, `maxQueue must be an integer >= 0, got ${maxQueue}`);
    this.limiter = new Limiter({
      concurrency,
      maxQueue,
      refuse: {
        busy: (l) =>
          inferenceError(
            INFERENCE_ERRORS.BUSY,
            `inference is busy: ${l.running} running and ${l.waiting} queued (limit ${maxQueue})`,
            {
              active: l.running,
              queued: l.waiting,
            },
          ),
      },
    });
  }

  get stats(): { active: number; queued: number } {
    const { running, waiting } = this.limiter.load;
    return { active: running, queued: waiting };
  }

  /**
   * Resolves with a release function once a slot is free. Rejects with INFERENCE_BUSY when the queue is full,
   * or with `signal.reason` when the signal fires while waiting.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    return this.limiter.acquire({ signal });
  }

  /** Rejects every waiter with `err` (used on close). */
  rejectAll(err: unknown): void {
    this.limiter.rejectAll(asError(err));
  }
}
