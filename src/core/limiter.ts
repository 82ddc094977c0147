/**
 * The one counting semaphore of Chorus, with a bounded FIFO queue: at most `concurrency` holders, at most
 * `maxQueue` waiters, each waiting at most `maxWaitMs`. A waiter whose signal fires leaves the queue at once; a
 * holder's release hands its slot straight to the next waiter (no caller can overtake the queue). What a refusal
 * is (its error code and message) is the user's: the node's round admission (src/node/limiter.ts) answers
 * OVERLOADED / ABORTED, an inference backend (src/inference/limiter.ts) INFERENCE_BUSY or the signal's reason.
 *
 * @example
 * const limiter = new Limiter({ concurrency: 2, maxQueue: 8, refuse: { busy: () => new Error("busy") } });
 * const answer = await limiter.run(() => work(), { signal });
 */
import { asError, present } from "./errors.js";

export interface LimiterLoad {
  running: number;
  waiting: number;
}

/** The errors a limiter refuses with (each gets the load at the moment of the refusal). */
export interface LimiterRefusals {
  /** Every slot is taken and the queue is full. */
  busy(load: LimiterLoad): Error;
  /**
   * The caller's signal fired, before it queued (`queued` false) or while it waited (default: the signal's
   * reason, as an Error: see asError).
   */
  aborted?(signal: AbortSignal, queued: boolean): Error;
  /** No slot was handed over within `maxWaitMs`. */
  timedOut?(maxWaitMs: number, load: LimiterLoad): Error;
}

export interface LimiterOptions {
  concurrency: number;
  maxQueue: number;
  /** Longest wait in the queue (default: unbounded). */
  maxWaitMs?: number;
  refuse: LimiterRefusals;
}

/** Options of one acquisition. */
export interface AcquireOptions {
  signal?: AbortSignal;
  /** Longest wait for a slot (default: the limiter's). */
  maxWaitMs?: number;
}

interface Waiter {
  grant(release: () => void): void;
  fail(err: Error): void;
}

export class Limiter {
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly maxWaitMs: number;
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(private readonly opts: LimiterOptions) {
    this.concurrency = opts.concurrency;
    this.maxQueue = opts.maxQueue;
    this.maxWaitMs = opts.maxWaitMs ?? Number.POSITIVE_INFINITY;
  }

  get load(): LimiterLoad {
    return { running: this.active, waiting: this.queue.length };
  }

  /** Resolves with the release function once a slot is this caller's; rejects with the limiter's refusals. */
  acquire(opts: AcquireOptions = {}): Promise<() => void> {
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(this.abortError(signal, false));
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.maxQueue) return Promise.reject(this.opts.refuse.busy(this.load));
    const maxWaitMs = opts.maxWaitMs ?? this.maxWaitMs;
    return new Promise((resolve, reject) => {
      const leave = (err: Error) => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        cleanup();
        reject(err);
      };
      const onAbort = () => {
        leave(this.abortError(present(signal, "the signal whose abort is being handled"), true));
      };
      const timer = Number.isFinite(maxWaitMs)
        ? setTimeout(() => {
            leave(this.opts.refuse.timedOut?.(maxWaitMs, this.load) ?? this.opts.refuse.busy(this.load));
          }, maxWaitMs)
        : undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        grant: (release) => {
          cleanup();
          resolve(release);
        },
        fail: (err) => {
          cleanup();
          reject(err);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Runs `fn` in a slot. */
  async run<T>(fn: () => Promise<T>, opts: AcquireOptions = {}): Promise<T> {
    const release = await this.acquire(opts);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Rejects every waiter with `err` (on close). */
  rejectAll(err: Error): void {
    for (const w of this.queue.splice(0)) w.fail(err);
  }

  private abortError(signal: AbortSignal, queued: boolean): Error {
    return this.opts.refuse.aborted ? this.opts.refuse.aborted(signal, queued) : asError(signal.reason);
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
