/**
 * Round ids come from batches of consecutive sequence numbers a coordinator reserves on chain before their seed
 * exists (Settlement.openBatch): round id = coordinator << 96 | seq, its committee seed keccak256(batch seed,
 * round id), the batch seed the hash of the block after the reservation. Sequences settle in order, so a round
 * that fails must be voided before later ones settle (the settlement submitter does it: every issued sequence
 * that is neither running, nor queued, nor settled is voided).
 *
 * The sequencer hands out these ids and remembers which are running, queued, failed or closed. One instance is
 * injected into the coordinator (which takes tickets and reports completion or failure) and into the settlement
 * submitter (which reports what the chain closed and what it set aside, and settles when the sequencer waits for its
 * sequences to close). The chain-backed one is src/chain/sequencer.ts; `MemorySequencer` serves tests and
 * chain-less swarms.
 */
import type { Address, Hex } from "viem";
import { makeRoundId, roundIdParts } from "../core/index.js";
import { keccak256, promiseOf } from "../core/index.js";
import { concat, toHex } from "viem";

/** What a coordinator needs to run one round. */
export interface RoundTicket {
  roundId: Hex;
  seq: bigint;
  /** The batch seed: the hash of block `seedBlock`. */
  batchSeed: Hex;
  seedBlock: bigint;
  /** The batch's weight period: the draw uses the weights when it began. */
  period: number;
}

/** The sequencer's view for the settlement submitter. */
export interface SequenceState {
  /** Highest sequence handed out (0 when none). */
  issuedThrough: bigint;
  /** Sequences whose round is still running (never void these). */
  running: ReadonlySet<bigint>;
  /** Sequences whose round completed and whose record went to the settlement queue. */
  queued: ReadonlySet<bigint>;
  /** Sequences whose round failed (to be voided). */
  failed: ReadonlySet<bigint>;
  /** Highest sequence known to be closed on chain, settled or voided (0 before the first look). */
  closedThrough: bigint;
}

/** Whether the state holds sequences still to void or settle: failed ones, or issued ones not yet closed. */
export function hasUnclosed(state: SequenceState): boolean {
  return state.failed.size > 0 || state.issuedThrough > state.closedThrough;
}

export interface RoundSequencer {
  readonly coordinator: Address;
  /** The next round's ticket (opens a batch and waits for its seed when needed). */
  next(opts?: { signal?: AbortSignal }): Promise<RoundTicket>;
  /** The round's record is queued for settlement. */
  completed(roundId: Hex): void;
  /** The round failed: its sequence is to be voided. */
  failed(roundId: Hex): void;
  /** Sequences up to `seq` are closed on chain (settled or voided): forget them. */
  closed(seq: bigint): void;
  state(): SequenceState;
  /**
   * Registers `settle` (the settlement submitter's flush): the sequencer calls it while it waits for its issued
   * sequences to close (a new batch replaces the previous one only once everything in it settled or was voided).
   * Returns the function that unregisters it.
   */
  onSettlementNeeded(settle: () => Promise<void>): () => void;
}

/** Bookkeeping shared by sequencers: running / queued / failed / closed sequences, and who settles them. */
export class SequenceBook {
  issuedThrough = 0n;
  private closedThrough = 0n;
  private readonly running = new Set<bigint>();
  private readonly queued = new Set<bigint>();
  private readonly failedSeqs = new Set<bigint>();
  private readonly settlers = new Set<() => Promise<void>>();

  issue(seq: bigint): void {
    if (seq > this.issuedThrough) this.issuedThrough = seq;
    this.running.add(seq);
  }
  completed(roundId: Hex): void {
    const { seq } = roundIdParts(roundId);
    this.running.delete(seq);
    this.queued.add(seq);
  }
  failed(roundId: Hex): void {
    const { seq } = roundIdParts(roundId);
    this.running.delete(seq);
    this.queued.delete(seq);
    this.failedSeqs.add(seq);
  }
  closed(through: bigint): void {
    if (through > this.closedThrough) this.closedThrough = through;
    for (const set of [this.queued, this.failedSeqs]) for (const s of set) if (s <= through) set.delete(s);
  }
  state(): SequenceState {
    return {
      issuedThrough: this.issuedThrough,
      running: new Set(this.running),
      queued: new Set(this.queued),
      failed: new Set(this.failedSeqs),
      closedThrough: this.closedThrough,
    };
  }
  onSettlementNeeded(settle: () => Promise<void>): () => void {
    this.settlers.add(settle);
    return () => this.settlers.delete(settle);
  }
  /** Asks every registered settler to settle and void what it can now; their failures are theirs to report. */
  async settleNow(): Promise<void> {
    await Promise.all([...this.settlers].map((settle) => settle().catch(() => {})));
  }
}

/**
 * Sequences without a chain: consecutive from 1, batches of `batchSize` with a seed derived from the batch number,
 * all in weight period `period`. For tests and chain-less swarms.
 */
export class MemorySequencer implements RoundSequencer {
  private readonly book = new SequenceBook();
  private next_ = 1n;

  constructor(
    readonly coordinator: Address,
    private readonly opts: { batchSize?: number; period?: number } = {},
  ) {}

  next(): Promise<RoundTicket> {
    // answers at once; a throw stays a rejection, as the chain-backed sequencer's would be
    return promiseOf(() => {
      const seq = this.next_++;
      this.book.issue(seq);
      const batch = (seq - 1n) / BigInt(this.opts.batchSize ?? 16);
      const seedBlock = 1000n + batch;
      return {
        roundId: makeRoundId(this.coordinator, seq),
        seq,
        batchSeed: keccak256(concat([toHex("chorus memory batch"), toHex(seedBlock, { size: 32 })])),
        seedBlock,
        period: this.opts.period ?? 1,
      };
    });
  }
  completed(roundId: Hex): void {
    this.book.completed(roundId);
  }
  failed(roundId: Hex): void {
    this.book.failed(roundId);
  }
  closed(seq: bigint): void {
    this.book.closed(seq);
  }
  state(): SequenceState {
    return this.book.state();
  }
  onSettlementNeeded(settle: () => Promise<void>): () => void {
    return this.book.onSettlementNeeded(settle);
  }
}

/** One step towards settling a coordinator's queued rounds in sequence order. */
export type SettlementStep = { kind: "settle"; seqs: bigint[] } | { kind: "void"; through: bigint };

/**
 * What to do next, given the last sequence closed on chain, the queued sequences (the queue's listing) and the
 * sequencer's state: settle the run of queued sequences that follows `lastSeq`, or void the run of sequences
 * that will never have a record (failed, or issued by a previous life of this node and not queued), or nothing
 * (`undefined`: the next sequence is still running, or not issued yet). Pure.
 */
export function nextSettlementStep(
  lastSeq: bigint,
  queued: ReadonlySet<bigint>,
  state: SequenceState,
  batchEnd?: bigint,
): SettlementStep | undefined {
  const busy = (s: bigint) => state.running.has(s) || (state.queued.has(s) && !queued.has(s));
  const issued = (s: bigint) => s <= state.issuedThrough && (batchEnd === undefined || s <= batchEnd);
  let s = lastSeq + 1n;
  if (queued.has(s)) {
    const seqs: bigint[] = [];
    while (queued.has(s)) seqs.push(s++);
    return { kind: "settle", seqs };
  }
  if (!issued(s) || busy(s)) return undefined;
  while (issued(s + 1n) && !queued.has(s + 1n) && !busy(s + 1n)) s++;
  return { kind: "void", through: s };
}
