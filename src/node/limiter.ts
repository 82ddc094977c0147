import { ChorusError } from "../errors.js";

/**
 * Admission control for rounds: at most `concurrency` run at once and at most `queue` wait; anything beyond
 * is refused at once with OVERLOADED (HTTP 503), so overload costs a fast answer, not growing memory.
 */
export class RoundLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queue: number,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) {
        throw new ChorusError("OVERLOADED", `node is at capacity (${this.running} rounds running, ${this.waiting.length} waiting); retry later`);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  get load() {
    return { running: this.running, waiting: this.waiting.length };
  }
}
