/**
 * The chain-backed round sequencer (see src/round/sequencer.ts): reserves batches of sequence numbers with
 * `Settlement.openBatch`, waits for the seed block to be mined, fixes the seed on chain (`fixSeed`, so the batch
 * outlives the 256-block window of BLOCKHASH) and hands out consecutive round ids. The highest sequence handed out
 * is written to `stateFile` before the id is used, so after a restart the sequences of rounds that were running
 * are voided, never reused. A new batch is opened only once every issued sequence of the current one is closed on
 * chain (openBatch voids what is left of the previous batch): the settlers registered with `onSettlementNeeded`
 * (the submitter's flush) are called meanwhile. A batch is used while its records can still settle comfortably: the current weight period is at most
 * the batch's + 1, with `marginSeconds` left before they expire.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Address, Hex } from "viem";
import { makeRoundId, roundIdParts } from "../core/index.js";
import { ChorusError, present } from "../core/index.js";
import { SequenceBook, type RoundSequencer, type RoundTicket, type SequenceState } from "../round/sequencer.js";
import { requireWallet } from "./clients.js";
import { chorusContracts, type ChorusChain } from "./contracts.js";

export interface ChainSequencerOptions {
  /** Sequences reserved per batch (1..1024; default 16). Small batches waste less void credit. */
  batchSize?: number;
  /** Where the highest issued sequence is kept across restarts (none: after a restart, every unsettled sequence of
   *  the current batch is voided). */
  stateFile?: string;
  /** Mines a block on a development chain when the seed block does not come (Hardhat `hardhat_mine`). */
  mine?: () => Promise<void>;
  /** Longest wait for the seed block, and for the previous batch to close (default 60 s each). */
  waitMs?: number;
  pollMs?: number;
  /** Seconds before a batch's records expire after which no new round is started in it (default min(600, L/4)). */
  marginSeconds?: number;
  log?: (line: string) => void;
}

interface Batch {
  end: bigint;
  seedBlock: bigint;
  period: number;
  seed: Hex;
}

interface ChainBatch {
  lastSeq: bigint;
  batchEnd: bigint;
  seedBlock: bigint;
  period: number;
  seed: Hex;
}

const ZERO32: Hex = `0x${"00".repeat(32)}`;
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason instanceof Error ? signal.reason : new Error(`aborted: ${String(signal.reason)}`));
      },
      { once: true },
    );
  });

/** Serialises this process's transactions per chain (one wallet, one nonce sequence). */
const locks = new WeakMap<object, Promise<unknown>>();
export function withTxLock<T>(chain: ChorusChain, fn: () => Promise<T>): Promise<T> {
  const key = chain.walletClient ?? chain;
  const prev = locks.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  locks.set(
    key,
    run.catch(() => {}),
  );
  return run;
}

export async function readBatch(chain: ChorusChain, coordinator: Address): Promise<ChainBatch> {
  const [lastSeq, batchEnd, seedBlock, period, seed] = await chorusContracts(chain).settlement.read.batchOf([
    coordinator,
  ]);
  return {
    lastSeq,
    batchEnd,
    seedBlock,
    period,
    seed,
  };
}

export class ChainSequencer implements RoundSequencer {
  readonly coordinator: Address;
  private readonly book = new SequenceBook();
  private batch?: Batch;
  private ready?: Promise<void>;
  private opening?: Promise<void>;
  private issuing: Promise<unknown> = Promise.resolve();
  private periodLength?: bigint;

  constructor(
    private readonly chain: ChorusChain,
    private readonly opts: ChainSequencerOptions = {},
  ) {
    this.coordinator = requireWallet(chain).account.address;
    const size = opts.batchSize ?? 16;
    if (!Number.isInteger(size) || size < 1 || size > 1024) {
      throw new ChorusError("CONFIG_INVALID", `batch size must be an integer in 1..1024, got ${size}`, {
        batchSize: size,
      });
    }
  }

  next(opts: { signal?: AbortSignal } = {}): Promise<RoundTicket> {
    // one issue at a time: ids are handed out in order and persisted before use
    const run = this.issuing.then(() => this.issue(opts.signal));
    this.issuing = run.catch(() => {});
    return run;
  }

  completed(roundId: Hex): void {
    this.book.completed(roundId);
  }

