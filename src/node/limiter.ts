import { ChorusError } from "../core/index.js";

/** Options of one admission. */
export interface AdmitOptions {
  /** The client's signal: a caller that leaves while queued gives its place up at once. */
  signal?: AbortSignal;
  /** Longest wait for a slot; a query still queued after it is refused with OVERLOADED (default: the limiter's). */
  maxWaitMs?: number;
}

interface Waiter {
  start(): void;
}

/**
 * Admission control for rounds: at most `concurrency` run at once and at most `queue` wait; anything beyond
 * is refused at once with OVERLOADED (HTTP 503), so overload costs a fast answer, not growing memory. A
 * query waits at most `maxWaitMs` for a slot (then 503: better a fast refusal the client can retry than a
 * client-side timeout), and one whose client went away leaves the queue instead of running for nobody.
 */
export class RoundLimiter {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly concurrency: number,
    readonly queue: number,
    readonly maxWaitMs = Number.POSITIVE_INFINITY,
  ) {}

  async run<T>(fn: () => Promise<T>, opts: AdmitOptions = {}): Promise<T> {
    if (opts.signal?.aborted) throw new ChorusError("ABORTED", "the client went away before the round started");
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) {
        throw new ChorusError("OVERLOADED", `node is at capacity (${this.running} rounds running, ${this.waiting.length} waiting); retry later`);
      }
      await this.wait(opts.signal, opts.maxWaitMs ?? this.maxWaitMs);
    }
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.start();
    }
  }

  /** Resolves when a slot is handed over; rejects (and leaves the queue) on abort or after `maxWaitMs`. */
  private wait(signal: AbortSignal | undefined, maxWaitMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const leave = (err: ChorusError) => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        cleanup();
        reject(err);
      };
      const onAbort = () => leave(new ChorusError("ABORTED", "the client went away while its round was queued"));
      const timer = Number.isFinite(maxWaitMs)
        ? setTimeout(() => leave(new ChorusError("OVERLOADED", `no round slot freed within ${maxWaitMs} ms (${this.running} running, ${this.waiting.length} waiting); retry later`)), maxWaitMs)
        : undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        start: () => {
          cleanup();
          resolve();
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  get load() {
    return { running: this.running, waiting: this.waiting.length };
  }
}
