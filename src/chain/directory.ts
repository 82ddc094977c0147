/**
 * The swarm as the chain sees it: active staked nodes, their endpoints and stake, their reputation
 * (Settlement) and whether their capability pass is valid (CapabilityRegistry). Cached briefly so a busy
 * node does not ask the RPC for every round. The committee draw's weights of a weight period (`weightsAt`) are
 * read as Settlement judges them (see `readPeriodWeights`) and cached per period: they no longer change once the
 * period began.
 */
import type { Address, Hex } from "viem";
import type { Directory, NodeEntry, PeriodWeights } from "../round/ports.js";
import { chorusContracts, type ChorusChain } from "./contracts.js";
import { listActiveNodes } from "./registry.js";

import { REP_INITIAL } from "../consensus/fixed.js";

export { REP_INITIAL };

export interface ChainDirectoryOptions {
  cacheMs?: number;
}

export class ChainDirectory implements Directory {
  private cache?: { at: number; nodes: Promise<NodeEntry[]> };

  constructor(
    private readonly chain: ChorusChain,
    private readonly opts: ChainDirectoryOptions = {},
  ) {}

  candidates(): Promise<NodeEntry[]> {
    const now = Date.now();
    if (!this.cache || now - this.cache.at > (this.opts.cacheMs ?? 2000)) {
      const nodes = this.load();
      this.cache = { at: now, nodes };
      nodes.catch(() => (this.cache = undefined));
    }
    return this.cache.nodes;
  }

  /** Forget the cache (after a stake or capability change). */
  invalidate(): void {
    this.cache = undefined;
  }

  private readonly periods = new Map<number, Promise<PeriodWeights>>();

  weightsAt(period: number): Promise<PeriodWeights> {
    let got = this.periods.get(period);
    if (!got) {
      got = readPeriodWeights(this.chain, period);
      got.catch(() => this.periods.delete(period));
      this.periods.set(period, got);
      for (const oldest of this.periods.keys()) {
        if (this.periods.size <= 8) break;
        this.periods.delete(oldest);
      }
    }
    return got;
  }

  async latestBlock(): Promise<{ number: bigint; hash: Hex }> {
    const block = await this.chain.publicClient.getBlock({ blockTag: "latest" });
    return { number: block.number, hash: block.hash };
  }

  async closedThrough(coordinator: Address): Promise<bigint> {
    return chorusContracts(this.chain).settlement.read.lastSequence([coordinator]);
  }

  async blockHash(number: bigint): Promise<Hex> {
    const block = await this.chain.publicClient.getBlock({ blockNumber: number });
    return block.hash;
  }

  private async load(): Promise<NodeEntry[]> {
    const active = await listActiveNodes(this.chain);
    const { settlement, capabilityRegistry } = chorusContracts(this.chain);
    const entries = await Promise.all(
      active.map(async (n) => {
        const [reputation, capable] = await Promise.all([
          settlement.read.reputationOf([n.address]).then(Number),
          capabilityRegistry ? capabilityRegistry.read.isCapable([n.address]) : true,
        ]);
        return capable ? { address: n.address, endpoint: n.endpoint, stake: n.staked, reputation } : undefined;
      }),
    );
    return entries.filter((e): e is NodeEntry => e !== undefined);
  }
}

/**
 * The draw's inputs for weight period `period`, as Settlement judges them: every registered node, its stake just
 * before the period began (0 when below the minimum stake then, or when its capability pass had expired by the
 * period's start), its reputation when the period began (Settlement.reputationAt; 0 when no longer known), the
 * total stake then, tau and the minimum committee. Endpoints are the current ones (where to reach a member).
 */
export async function readPeriodWeights(
  chain: ChorusChain,
  period: number,
  opts: { pageSize?: number; blockNumber?: bigint } = {},
): Promise<PeriodWeights> {
  const { settlement, nodeRegistry, capabilityRegistry } = chorusContracts(chain);
  const at = { blockNumber: opts.blockNumber };
  const [periodLength, tau, minCommittee, count] = await Promise.all([
    settlement.read.periodLength(at),
    settlement.read.committeeSeats(at),
    settlement.read.minCommittee(at),
    nodeRegistry.read.registeredCount(at),
  ]);
  const start = BigInt(period) * periodLength;
  const pageSize = BigInt(opts.pageSize ?? 200);
  const nodes: Address[] = [];
  for (let offset = 0n; offset < count; offset += pageSize) {
    nodes.push(...(await nodeRegistry.read.registeredNodes([offset, pageSize], at)));
  }
  const [stakes, total, minimum] =
    nodes.length > 0 ? await nodeRegistry.read.stakesAt([nodes, start - 1n], at) : [[], 0n, 0n];
  const candidates = await Promise.all(
    nodes.map(async (address, i): Promise<NodeEntry> => {
      const [info, [rep, known], capable] = await Promise.all([
        nodeRegistry.read.nodeInfo([address], at),
        settlement.read.reputationAt([address, period], at),
        capabilityRegistry ? capabilityRegistry.read.passOf([address], at).then((p) => p.validUntil > start) : true,
      ]);
      const stake = stakes[i] >= minimum && capable ? stakes[i] : 0n;
      return { address, endpoint: info.endpoint, stake, reputation: known ? Number(rep) : 0 };
    }),
  );
  return { period, candidates, totalStake: total, tau: Number(tau), minCommittee: Number(minCommittee) };
}
