import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { keccak256, toHex } from "viem";
import { EpochSubmitter, SettlementQueue, type QueuedRecord, type SettlementPort } from "../../src/settlement/index.js";
import { ChorusError, makeRoundId } from "../../src/core/index.js";
import { MemorySequencer } from "../../src/round/sequencer.js";

const id = (i: number) => keccak256(toHex(`round-${i}`));
/** Round ids in the order an epoch holds them (ascending). */
const ordered = (...ids: string[]) => [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));

describe("settlement queue and epoch submitter", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(os.tmpdir(), "chorus-queue-"))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("queue: records survive a restart (a new queue on the same directory) with bigints intact", async () => {
    const q1 = new SettlementQueue<{ delta: bigint }>(dir);
    await q1.add(id(1), { delta: -5n }, 1);
    await q1.add(id(2), { delta: 7n }, 2);
    await q1.add(id(1), { delta: 99n }, 3); // a duplicate keeps the first
    const q2 = new SettlementQueue<{ delta: bigint }>(dir);
    const items = await q2.list();
    expect(items.map((i) => [i.roundId, i.record.delta])).to.deep.equal([
      [id(1), -5n],
      [id(2), 7n],
    ]);
    await q2.markSettled([id(1)], { txHash: "0xabc" });
    expect(await q2.status(id(1))).to.equal("settled");
    expect(await q2.status(id(2))).to.equal("pending");
    expect(await new SettlementQueue(dir).size()).to.equal(1);
    await q2.add(id(1), { delta: 1n });
    expect(await q2.size(), "a settled round is not queued again").to.equal(1);
  });

  it("queue: rejects a round id that is not bytes32 hex (no path tricks)", async () => {
    const q = new SettlementQueue(dir);
    let code = "";
    await q.add("../../etc/passwd", {}).catch((e) => (code = e.code));
    expect(code).to.equal("INPUT_INVALID");
  });

  /** A chain stand-in that records what was submitted and can be taken down. */
  function fakeChain() {
    const onChain = new Set<string>();
    const submissions: string[][] = [];
    let down = false;
    const port: SettlementPort<unknown> = {
      async settledOnChain(ids) {
        if (down) throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
        return new Set(ids.filter((i) => onChain.has(i)));
      },
      async submitEpoch(records: readonly QueuedRecord[]) {
        if (down) throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
        for (const r of records) {
          if (onChain.has(r.roundId)) throw new Error(`round ${r.roundId} settled twice`);
          onChain.add(r.roundId);
        }
        submissions.push(records.map((r) => r.roundId));
        return { txHash: `0x${submissions.length}` };
      },
    };
    return { port, onChain, submissions, setDown: (v: boolean) => (down = v) };
  }

  it("submitter: settles once the epoch is full, never twice, and skips rounds others settled", async () => {
    const q = new SettlementQueue(dir);
    const chain = fakeChain();
    const sub = new EpochSubmitter(q, chain.port, { maxRounds: 3, intervalMs: 60_000 });
    await q.add(id(1), {});
    await q.add(id(2), {});
    sub.notify();
    await new Promise((r) => setTimeout(r, 50));
    expect(chain.submissions, "two of three rounds: the epoch is not full yet").to.have.length(0);
    await q.add(id(3), {});
    sub.notify();
    await new Promise((r) => setTimeout(r, 50));
    expect(chain.submissions).to.deep.equal([ordered(id(1), id(2), id(3))]);
    chain.onChain.add(id(5)); // someone else settled round 5 already
    await q.add(id(4), {});
    await q.add(id(5), {});
    await sub.flush();
    expect(chain.submissions[1]).to.deep.equal([id(4)]);
    expect(await q.status(id(5))).to.equal("settled");
    expect(await q.size()).to.equal(0);
    await sub.flush();
    expect(chain.submissions).to.have.length(2);
  });

  it("submitter: with the RPC down it backs off and settles everything once the chain is back", async () => {
    const q = new SettlementQueue(dir);
    const chain = fakeChain();
    const logs: string[] = [];
    const sub = new EpochSubmitter(q, chain.port, {
      maxRounds: 2,
      intervalMs: 10,
      backoffMs: 20,
      maxBackoffMs: 80,
      log: (l) => logs.push(l),
    });
    chain.setDown(true);
    await q.add(id(1), {});
    await q.add(id(2), {});
    sub.start();
    await new Promise((r) => setTimeout(r, 150));
    expect(chain.submissions).to.have.length(0);
    expect(logs.some((l) => /settlement failed .*ECONNREFUSED.*retrying in \d+ ms/.test(l))).to.equal(true);
    expect(await q.size()).to.equal(2);
    chain.setDown(false);
    await new Promise((r) => setTimeout(r, 1200));
    await sub.stop();
    expect(chain.submissions).to.deep.equal([ordered(id(1), id(2))]);
    expect(await q.size()).to.equal(0);
  });

  it("submitter: a batch the chain refuses for good is retried one record at a time; the bad record is set aside with its reason", async () => {
    const q = new SettlementQueue(dir);
    const submissions: string[][] = [];
    const bad = id(2);
    const port: SettlementPort<unknown> = {
      settledOnChain: async () => new Set(),
      async submitEpoch(records) {
        if (records.some((r) => r.roundId === bad))
          throw new ChorusError("SETTLEMENT_REFUSED", `SettlementQuorumNotReached(${bad})`);
        submissions.push(records.map((r) => r.roundId));
        return { txHash: "0x1" };
      },
    };
    const sub = new EpochSubmitter(q, port, { maxRounds: 10, intervalMs: 60_000, backoffMs: 1, maxBackoffMs: 1 });
    for (const i of [1, 2, 3]) await q.add(id(i), {});
    for (let i = 0; i < 6; i++) {
      await sub.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await q.status(bad)).to.equal("failed");
    expect(submissions.flat().sort()).to.deep.equal([id(1), id(3)].sort());
    expect(await q.size()).to.equal(0);
  });
  it("submitter: a state database that fails under it is logged and retried, never an unhandled rejection (which would end the node)", async () => {
    const q = new SettlementQueue(dir);
    await q.add(id(1), {});
    const logs: string[] = [];
    const sub = new EpochSubmitter(q, fakeChain().port, { maxRounds: 1, intervalMs: 60_000, log: (l) => logs.push(l) });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      q.close(); // every read now throws
      sub.notify();
      await sub.flush();
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).to.deep.equal([]);
      expect(logs[0]).to.match(/^settlement failed \(The database connection is not open\); retrying in 500 ms$/);
      expect(sub.lastError).to.equal("The database connection is not open");
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  describe("with the node's round sequencer", () => {
    const me = "0x00000000000000000000000000000000000000a1";
    const other = "0x00000000000000000000000000000000000000b2";

    it("a deferred outcome is not a failure: no backoff, no error, the next flush tries again at once", async () => {
      const q = new SettlementQueue(dir);
      const seq = new MemorySequencer(me);
      let calls = 0;
      const logs: string[] = [];
      const port: SettlementPort<unknown> = {
        settledOnChain: async () => new Set(),
        async submitEpoch() {
          calls++;
          return { deferred: "sequence 1 is still running", closedThrough: 0n };
        },
      };
      const sub = new EpochSubmitter(q, port, {
        maxRounds: 10,
        intervalMs: 60_000,
        backoffMs: 60_000,
        sequencer: seq,
        log: (l) => logs.push(l),
      });
      await q.add(makeRoundId(me, 2n), {});
      await sub.flush();
      sub.notify(); // a backoff of 60 s would skip this attempt
      await new Promise((r) => setTimeout(r, 20));
      await sub.flush();
      expect(calls).to.equal(2);
      expect(sub.lastError).to.equal(undefined);
      expect(logs.filter((l) => /settlement failed/.test(l))).to.deep.equal([]);
    });

    it("hands the port the sequencer's state, reports what the chain closed, and has a refused or dropped round of its own voided", async () => {
      const q = new SettlementQueue(dir);
      const seq = new MemorySequencer(me);
      const tickets = [await seq.next(), await seq.next(), await seq.next()];
      for (const t of tickets) seq.completed(t.roundId);
      const seen: bigint[][] = [];
      const port: SettlementPort<unknown> = {
        sequenced: true,
        settledOnChain: async () => new Set(),
        async submitEpoch(records, state) {
          seen.push([...(state?.queued ?? [])].sort());
          if (records.some((r) => r.roundId === tickets[1].roundId))
            throw new ChorusError("SETTLEMENT_REFUSED", "SettlementQuorumNotReached");
          return {
            settledIds: records.map((r) => r.roundId),
            dropped: [{ roundId: makeRoundId(other, 9n), reason: "another coordinator's" }],
            closedThrough: 1n,
          };
        },
      };
      const sub = new EpochSubmitter(q, port, {
        maxRounds: 10,
        intervalMs: 60_000,
        backoffMs: 1,
        maxBackoffMs: 1,
        sequencer: seq,
      });
      await q.add(makeRoundId(other, 9n), {});
      for (const t of tickets) await q.add(t.roundId, {});
      for (let i = 0; i < 6; i++) await sub.flush();
      expect(seen[0]).to.deep.equal([1n, 2n, 3n]);
      expect(await q.status(tickets[1].roundId)).to.equal("failed");
      expect(await q.status(makeRoundId(other, 9n))).to.equal("failed");
      const state = seq.state();
      expect(
        [...state.failed],
        "its own refused round is to be voided; another coordinator's is not its to void",
      ).to.deep.equal([2n]);
      expect(state.closedThrough).to.equal(1n);
    });

    it("settles when the sequencer waits for its sequences to close, and calls a sequenced port without records only while there are sequences to void", async () => {
      const q = new SettlementQueue(dir);
      const seq = new MemorySequencer(me);
      const calls: number[] = [];
      let closed = 0n;
      const port: SettlementPort<unknown> = {
        sequenced: true,
        settledOnChain: async () => new Set(),
        async submitEpoch(records, state) {
          calls.push(records.length);
          closed = state?.issuedThrough ?? 0n; // voids everything issued
          return { txHash: "0x1", closedThrough: closed };
        },
      };
      const sub = new EpochSubmitter(q, port, { maxRounds: 10, intervalMs: 60_000, sequencer: seq });
      await sub.flush();
      expect(calls, "nothing issued: nothing to void").to.deep.equal([]);
      const t = await seq.next();
      seq.failed(t.roundId);
      // what ChainSequencer does before opening a new batch (SequenceBook.settleNow through onSettlementNeeded)
      const book = (seq as unknown as { book: { settleNow(): Promise<void> } }).book;
      await book.settleNow();
      expect(calls).to.deep.equal([0]);
      expect(seq.state().closedThrough).to.equal(1n);
      await sub.flush();
      expect(calls, "everything closed: no further call").to.deep.equal([0]);
      await sub.stop();
      await seq.next();
      await book.settleNow();
      expect(calls, "a stopped submitter no longer listens").to.deep.equal([0]);
    });
  });
});
