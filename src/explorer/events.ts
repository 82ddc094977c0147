/**
 * Chain events the explorer shows, read with viem from the deployment's start block and indexed incrementally
 * in memory (each call scans only the blocks added since the last one), in pages of at most `chain.logRange`
 * blocks per eth_getLogs (hosted RPCs refuse wider queries; a page the RPC still refuses is halved). Block
 * timestamps are read once per block with events and cached (bounded). No database: restart, and it reads
 * the chain again.
 */
import type { Abi } from "viem";
import { present } from "../core/index.js";
import { BlockTimes, CHORUS_ABIS, pagedContractEvents, type ChorusChain } from "../chain/index.js";

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
    for (const [name, typed] of Object.entries(CHORUS_ABIS)) {
      // the deployment file is read from disk: a contract it does not list is skipped
      const deployed: Partial<ChorusChain["deployments"]["contracts"]> = this.chain.deployments.contracts;
      const c = deployed[name];
      if (!c) continue;
      // Every event of the contract, whatever its name: the ABI as a plain Abi (the explorer shows args as data).
      const abi: Abi = typed;
      const logs = await pagedContractEvents(this.chain, { address: c.address, abi, fromBlock: from, toBlock: latest });
      for (const l of logs) {
        const args = isList(l.args) ? Object.fromEntries(l.args.map((v, i) => [String(i), v])) : l.args;
        fresh.push({
          contract: name,
          eventName: l.eventName,
          args,
          blockNumber: present(l.blockNumber, "a mined log's block"),
          logIndex: present(l.logIndex, "a mined log's index"),
          txHash: present(l.transactionHash, "a mined log's transaction"),
          timestamp: 0,
        });
      }
    }
    for (const e of fresh) e.timestamp = await this.times.of(e.blockNumber);
    fresh.sort((a, b) =>
      a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
    );
    this.events = this.events.concat(fresh);
    this.scannedTo = latest;
  }
}