  failed(roundId: Hex): void {
    this.book.failed(roundId);
    this.opts.log?.(`round ${roundId.slice(0, 12)}… failed: sequence ${roundIdParts(roundId).seq} will be voided`);
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

  private async issue(signal?: AbortSignal): Promise<RoundTicket> {
    await (this.ready ??= this.init().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    }));
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.batch && this.book.issuedThrough < this.batch.end && (await this.usable(this.batch))) {
        const seq = this.book.issuedThrough + 1n;
        await this.persist(seq);
        this.book.issue(seq);
        const { seedBlock, seed, period } = this.batch;
        return { roundId: makeRoundId(this.coordinator, seq), seq, batchSeed: seed, seedBlock, period };
      }
      await (this.opening ??= this.openNext(signal).finally(() => (this.opening = undefined)));
    }
    throw new ChorusError("ROUND_UNAVAILABLE", "could not reserve a batch of round sequences on chain");
  }

  /** Picks up the chain's current batch and the sequences issued before a restart. */
  private async init(): Promise<void> {
    this.periodLength = await chorusContracts(this.chain).settlement.read.periodLength();
    const b = await readBatch(this.chain, this.coordinator);
    const persisted = await this.readState();
    // Without a record of what was issued, every sequence of the current batch may have been used.
    this.book.issuedThrough = persisted ?? b.batchEnd;
    if (this.book.issuedThrough < b.lastSeq) this.book.issuedThrough = b.lastSeq;
    if (this.book.issuedThrough > b.batchEnd) this.book.issuedThrough = b.batchEnd; // a state file of another deployment
    if (b.batchEnd > this.book.issuedThrough) {
      const seed = b.seed !== ZERO32 ? b.seed : await this.seedOf(b.seedBlock).catch(() => undefined);
      if (seed) this.batch = { end: b.batchEnd, seedBlock: b.seedBlock, period: b.period, seed };
    }
  }

  /** A batch takes new rounds while they can settle: the current period is at most its + 1, with a margin. */
  private async usable(b: Batch): Promise<boolean> {
    const block = await this.chain.publicClient.getBlock({ blockTag: "latest" });
    const L = present(this.periodLength, "the period length read at start");
    const margin = BigInt(this.opts.marginSeconds ?? Number(L / 4n < 600n ? L / 4n : 600n));
    return block.timestamp + margin < (BigInt(b.period) + 2n) * L;
  }

  private async openNext(signal?: AbortSignal): Promise<void> {
    const waitMs = this.opts.waitMs ?? 60_000;
    const poll = this.opts.pollMs ?? 200;
    // Every issued sequence must be closed first: openBatch voids what is left of the current batch.
    let b = await readBatch(this.chain, this.coordinator);
    const deadline = Date.now() + waitMs;
    while (b.lastSeq < this.book.issuedThrough && b.lastSeq < b.batchEnd) {
      if (Date.now() > deadline) {
        throw new ChorusError(
          "ROUND_UNAVAILABLE",
          `the previous batch is not closed yet (sequence ${b.lastSeq} of ${this.book.issuedThrough} issued)`,
          {
            lastSeq: b.lastSeq,
            issuedThrough: this.book.issuedThrough,
          },
        );
      }
      await this.book.settleNow();
      await sleep(poll, signal);
      b = await readBatch(this.chain, this.coordinator);
    }
    const size = BigInt(this.opts.batchSize ?? 16);
    await withTxLock(this.chain, () => chorusContracts(this.chain).settlement.write.openBatch([size]));
    b = await readBatch(this.chain, this.coordinator);
    this.book.issuedThrough = b.lastSeq;
    this.book.closed(b.lastSeq);
    await this.persist(b.lastSeq);
    const seed = await this.waitForSeed(b.seedBlock, deadline + waitMs, signal);
    this.batch = { end: b.batchEnd, seedBlock: b.seedBlock, period: b.period, seed };
    this.opts.log?.(
      `reserved sequences ${b.lastSeq + 1n}..${b.batchEnd} (period ${b.period}, seed block ${b.seedBlock})`,
    );
    // Fix the seed on chain so the batch outlives BLOCKHASH's 256-block window (best effort: settleEpoch fixes it too).
    await withTxLock(this.chain, () => chorusContracts(this.chain).settlement.write.fixSeed([this.coordinator])).catch(
      (err: unknown) =>
        this.opts.log?.(`fixSeed failed (settlement will fix it): ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  /** The hash of `seedBlock` once a later block exists (so fixSeed can run), mining one on dev chains. */
  private async waitForSeed(seedBlock: bigint, deadline: number, signal?: AbortSignal): Promise<Hex> {
    for (let i = 0; ; i++) {
      const head = await this.chain.publicClient.getBlockNumber({ cacheTime: 0 });
      if (head > seedBlock) return this.seedOf(seedBlock);
      if (Date.now() > deadline) {
        throw new ChorusError("ROUND_UNAVAILABLE", `seed block ${seedBlock} was not mined in time (head ${head})`, {
          seedBlock,
          head,
        });
      }
      if (this.opts.mine) await this.opts.mine();
      else await sleep(this.opts.pollMs ?? 200, signal);
    }
  }

  private async seedOf(seedBlock: bigint): Promise<Hex> {
    const block = await this.chain.publicClient.getBlock({ blockNumber: seedBlock });
    return block.hash;
  }

  private async readState(): Promise<bigint | undefined> {
    if (!this.opts.stateFile) return undefined;
    try {
      const s = JSON.parse(await readFile(this.opts.stateFile, "utf8")) as {
        coordinator?: string;
        issuedThrough?: string;
      };
      const seq = s.issuedThrough;
      if (s.coordinator?.toLowerCase() !== this.coordinator.toLowerCase() || seq === undefined || !/^\d+$/.test(seq))
        return undefined;
      return BigInt(seq);
    } catch {
      return undefined;
    }
  }

  private async persist(issuedThrough: bigint): Promise<void> {
    const file = this.opts.stateFile;
    if (!file) return;
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ coordinator: this.coordinator, issuedThrough: issuedThrough.toString() }));
    await rename(tmp, file);
  }
}
