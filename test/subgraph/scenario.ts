/**
 * The chain scenario the subgraph test indexes (test/subgraph/subgraph.test.ts): a Chorus deployment on Hardhat's
 * in-process chain goes through staking, calibration, a coordinator's batch settled as two PENDING epochs of drawn
 * records (with data sources and extreme deltas), source updates and leaving, stake changes, an equivocation
 * proof, an upheld dispute voiding a round of the pending epoch 1, an open dispute holding a lock (and epoch 1's
 * finality), a coordinator's unpaid sequence voids and a withdrawal; then epoch 2 becomes final, then epoch 1 (out
 * of order, its voided round left out, the source that left skipped). The chain's own views are read at three
 * checkpoints (all pending, epoch 2 final, both final) so the test compares the subgraph's pending and final
 * values, as of each checkpoint's block, to them.
 */
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import {
  decodeEventLog,
  encodeAbiParameters,
  keccak256,
  parseAbiParameters,
  parseEther,
  type Abi,
  type AbiEvent,
  type Address,
} from "viem";
import { type FinalizeInput } from "../../src/chain/finality.js";
import {
  recordArgs,
  recordDigest,
  signRecord,
  type RoundRecord,
  type SignedRecord,
  type SourceDelta,
} from "../../src/core/index.js";
import { SUBGRAPH_CONTRACTS } from "../../scripts/subgraph-manifest-lib.js";
import {
  cid,
  deploySwarm,
  drawnRecord,
  finalizeEpochs,
  finalizeInputOf,
  nextCommittee,
  openBatch,
  settle,
  signAll,
  type Batch,
  type Swarm,
} from "../kit/chorus-fixture.js";
import type { HostEvent } from "./graph-host.js";

export const lower = (a: string) => a.toLowerCase();

/** The chain's own views at one checkpoint (after the block `block`). */
export interface ChainState {
  block: bigint;
  /** Settlement.reputationOf by lower-case node address. */
  reputation: Map<string, number>;
  /** SourceRegistry.sourceOf by lower-case source address. */
  sources: Map<string, { reliability: number; usefulness: number; active: boolean }>;
  /** Settlement.epochStatus and what finalizeEpoch takes (from the events), by epoch number (1-based). */
  epochs: Map<number, { final: boolean; voidedRounds: number; input: FinalizeInput }>;
}

export interface Scenario {
  s: Swarm;
  epochs: RoundRecord[][];
  /** The round an upheld dispute voided (in epoch 1). */
  voided: RoundRecord;
  /** Checkpoints: every epoch pending; epoch 2 final and epoch 1 pending; both final. */
  pending: ChainState;
  half: ChainState;
  final: ChainState;
}

async function chainState(s: Swarm): Promise<ChainState> {
  const reputation = new Map<string, number>();
  for (const n of s.nodes) reputation.set(lower(n.address), Number(await s.settlement.read.reputationOf([n.address])));
  const sources = new Map<string, { reliability: number; usefulness: number; active: boolean }>();
  for (const a of s.sourceActors) {
    const o = await s.sources.read.sourceOf([a.address]);
    sources.set(lower(a.address), { reliability: o.reliability, usefulness: o.usefulness, active: o.active });
  }
  const epochs = new Map<number, { final: boolean; voidedRounds: number; input: FinalizeInput }>();
  const count = Number(await s.settlement.read.epochCount());
  for (let e = 1; e <= count; e++) {
    const [settled, isFinal, , voidedRounds] = await s.settlement.read.epochStatus([BigInt(e)]);
    expect(settled).to.equal(true);
    epochs.set(e, { final: isFinal, voidedRounds: Number(voidedRounds), input: await finalizeInputOf(s, e) });
  }
  return { block: await s.publicClient.getBlockNumber(), reputation, sources, epochs };
}

