/**
 * The epoch finalizer: settled epochs are pending until no round of them can be voided (Settlement.finalizeEpoch,
 * issue 13); a node makes the epochs it settled final as soon as they are due, every `intervalMs`. Anyone may
 * finalize any epoch, so a node that is down loses nothing: another node, the CLI (`chorus epoch finalize`) or
 * this node after its restart does it. Failures are logged and retried on the next tick; nothing else waits on it.
 */
export interface FinalityPort {
  /** Makes final every epoch this node is responsible for whose time has come; returns those it finalized. */
  finalizeDue(signal?: AbortSignal): Promise<number[]>;
}

export interface FinalizerOptions {
  intervalMs: number;
  log?: (line: string) => void;
}

export class EpochFinalizer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  /** The last failure, for /health; cleared by the next success. */
  lastError: string | undefined;
  /** Epochs this finalizer made final since start. */
  readonly finalized: number[] = [];

  constructor(
    private readonly port: FinalityPort,
    private readonly opts: FinalizerOptions,
  ) {
    if (!Number.isInteger(opts.intervalMs) || opts.intervalMs < 10) {
      throw new RangeError(`finalizer intervalMs must be an integer >= 10, got ${opts.intervalMs}`);
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** One pass now (also what the timer runs); never throws. */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        const done = await this.port.finalizeDue(this.abort.signal);
        this.finalized.push(...done);
        if (done.length > 0) this.opts.log?.(`finalized epoch(s) ${done.join(", ")}`);
        this.lastError = undefined;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.lastError = (err as Error).message;
        this.opts.log?.(`finalizing epochs failed (retried in ${this.opts.intervalMs} ms): ${this.lastError}`);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }
}
