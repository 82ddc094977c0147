/**
 * Chain events the explorer shows, read with viem from the deployment's start block and kept incrementally
 * in memory (each call scans only the blocks added since the last one). No database: restart, and it
 * reads the chain again.
 */
import type { Abi } from "viem";
import { CHORUS_ABIS, type ChorusChain } from "../chain/index.js";

export interface ChainEvent {
  contract: string;
  eventName: string;
  args: Record<string, unknown>;
  blockNumber: bigint;
  logIndex: number;
  txHash: string;
  timestamp: number;
}

/** Args of an event with unnamed parameters come as a list (none of the Chorus events has one). */
const isList = (v: unknown): v is readonly unknown[] => Array.isArray(v);

export class EventLog {
  private events: ChainEvent[] = [];
  private scannedTo?: bigint;
  private scanning?: Promise<void>;
  private readonly times = new Map<bigint, number>();

  constructor(private readonly chain: ChorusChain) {}

  /** Every event of the Chorus contracts so far, oldest first. */
  async all(): Promise<ChainEvent[]> {
    this.scanning ??= this.scan().finally(() => (this.scanning = undefined));
    await this.scanning;
    return this.events;
  }

  async of(contract: string, eventName?: string): Promise<ChainEvent[]> {
    return (await this.all()).filter((e) => e.contract === contract && (!eventName || e.eventName === eventName));
  }

  private async scan(): Promise<void> {
    const latest = await this.chain.publicClient.getBlockNumber({ cacheTime: 0 });
    const from = this.scannedTo === undefined ? BigInt(this.chain.deployments.startBlock) : this.scannedTo + 1n;
    if (from > latest) return;
    const fresh: ChainEvent[] = [];
    for (const [name, typed] of Object.entries(CHORUS_ABIS)) {
      const c = this.chain.deployments.contracts[name];
      if (!c) continue;
      // Every event of the contract, whatever its name: the ABI as a plain Abi (the explorer shows args as data).
      const abi: Abi = typed;
      const logs = await this.chain.publicClient.getContractEvents({ address: c.address, abi, fromBlock: from, toBlock: latest, strict: true });
      for (const l of logs) {
        const args = isList(l.args) ? Object.fromEntries(l.args.map((v, i) => [String(i), v])) : l.args;
        fresh.push({ contract: name, eventName: l.eventName, args, blockNumber: l.blockNumber, logIndex: l.logIndex, txHash: l.transactionHash, timestamp: 0 });
      }
    }
    for (const b of new Set(fresh.map((e) => e.blockNumber))) {
      if (!this.times.has(b)) this.times.set(b, Number((await this.chain.publicClient.getBlock({ blockNumber: b })).timestamp));
    }
    for (const e of fresh) e.timestamp = this.times.get(e.blockNumber)!;
    fresh.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
    this.events = this.events.concat(fresh);
    this.scannedTo = latest;
  }
}
