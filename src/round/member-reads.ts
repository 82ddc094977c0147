/**
 * A member's cached reads of the chain (member.ts): the active nodes (the cheap sender check and the committee
 * recomputation share one read), the latest block (seed blocks must be recent), and the check that this member
 * was drawn for a round from a recent seed block, from its own reads.
 */
import type { Address, Hex } from "viem";
import { ChorusError } from "../core/index.js";
import type { AnswerRequest } from "../protocol/index.js";
import { checkCommittee, type MemberLimits } from "./member-checks.js";
import type { Directory, NodeEntry } from "./ports.js";

export interface MemberReadDeps {
  directory: Directory;
  signer: { address: Address };
  /** The hash of block `number` as this member's chain reads it; when given, a request's seed block must match it. */
  blockHash?: (number: bigint, opts: { signal?: AbortSignal }) => Promise<Hex>;
}

export class MemberReads {
  private active?: { at: number; read: Promise<{ nodes: NodeEntry[]; set: Set<string> }> };
  private latest?: { at: number; block: Promise<{ number: bigint; hash: Hex }> };

  constructor(
    private readonly deps: MemberReadDeps,
    private readonly limits: MemberLimits,
    private readonly now: () => number,
  ) {}

  /**
   * The directory's active nodes, cached for `activeCacheMs`: the cheap sender check and the committee
   * recomputation share one read (`fresh` forgets the cache, and the directory's own when it has one).
   */
  activeNodes(fresh = false): Promise<{ nodes: NodeEntry[]; set: Set<string> }> {
    const t = this.now();
    if (fresh) (this.deps.directory as { invalidate?: () => void }).invalidate?.();
    if (fresh || !this.active || t - this.active.at > this.limits.activeCacheMs) {
      // No caller's signal: the read is shared, one caller leaving must not fail it for the others.
      const read = this.deps.directory
        .candidates()
        .then((nodes) => ({ nodes, set: new Set(nodes.map((n) => n.address.toLowerCase())) }));
      this.active = { at: t, read };
      read.catch(() => (this.active = undefined));
    }
    return this.active.read;
  }

  async activeSet(): Promise<Set<string>> {
    return (await this.activeNodes()).set;
  }

  /** The chain's latest block, cached for a second; undefined when the directory reads no chain (tests). */
  latestBlock(opts: { signal?: AbortSignal }, fresh = false): Promise<{ number: bigint; hash: Hex }> | undefined {
    const directory = this.deps.directory;
    if (!directory.latestBlock) return undefined;
    const t = this.now();
    if (fresh || !this.latest || t - this.latest.at > 1000) {
      const block = directory.latestBlock(opts);
      this.latest = { at: t, block };
      block.catch(() => (this.latest = undefined));
    }
    return this.latest.block;
  }

  /** Checks that this member was drawn for the round from a recent seed block, from its own reads. */
  async checkDrawn(roundId: Hex, req: AnswerRequest, opts: { signal?: AbortSignal }): Promise<void> {
    const seedNumber = BigInt(req.seedBlock.number);
    let latest = await this.latestBlock(opts);
    // A seed block ahead of the cached latest block: the chain moved on since; read it again.
    if (latest && seedNumber > latest.number + BigInt(this.limits.maxSeedLeadBlocks))
      latest = await this.latestBlock(opts, true);
    if (
      latest &&
      (seedNumber + BigInt(this.limits.maxSeedAgeBlocks) < latest.number ||
        seedNumber > latest.number + BigInt(this.limits.maxSeedLeadBlocks))
    ) {
      throw new ChorusError(
        "PEER_BAD_SEED",
        `seed block ${seedNumber} is not within ${this.limits.maxSeedAgeBlocks} blocks of the latest (${latest.number})`,
        {
          seedBlock: seedNumber,
          latest: latest.number,
        },
      );
    }
    if (this.deps.blockHash) {
      const hash = await this.deps.blockHash(seedNumber, opts);
      if (hash.toLowerCase() !== req.seedBlock.hash.toLowerCase()) {
        throw new ChorusError("PEER_BAD_SEED", `block ${seedNumber} has hash ${hash}, not ${req.seedBlock.hash}`, {
          expected: hash,
          got: req.seedBlock.hash,
        });
      }
    }
    // the weights of a period are fixed once it began: the directory caches them per period
    checkCommittee(roundId, req, await this.deps.directory.weightsAt(req.period, opts), this.deps.signer.address);
  }
}
