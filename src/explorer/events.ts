/**
 * Chain events the explorer shows, read with viem from the deployment's start block and indexed incrementally
 * in memory (each call scans only the blocks added since the last one), in pages of at most `chain.logRange`
 * blocks per eth_getLogs (hosted RPCs refuse wider queries; a page the RPC still refuses is halved). Block
 * timestamps are read once per block with events and cached (bounded). No database: restart, and it reads
 * the chain again.
 */
import type { Abi } from "viem";
import { BlockTimes, pagedContractEvents, type ChorusChain } from "../chain/index.js";

export interface ChainEvent {
  contract: string;
  eventName: string;
  args: Record<string, unknown>;
  blockNumber: bigint;
  logIndex: number;
  txHash: string;
  timestamp: number;
}

export class EventLog {
  private events: ChainEvent[] = [];
  private scannedTo?: bigint;
  private scanning?: Promise<void>;
  private readonly times: BlockTimes;

  constructor(private readonly chain: ChorusChain) {
    this.times = new BlockTimes(chain);
  }

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
    for (const [name, c] of Object.entries(this.chain.deployments.contracts)) {
      const logs = await pagedContractEvents(this.chain, { address: c.address, abi: c.abi as Abi, fromBlock: from, toBlock: latest });
      for (const l of logs) {
        fresh.push({ contract: name, eventName: l.eventName, args: l.args, blockNumber: l.blockNumber!, logIndex: l.logIndex!, txHash: l.transactionHash!, timestamp: 0 });
      }
    }
    for (const e of fresh) e.timestamp = await this.times.of(e.blockNumber);
    fresh.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
    this.events = this.events.concat(fresh);
    this.scannedTo = latest;
  }
}
