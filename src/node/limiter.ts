import { ChorusError, Limiter, type AcquireOptions, type LimiterLoad } from "../core/index.js";

/** Options of one admission: the client's signal (a caller that leaves while queued gives its place up at once) and
 *  the longest wait for a slot (a query still queued after it is refused with OVERLOADED; default: the limiter's). */
export type AdmitOptions = AcquireOptions;

/**
 * Admission control for rounds (src/core/limiter.ts): at most `concurrency` run at once and at most `queue` wait;
 * anything beyond is refused at once with OVERLOADED (HTTP 503), so overload costs a fast answer, not growing
 * memory. A query waits at most `maxWaitMs` for a slot (then 503: better a fast refusal the client can retry than a
 * client-side timeout), and one whose client went away leaves the queue instead of running for nobody (ABORTED).
 */
export class RoundLimiter {
  private readonly limiter: Limiter;

  constructor(
    readonly concurrency: number,
    readonly queue: number,
    readonly maxWaitMs = Number.POSITIVE_INFINITY,
  ) {
    this.limiter = new Limiter({
      concurrency,
      maxQueue: queue,
      maxWaitMs,
      refuse: {
        busy: (l) =>
          new ChorusError(
            "OVERLOADED",
            `node is at capacity (${l.running} rounds running, ${l.waiting} waiting); retry later`,
          ),
        aborted: (_signal, queued) =>
          new ChorusError(
            "ABORTED",
            queued
              ? "the client went away while its round was queued"
              : "the client went away before the round started",
          ),
        timedOut: (ms, l) =>
          new ChorusError(
            "OVERLOADED",
            `no round slot freed within ${ms} ms (${l.running} running, ${l.waiting} waiting); retry later`,
          ),
      },
    });
  }

  run<T>(fn: () => Promise<T>, opts: AdmitOptions = {}): Promise<T> {
    return this.limiter.run(fn, opts);
  }

  get load(): LimiterLoad {
    return this.limiter.load;
  }
}
