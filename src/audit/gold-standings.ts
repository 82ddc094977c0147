/**
 * Gold standings from public data, as of a block (issue 20): the cached, incremental scan that the
 * coordinator, every member and `chorus audit round` run alike. It reads GoldRegistry's commits, reveals and
 * voids and Settlement's RoundSettled events up to the block asked for (once: later calls read only the
 * blocks after the last one scanned), fetches the transcripts an item could grade (checked against their
 * CIDs, cached by CID), finds each revealed item's round and grades it with the pure code of
 * src/protocol/gold.ts (`goldRoundOf`, `gradeGoldTranscript`), and folds the grades of every item revealed at
 * or before the block (`goldStandingsAtBlock`). A graded round voided (`RoundVoided`, an upheld dispute) at or before
 * the block grades nobody: its item counts for no one from that block on. Everything it reads is fixed once the block is mined, so two
 * honest readers of the same chain and IPFS content compute the same standings.
 */
import type { Address, Hex } from "viem";
import { ChorusError } from "../core/index.js";
import { chorusContracts, pagedContractEvents, type ChorusChain } from "../chain/index.js";
import { bytes32ToCid } from "../ipfs/index.js";
import {
  goldRoundOf,
  goldStandingsAtBlock,
  gradeGoldTranscript,
  type ConsensusRules,
  type GradedGoldItem,
  type RevealedGold,
  type SettledRound,
  type Transcript,
} from "../protocol/index.js";

export interface GoldScanDeps {
  chain: ChorusChain;
  rules: ConsensusRules;
  /** Fetches a dag-json document by CID (IPFS); the scanner checks it against the CID with `cidOf`. */
  getJson: (cid: string, opts?: { signal?: AbortSignal }) => Promise<unknown>;
  cidOf: (value: unknown) => Promise<string>;
}

interface SetInfo {
  curator: Address;
  committedAt: number;
  voidedBlock?: bigint;
}

interface Reveal {
  setId: bigint;
  index: number;
  promptHash: Hex;
  answer: string;
  roundPeriod: number;
  block: bigint;
  revealedAt: number;
}

interface Settled {
  roundId: Hex;
  transcriptCid: string;
  block: bigint;
  settledAt: number;
}

type Log = { args: Record<string, unknown>; blockNumber: bigint };