/** Drives the contracts through every event the subgraph maps. */
export async function runScenario(): Promise<Scenario> {
  const s = await deploySwarm({ nodes: 4, sources: 2 });
  const [n0, n1, n2, n3] = s.nodes;
  const parts = s.nodes.map((n) => n.address);
  const servedCid = cid("served");
  const [src0, src1] = s.sourceActors.map((a) => a.address);
  // One batch of n0 covers both epochs; with 4 equal stakes and 7 seats every node holds a seat in each round.
  const batch: Batch = await openBatch(s, n0, 21);
  const next = async (deltas?: number[], sources: SourceDelta[] = [], winner?: Address) => {
    expect((await nextCommittee(s, batch)).committee.members).to.have.length(4);
    const r = await drawnRecord(s, batch, { participants: parts, deltas, sources });
    if (winner) r.winner = winner;
    return r;
  };
  // Epoch 1: three rounds, the last one with both sources; the upheld dispute voids that one, so its deltas never
  // take effect (had they, epoch 1's finality would move n0 off 1_000_000 and src0 off 0 / 1_000_000).
  const e1 = [await next(), await next()];
  e1.push(
    await next(
      [-20_000, 30_000, 1_000, -2_000],
      [
        { source: src0, reliability: 20_000, usefulness: -10_000, servedCid },
        { source: src1, reliability: -30_000, usefulness: 40_000, servedCid },
      ],
      n2.address,
    ),
  );
  // Epoch 2: eighteen rounds of extreme deltas: its net deltas (+-900_000) clamp n0, n1 and src0 at both bounds when
  // it becomes final (nodes start at 250_000, sources at 500_000).
  const e2: RoundRecord[] = [];
  for (let i = 0; i < 18; i++) {
    const winner = i % 2 === 0 ? n0.address : n2.address;
    e2.push(
      await next(
        [50_000, -50_000, 1_234, -4_321],
        [{ source: src0, reliability: -50_000, usefulness: 50_000, servedCid }],
        winner,
      ),
    );
  }
  const sign = (records: RoundRecord[]) =>
    Promise.all(records.map((r) => signAll(s.domain, r, s.nodes, s.sourceActors)));
  const signed1: SignedRecord[] = await sign(e1);
  await settle(s, n0.wallet, signed1);
  await settle(s, n0.wallet, await sign(e2));

  // Sources: one updates its endpoint, the other leaves (so epoch 1's finality skips it).
  await (await s.as(s.sourceActors[0].wallet)).sources.write.update(["http://127.0.0.1/src/moved", cid("manifest 2")]);
  await (await s.as(s.sourceActors[1].wallet)).sources.write.leave();

  // Stake: n3 adds, then moves most into thawing (and leaves the active set); n1 requests an unstake.
  await s.token.write.transfer([n3.address, parseEther("50")]);
  const c3 = await s.as(n3.wallet);
  await c3.token.write.approve([s.registry.address, parseEther("50")]);
  await c3.registry.write.addStake([parseEther("50")]);
  await c3.registry.write.requestUnstake([parseEther("500")]);
  await c3.registry.write.updateNode(["http://127.0.0.1/n3-moved", cid("meta 2")]);
  const c1 = await s.as(n1.wallet);
  await c1.registry.write.requestUnstake([parseEther("100")]);

  // Disputes, all within the 1800 s window of epoch 1. n3 signed a conflicting record of round 1 (same seed and
  // period): the deployer, who committed to the proof first, proves it (slashed from staked, then thawing).
  const digests = e1.map((r) => recordDigest(s.domain, r));
  const a = e1[0];
  const b: RoundRecord = { ...a, transcriptCid: cid("another transcript") };
  const salt = cid("prover salt");
  const prover = s.deployer.account.address;
  await s.disputes.write.commitEquivocationProof([
    keccak256(
      encodeAbiParameters(parseAbiParameters("address, bytes32, bytes32, bytes32"), [
        prover,
        digests[0],
        recordDigest(s.domain, b),
        salt,
      ]),
    ),
  ]);
  const settled = { epoch: 1n, epochDigests: digests, index: 0n, record: recordArgs(a) };
  await s.disputes.write.proveEquivocation([
    settled,
    signed1[0].signatures[n3.address],
    recordArgs(b),
    await signRecord(n3.account, s.domain, b),
    salt,
  ]);
  // Dispute 1 against epoch 1's third record names n0 and n1, n2 is added, and the arbitrator upholds it: the
  // round is voided. Dispute 2 against the second record names n0 and stays open, holding n0's stake locked.
  await s.token.write.approve([s.disputes.address, parseEther("200")]);
  const voided = e1[2];
  const sigs = (i: number, who: typeof s.nodes) => who.map((n) => signed1[i].signatures[n.address]);
  await s.disputes.write.openDispute([1n, digests, 2n, recordArgs(voided), sigs(2, [n0, n1]), cid("evidence")]);
  await s.disputes.write.addSigners([1n, recordArgs(voided), sigs(2, [n2])]);
  await s.disputes.write.uphold([1n, recordArgs(voided)]);
  await s.disputes.write.openDispute([1n, digests, 1n, recordArgs(e1[1]), sigs(1, [n0]), cid("evidence 2")]);

  // n2 reserves three sequences and abandons them by opening another batch: its initial credit pays one void,
  // the other two cost reputation and stake.
  await openBatch(s, n2, 3);
  await openBatch(s, n2, 1);

  // The thawing period passes: n1 withdraws.
  await time.increase(3601);
  await c1.registry.write.withdraw();

  // Finality: epoch 2 first (nothing holds it), then epoch 1 (held by dispute 2's deadline), out of order.
  const pending = await chainState(s);
  expect(await finalizeEpochs(s, { epochs: [2] })).to.deep.equal([2]);
  const half = await chainState(s);
  expect(await finalizeEpochs(s, { epochs: [1], sender: n3.wallet })).to.deep.equal([1]); // anyone may finalize
  const final = await chainState(s);
  return { s, epochs: [e1, e2], voided, pending, half, final };
}

