/**
 * Event reads that scale with the chain's age: one eth_getLogs per page of at most `range` blocks (hosted RPCs
 * refuse wider queries), the page halved and retried when the RPC still refuses it as too wide or too many
 * results, down to one block. Block timestamps are read once per block and kept in a bounded cache.
 */
import type { Abi, Address, Log } from "viem";
import type { ChorusChain } from "./contracts.js";

/** Blocks per eth_getLogs call unless the config says otherwise (`chain.logRange`). */
export const DEFAULT_LOG_RANGE = 10_000;

export interface DecodedLog extends Log {
  eventName: string;
  args: Record<string, unknown>;
}

export interface PagedQuery {
  address: Address;
  abi: Abi;
  eventName?: string;
  args?: Record<string, unknown>;
  fromBlock: bigint;
  /** Default: the latest block. */
  toBlock?: bigint;
  /** Blocks per call (default the chain's `logRange`, else DEFAULT_LOG_RANGE). */
  range?: number;
  /** Newest page first, stopping at the first page with a hit (a lookup of one event). */
  newestFirst?: boolean;
}

/** The chain's configured log range (set by openChorusChain from `chain.logRange`). */
export function logRangeOf(chain: ChorusChain): number {
  return chain.logRange ?? DEFAULT_LOG_RANGE;
}

/** An RPC's refusal of a query that spans too many blocks or returns too many logs (the wording varies by provider). */
export function isRangeRefusal(err: unknown): boolean {
  const e = err as { message?: unknown; details?: unknown; cause?: { message?: unknown } } | null | undefined;
  const text = [e?.message, e?.details, e?.cause?.message].filter((x) => typeof x === "string").join(" ");
  return /block range|range (is )?too (large|wide|big)|too many (blocks|results|logs)|exceed|limited to|query returned more than|-32005/i.test(
    text,
  );
}

/** Contract events from `fromBlock` to `toBlock`, oldest first, in pages of at most `range` blocks. */
export async function pagedContractEvents(chain: ChorusChain, q: PagedQuery): Promise<DecodedLog[]> {
  const to = q.toBlock ?? (await chain.publicClient.getBlockNumber({ cacheTime: 0 }));
  let range = BigInt(Math.max(1, q.range ?? logRangeOf(chain)));
  const pages: DecodedLog[][] = [];
  const read = (fromBlock: bigint, toBlock: bigint) =>
    chain.publicClient.getContractEvents({
      address: q.address,
      abi: q.abi,
      eventName: q.eventName,
      args: q.args,
      fromBlock,
      toBlock,
    }) as unknown as Promise<DecodedLog[]>;
  if (q.newestFirst) {
    let hi = to;
    while (hi >= q.fromBlock) {
      const lo = hi - range + 1n > q.fromBlock ? hi - range + 1n : q.fromBlock;
      try {
        const logs = await read(lo, hi);
        if (logs.length > 0) return logs;
        hi = lo - 1n;
      } catch (err) {
        if (!isRangeRefusal(err) || range === 1n) throw err;
        range = range / 2n || 1n;
      }
    }
    return [];
  }
  let lo = q.fromBlock;
  while (lo <= to) {
    const hi = lo + range - 1n < to ? lo + range - 1n : to;
    try {
      pages.push(await read(lo, hi));
      lo = hi + 1n;
    } catch (err) {
      if (!isRangeRefusal(err) || range === 1n) throw err;
      range = range / 2n || 1n;
    }
  }
  return pages.flat();
}

/** Block timestamps (seconds), read once each, at most `max` kept (oldest read dropped first). */
export class BlockTimes {
  private readonly times = new Map<bigint, number>();
  constructor(
    private readonly chain: ChorusChain,
    private readonly max = 50_000,
  ) {}

  async of(block: bigint): Promise<number> {
    const hit = this.times.get(block);
    if (hit !== undefined) return hit;
    const t = Number((await this.chain.publicClient.getBlock({ blockNumber: block })).timestamp);
    this.times.set(block, t);
    if (this.times.size > this.max) {
      const oldest = this.times.keys().next();
      if (!oldest.done) this.times.delete(oldest.value);
    }
    return t;
  }

  get size(): number {
    return this.times.size;
  }
}