/** The standings port of src/round (`GoldStandingsPort`), read from a chain with a GoldRegistry. */
export class GoldStandingsScanner {
  private scanned: bigint;
  private readonly sets = new Map<bigint, SetInfo>();
  private readonly reveals: Reveal[] = [];
  private readonly settled: Settled[] = [];
  private readonly graded = new Map<string, { item: GradedGoldItem; roundId: Hex } | null>();
  /** Block of each settled round's `RoundVoided` (lower-case round id). */
  private readonly voidedRounds = new Map<string, bigint>();
  private readonly transcripts = new Map<string, Promise<Transcript>>();
  private readonly times = new Map<bigint, Promise<number>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: GoldScanDeps) {
    this.scanned = BigInt(deps.chain.deployments.startBlock) - 1n;
  }

  /** Whether this chain has a GoldRegistry (without one every standing is absent). */
  static available(chain: ChorusChain): boolean {
    // A deployments file may lack either (older deployments): checked at run time whatever its type says.
    const { GoldRegistry, Settlement } = chain.deployments.contracts as Partial<typeof chain.deployments.contracts>;
    return GoldRegistry !== undefined && Settlement !== undefined;
  }

  /**
   * Each node's standing (lower-case address) from every gold item revealed at or before `block`, graded
   * against the first round with its prompt drawn after the commit and settled before the reveal. Calls are
   * serialised (one scan at a time); a failed read fails the call and leaves the cache as it was.
   */
  standingsAt(block: bigint, opts: { signal?: AbortSignal } = {}): Promise<Record<string, number>> {
    const run = this.queue.then(() => this.compute(block, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async compute(block: bigint, opts: { signal?: AbortSignal }): Promise<Record<string, number>> {
    if (!GoldStandingsScanner.available(this.deps.chain)) return {};
    await this.scanTo(block);
    const items: GradedGoldItem[] = [];
    for (const r of this.reveals) {
      if (r.block > block) continue;
      const set = this.sets.get(r.setId);
      if (!set || (set.voidedBlock !== undefined && set.voidedBlock <= block)) continue;
      const key = `${r.setId}/${r.index}`;
      if (!this.graded.has(key)) this.graded.set(key, await this.grade(r, set, opts));
      const g = this.graded.get(key);
      if (!g) continue;
      const voided = this.voidedRounds.get(g.roundId.toLowerCase());
      if (voided !== undefined && voided <= block) continue;
      items.push(g.item);
    }
    return goldStandingsAtBlock(items, block);
  }

  /** Reads the events of blocks (scanned, block] once; later calls start after them. */
  private async scanTo(block: bigint): Promise<void> {
    if (block <= this.scanned) return;
    const { chain } = this.deps;
    const { goldRegistry, settlement } = chorusContracts(chain);
    if (!goldRegistry) return;
    const range = { fromBlock: this.scanned + 1n, toBlock: block };
    const read = (address: Address, abi: typeof goldRegistry.abi | typeof settlement.abi, eventName: string) =>
      pagedContractEvents(chain, { address, abi, eventName, ...range }) as unknown as Promise<Log[]>;
    const [commits, reveals, voids, settledLogs, roundVoids] = await Promise.all([
      read(goldRegistry.address, goldRegistry.abi, "GoldSetCommitted"),
      read(goldRegistry.address, goldRegistry.abi, "GoldItemRevealed"),
      read(goldRegistry.address, goldRegistry.abi, "GoldSetVoided"),
      read(settlement.address, settlement.abi, "RoundSettled"),
      read(settlement.address, settlement.abi, "RoundVoided"),
    ]);
    const sets = new Map<bigint, SetInfo>();
    for (const l of commits)
      sets.set(l.args.setId as bigint, {
        curator: l.args.curator as Address,
        committedAt: await this.timeOf(l.blockNumber),
      });
    const newReveals: Reveal[] = [];
    for (const l of reveals)
      newReveals.push({
        setId: l.args.setId as bigint,
        index: Number(l.args.index),
        promptHash: l.args.promptHash as Hex,
        answer: l.args.answer as string,
        roundPeriod: Number(l.args.roundPeriod),
        block: l.blockNumber,
        revealedAt: await this.timeOf(l.blockNumber),
      });
    const newSettled: Settled[] = [];
    for (const l of settledLogs)
      newSettled.push({
        roundId: l.args.roundId as Hex,
        transcriptCid: bytes32ToCid(l.args.transcriptCid).toString(),
        block: l.blockNumber,
        settledAt: await this.timeOf(l.blockNumber),
      });
    // Only now, with every read done: a failed read leaves the scan where it was.
    for (const [id, s] of sets) this.sets.set(id, s);
    for (const l of voids) {
      const s = this.sets.get(l.args.setId as bigint);
      if (s && s.voidedBlock === undefined) s.voidedBlock = l.blockNumber;
    }
    for (const l of roundVoids) {
      const id = (l.args.roundId as Hex).toLowerCase();
      if (!this.voidedRounds.has(id)) this.voidedRounds.set(id, l.blockNumber);
    }
    this.reveals.push(...newReveals);
    this.settled.push(...newSettled);
    this.scanned = block;
  }

  /** Grades one revealed item from the transcripts of the rounds settled between its set's commit and its reveal. */
  private async grade(
    r: Reveal,
    set: SetInfo,
    opts: { signal?: AbortSignal },
  ): Promise<{ item: GradedGoldItem; roundId: Hex } | null> {
    const rounds: SettledRound[] = [];
    for (const s of this.settled) {
      if (s.block > r.block || s.settledAt <= set.committedAt) continue;
      const transcript = await this.transcript(s.transcriptCid, opts);
      rounds.push({
        transcript,
        drawnAt: await this.timeOf(BigInt(transcript.committee.seedBlock.number)),
        settledAt: s.settledAt,
      });
    }
    const item: RevealedGold = {
      setId: r.setId,
      index: r.index,
      curator: set.curator,
      promptHash: r.promptHash,
      answer: r.answer,
      roundPeriod: r.roundPeriod,
      committedAt: set.committedAt,
      revealedAt: r.revealedAt,
    };
    const round = goldRoundOf(item, rounds);
    if (!round) return null;
    return {
      roundId: round.transcript.roundId,
      item: {
        curator: set.curator,
        setId: r.setId,
        index: r.index,
        revealedAt: r.revealedAt,
        revealedBlock: r.block,
        grades: gradeGoldTranscript(round.transcript, item, this.deps.rules),
      },
    };
  }

  private transcript(cid: string, opts: { signal?: AbortSignal }): Promise<Transcript> {
    let p = this.transcripts.get(cid);
    if (!p) {
      p = (async () => {
        const t = await this.deps.getJson(cid, opts);
        if ((await this.deps.cidOf(t)) !== cid)
          throw new ChorusError("AUDIT_UNAVAILABLE", `transcript ${cid} does not hash to its CID`, { cid });
        return t as Transcript;
      })();
      this.transcripts.set(cid, p);
      p.catch(() => this.transcripts.delete(cid));
    }
    return p;
  }

  private timeOf(n: bigint): Promise<number> {
    let p = this.times.get(n);
    if (!p) {
      p = this.deps.chain.publicClient.getBlock({ blockNumber: n }).then((b) => Number(b.timestamp));
      this.times.set(n, p);
      p.catch(() => this.times.delete(n));
    }
    return p;
  }
}