/** Every log of the deployment's subgraph contracts as host triggers, in block and log order. */
export async function collectEvents(s: Swarm): Promise<HostEvent[]> {
  const byAddress = new Map<string, { name: string; abi: Abi }>();
  for (const name of SUBGRAPH_CONTRACTS) {
    const c = s.deployments.contracts[name];
    byAddress.set(lower(c.address), { name, abi: c.abi });
  }
  const logs = await s.publicClient.getLogs({ fromBlock: BigInt(s.deployments.startBlock), toBlock: "latest" });
  const blocks = new Map<bigint, bigint>();
  const txs = new Map<string, { from: Address; to: Address | null; index: number }>();
  const out: HostEvent[] = [];
  for (const log of logs) {
    const ds = byAddress.get(lower(log.address));
    if (!ds) continue;
    const decoded = decodeEventLog({ abi: ds.abi, data: log.data, topics: log.topics });
    const eventName = decoded.eventName as string | undefined;
    const abi = ds.abi.find((x) => x.type === "event" && x.name === eventName) as AbiEvent;
    if (!blocks.has(log.blockNumber))
      blocks.set(log.blockNumber, (await s.publicClient.getBlock({ blockNumber: log.blockNumber })).timestamp);
    if (!txs.has(log.transactionHash)) {
      const tx = await s.publicClient.getTransaction({ hash: log.transactionHash });
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- viem types a mined transaction, but a pending one has no index
      txs.set(log.transactionHash, { from: tx.from, to: tx.to ?? null, index: tx.transactionIndex ?? 0 });
    }
    const tx = txs.get(log.transactionHash)!;
    out.push({
      dataSource: ds.name,
      abi,
      args: decoded.args as unknown as Record<string, unknown>,
      address: log.address,
      logIndex: log.logIndex,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      timestamp: blocks.get(log.blockNumber)!,
      txHash: log.transactionHash,
      txIndex: tx.index,
      from: tx.from,
      to: tx.to,
    });
  }
  return out.sort((x, y) =>
    x.blockNumber === y.blockNumber ? x.logIndex - y.logIndex : x.blockNumber < y.blockNumber ? -1 : 1,
  );
}
