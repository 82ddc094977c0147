import { createHash } from "node:crypto";

/**
 * A deterministic stream of 32-bit integers from a seed string (SHA-256 in counter mode): the same seed gives
 * the same schedule on every machine.
 */
export class SeededRandom {
  private counter = 0;
  private buffer: number[] = [];

  constructor(private readonly seed: string) {}

  nextUint32(): number {
    if (this.buffer.length === 0) {
      const h = createHash("sha256").update(`${this.seed}:${this.counter++}`).digest();
      for (let i = 0; i < 32; i += 4) this.buffer.push(h.readUInt32BE(i));
    }
    return this.buffer.shift()!;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return this.nextUint32() % n;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
