/**
 * A counting semaphore with a bounded FIFO queue: at most `concurrency` holders, at most `maxQueue` waiters.
 * A waiter whose signal fires leaves the queue at once; a holder's release hands the slot to the next waiter.
 */
import { INFERENCE_ERRORS, inferenceError } from "./errors.js";

interface Waiter {
  grant: (release: () => void) => void;
  fail: (err: unknown) => void;
}

export class ConcurrencyLimiter {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueue: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw inferenceError(INFERENCE_ERRORS.CONFIG, `concurrency must be an integer >= 1, got ${concurrency}`);
    if (!Number.isInteger(maxQueue) || maxQueue < 0) throw inferenceError(INFERENCE_ERRORS.CONFIG, `maxQueue must be an integer >= 0, got ${maxQueue}`);
  }

  get stats(): { active: number; queued: number } {
    return { active: this.active, queued: this.queue.length };
  }

  /**
   * Resolves with a release function once a slot is free. Rejects with INFERENCE_BUSY when the queue is full,
   * or with `signal.reason` when the signal fires while waiting.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(
        inferenceError(INFERENCE_ERRORS.BUSY, `inference is busy: ${this.active} running and ${this.queue.length} queued (limit ${this.maxQueue})`, {
          active: this.active,
          queued: this.queue.length,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
        fail: (err) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Rejects every waiter with `err` (used on close). */
  rejectAll(err: unknown): void {
    for (const w of this.queue.splice(0)) w.fail(err);
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.queue.shift();
      if (next) next.grant(this.releaser());
      else this.active--;
    };
  }
}
