/**
 * The swarm as the chain sees it: active staked nodes, their endpoints and stake, their reputation
 * (Settlement) and whether their capability pass is valid (CapabilityRegistry). Cached briefly so a busy
 * node does not ask the RPC for every round; the seed block for committee draws is a recent block.
 */
import type { Address, Hex } from "viem";
import type { Directory, NodeEntry } from "../round/ports.js";
import { readContract, type ChorusChain } from "./contracts.js";
import { listActiveNodes } from "./registry.js";

import { REP_INITIAL } from "../consensus/fixed.js";

export { REP_INITIAL };

export interface ChainDirectoryOptions {
  cacheMs?: number;
  /** Contract and view names, for deployments that name them differently. */
  reputation?: { contract: string; fn: string };
  capability?: { contract: string; fn: string };
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

  async seedBlock(): Promise<{ number: bigint; hash: Hex }> {
    const block = await this.chain.publicClient.getBlock({ blockTag: "latest" });
    return { number: block.number!, hash: block.hash! };
  }

  private async load(): Promise<NodeEntry[]> {
    const active = await listActiveNodes(this.chain);
    const rep = this.opts.reputation ?? { contract: "Settlement", fn: "reputationOf" };
    const cap = this.opts.capability ?? { contract: "CapabilityRegistry", fn: "isCapable" };
    const hasRep = !!this.chain.deployments.contracts[rep.contract];
    const hasCap = !!this.chain.deployments.contracts[cap.contract];
    const entries = await Promise.all(
      active.map(async (n) => {
        const [reputation, capable] = await Promise.all([
          hasRep ? readContract<bigint | number>(this.chain, rep.contract, rep.fn, [n.address]).then(Number) : REP_INITIAL,
          hasCap ? readContract<boolean>(this.chain, cap.contract, cap.fn, [n.address]) : true,
        ]);
        return capable ? { address: n.address as Address, endpoint: n.endpoint, stake: n.staked, reputation } : undefined;
      }),
    );
    return entries.filter((e): e is NodeEntry => e !== undefined);
  }
}
