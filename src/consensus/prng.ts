import { present } from "../core/index.js";
import { createHash } from "node:crypto";

/** A seed: any string, or a bigint (used as its lower-case 0x hex spelling, so `255n` and `"0xff"` agree). */
export type Seed = string | bigint;

/** The canonical string of a seed. */
export function seedString(seed: Seed): string {
  return typeof seed === "bigint" ? `0x${seed.toString(16)}` : seed;
}

/**
 * A deterministic stream of 32-bit integers from a seed (SHA-256 of `seed:counter`, eight words per block):
 * the same seed gives the same stream on every machine and engine.
 */
export class SeededRandom {
  private counter = 0;
  private buffer: number[] = [];
  private readonly seed: string;

  constructor(seed: Seed) {
    this.seed = seedString(seed);
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    if (this.buffer.length === 0) {
      const h = createHash("sha256").update(`${this.seed}:${this.counter++}`).digest();
      for (let i = 0; i < 32; i += 4) this.buffer.push(h.readUInt32BE(i));
    }
    return present(this.buffer.shift(), "generator output");
  }

  /** A uniform integer in [0, n), 1 <= n <= 2^32, without modulo bias (rejection sampling). */
  below(n: number): number {
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** A seeded Fisher–Yates shuffle (a new array; the input is left alone). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
