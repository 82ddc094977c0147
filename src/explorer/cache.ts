/**
 * What keeps the explorer's public endpoints cheap: every chain read is done at most once per block (a
 * burst of GETs within one block costs one `eth_blockNumber`, itself cached for `blockTtlMs`), and audits of
 * settled rounds, which cannot change, are kept for good (bounded, oldest dropped first). Concurrent
 * requests share the one computation in flight.
 */
import type { ChorusChain } from "../chain/index.js";
import { present } from "../core/index.js";

export class BlockCache {
  private block?: { at: number; number: Promise<bigint> };
  private readonly entries = new Map<string, { block: bigint; value: Promise<unknown> }>();

  constructor(
    private readonly chain: ChorusChain,
    private readonly blockTtlMs = 1000,
  ) {}

  /** The latest block number, asked at most once per `blockTtlMs`. */
  latest(): Promise<bigint> {
    const now = Date.now();
    if (!this.block || now - this.block.at >= this.blockTtlMs) {
      const number = this.chain.publicClient.getBlockNumber({ cacheTime: 0 });
      this.block = { at: now, number };
      number.catch(() => (this.block = undefined));
    }
    return this.block.number;
  }

  /** `compute(block)` once per (key, block); a failure is not kept. */
  async get<T>(key: string, compute: (block: bigint) => Promise<T>): Promise<T> {
    const block = await this.latest();
    const hit = this.entries.get(key);
    if (hit && hit.block === block) return hit.value as Promise<T>;
    const value = compute(block);
    this.entries.set(key, { block, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }
}

/** Results kept for good once `final(result)` says they cannot change; at most `max` of them. */
export class FinalCache<T> {
  private readonly done = new Map<string, T>();
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(private readonly max = 1024) {}

  get(key: string, compute: () => Promise<T>, final: (value: T) => boolean): Promise<T> {
    const hit = this.done.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.inFlight.get(key);
    if (!p) {
      p = compute().then((v) => {
        if (final(v)) {
          this.done.set(key, v);
          while (this.done.size > this.max)
            this.done.delete(present(this.done.keys().next().value, "the oldest cached key"));
        }
        return v;
      });
      const mine = p;
      this.inFlight.set(key, mine);
      void mine.catch(() => {}).finally(() => this.inFlight.delete(key));
    }
    return p;
  }

  get size(): number {
    return this.done.size;
  }
}
