import { expect } from "chai";
import hre from "hardhat";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { concat, hashDomain, hexToBigInt, parseEther, size, slice, toHex, type Address, type Hex } from "viem";
import { expectRevert } from "../helpers/revert.js";
import {
  actor,
  cid,
  deployFull,
  deploySwarm,
  finalizeEpochs,
  makeCapable,
  makeRecord,
  nextCommittee,
  nextPeriod,
  openBatch,
  signAll,
  stakeActor,
  weightsAt,
  ZERO,
  type Actor,
  type Batch,
  type Full,
} from "../kit/chorus-fixture.js";
import { writeDeployments } from "../../deploy/index.js";
import {
  applyDelta,
  compactSignature,
  makeRoundId,
  MAX_REP_DELTA,
  normalizeSignature,
  recordArgs,
  recordDigest,
  recoverRecordSigner,
  recoverServiceSigner,
  REP_INITIAL,
  SOURCE_INITIAL,
  roundIdParts,
  serviceDigest,
  settlementDomain,
  signRecord,
  signServiceStatement,
  sortRecord,
  validateRecord,
  type RoundRecord,
  type SignedRecord,
  type SourceDelta,
} from "../../src/core/index.js";
import {
  decodeRoundDeltas,
  encodeEpoch,
  hasQuorum,
  recordsCommitment,
  selectQuorum,
} from "../../src/protocol/index.js";
import { isChorusError } from "../../src/core/index.js";
import { drawCommittee, roundSeed } from "../../src/protocol/index.js";

const STAKE = parseEther("500");
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
/** Sequences the fixture reserves for nodes[0]. */
const BATCH = 64n;

/**
 * Seven equal stakes with seven expected seats: every node's share is exactly one seat, so every node holds
 * exactly one seat in every round of the period (and the drawn committee is all seven). nodes[0] holds an open
 * batch of BATCH sequences.
 */
async function swarm() {
  const s = await deploySwarm({ nodes: 7, sources: 3 });
  const batch = await openBatch(s, s.nodes[0], Number(BATCH));
  return { ...s, batch };
}
type S = Awaited<ReturnType<typeof swarm>>;

type RecordOpts = Partial<Parameters<typeof makeRecord>[0]>;

/** The record of round `seq` of `b`'s coordinator, with its round seed and weight period. */
function recordIn(b: Batch, seq: bigint, participants: readonly Address[], o: RecordOpts = {}): RoundRecord {
  const seed = roundSeed(b.seed, makeRoundId(b.coordinator.address, seq));
  return makeRecord({ coordinator: b.coordinator.address, seq, participants, seed, period: b.period, ...o });
}

/** Round `seq` of nodes[0]'s batch listing all seven nodes (its drawn committee). */
const record = (s: S, seq: bigint, o: RecordOpts = {}) =>
  recordIn(
    s.batch,
    seq,
    s.nodes.map((n) => n.address),
    o,
  );

/** Settles `signed` as `sender` (default: the coordinator of the first record) in the records' weight period. */
async function settle(s: Full & { nodes: Actor[] }, signed: SignedRecord[], sender?: Actor) {
  const e = encodeEpoch(signed);
  const from = sender ?? s.nodes.find((n) => n.address === roundIdParts(signed[0].record.roundId).coordinator)!;
  const c = await s.as(from.wallet);
  const hash = await c.settlement.write.settleEpoch([signed[0].record.period, e.nodes, e.sources, e.records]);
  return { hash, e };
}

/** simulate.settleEpoch with raw arguments (possibly corrupted), in weight period `period` (default: the batch's). */
async function simulateRaw(
  s: S,
  sender: Actor,
  args: { nodes: Address[]; sources: Address[]; records: Hex },
  period = s.batch.period,
) {
  const c = await s.as(sender.wallet);
  return c.settlement.simulate.settleEpoch([period, args.nodes, args.sources, args.records]);
}

/** `hex` with `bytes` written at byte offset `at`. */
function patch(hex: Hex, at: number, bytes: Hex): Hex {
  return concat([slice(hex, 0, at), bytes, slice(hex, at + size(bytes))]);
}

/** Byte offsets in an epoch of one run holding one record (see ISettlement): r0 = 24. */
const R0 = 24;
const off = {
  n: R0 + 76,
  index: (j: number) => R0 + 77 + j,
  winner: (n: number) => R0 + 77 + n,
  k: (n: number) => R0 + 79 + 5 * n,
  position: (n: number, j: number) => R0 + 80 + 5 * n + j,
  sig: (n: number, k: number, j: number) => R0 + 80 + 5 * n + k + 64 * j,
};

const byAddress = <T extends { address: Address }>(xs: readonly T[]) =>
  [...xs].sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1));

describe("Settlement", () => {
  describe("deployment", () => {
    it("deploy scripts 03-06 deploy and wire everything and the deployments file lists it", async () => {
      const s = await loadFixture(swarm);
      const names = Object.keys(s.deployments.contracts);
      expect(names).to.deep.equal([
        "ChorusTimelock",
        "ChorusToken",
        "NodeRegistry",
        "CapabilityRegistry",
        "SourceRegistry",
        "EpochFinality",
        "Settlement",
        "Omissions",
        "Disputes",
        "GoldRegistry",
      ]);
      expect((await s.settlement.read.nodeRegistry()).toLowerCase()).to.equal(s.registry.address.toLowerCase());
      expect((await s.settlement.read.capabilityRegistry()).toLowerCase()).to.equal(s.capability.address.toLowerCase());
      expect((await s.settlement.read.sourceRegistry()).toLowerCase()).to.equal(s.sources.address.toLowerCase());
      const slasher = await s.registry.read.SLASHER_ROLE();
      expect(await s.registry.read.hasRole([slasher, s.disputes.address])).to.equal(true);
      // Settlement slashes coordinators for voids beyond their credit
      expect(await s.registry.read.hasRole([slasher, s.settlement.address])).to.equal(true);
      // the omission-proof contract alone may void settled rounds, and slashes the coordinator that omitted
      const omissions = s.deployments.contracts.Omissions.address;
      const [voidOmissions, voidDisputes] = await s.settlement.read.voiders();
      expect(voidOmissions.toLowerCase()).to.equal(omissions.toLowerCase());
      expect(voidDisputes.toLowerCase()).to.equal(s.disputes.address.toLowerCase());
      expect((await s.registry.read.disputes()).toLowerCase()).to.equal(s.disputes.address.toLowerCase());
      expect(await s.registry.read.hasRole([slasher, omissions])).to.equal(true);
      expect(await s.settlement.read.periodLength()).to.equal(3600n);
      expect(await s.settlement.read.committeeSeats()).to.equal(7n);
      expect(await s.settlement.read.minCommittee()).to.equal(1n); // deployFull's default for contract tests
      expect((await deployFull({ minCommittee: 3 })).deployments.params.minCommittee).to.equal(3);
      expect(await s.sources.read.hasRole([await s.sources.read.SCORER_ROLE(), s.settlement.address])).to.equal(true);
      for (const key of [
        "curator",
        "arbitrator",
        "equivocationSlashBps",
        "disputeDeposit",
        "disputeWindow",
        "arbitrationPeriod",
        "periodLength",
        "committeeSeats",
        "minCommittee",
      ]) {
        expect(s.deployments.params, key).to.have.property(key);
      }
      const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-deploy-"));
      try {
        const file = await writeDeployments(s.deployments, dir);
        const written = JSON.parse(await readFile(file, "utf8"));
        expect(Object.keys(written.contracts)).to.deep.equal(names);
        expect(written.contracts.Disputes.args[5].deposit).to.equal(parseEther("100").toString());
        expect(written.contracts.Settlement.abi.some((i: { name?: string }) => i.name === "settleEpoch")).to.equal(
          true,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("settlers: deploy parameter `settlers` get SETTLER_ROLE", async () => {
      const extra = await actor(1, "settler");
      const f = await deployFull({ settlers: [extra.address] });
      expect(await f.settlement.read.hasRole([await f.settlement.read.SETTLER_ROLE(), extra.address])).to.equal(true);
    });

    it("constructor: reverts on any zero address and on parameters out of bounds", async () => {
      const s = await loadFixture(swarm);
      const a = s.deployer.account.address;
      type Args = [Address, Address, Address, Address, bigint, bigint, bigint];
      const libraries = { EpochFinality: s.deployments.contracts.EpochFinality.address };
      const deployError = async (args: Args) => {
        try {
          await hre.viem.deployContract("Settlement", args, { libraries });
        } catch (e) {
          return String((e as { message?: unknown }).message);
        }
        return "deployed";
      };
      for (let i = 0; i < 4; i++) {
        const args: Args = [a, a, a, a, 3600n, 7n, 3n];
        args[i] = ZERO;
        expect(await deployError(args)).to.contain("SettlementZeroAddress");
      }
      // periodLength in [60, 1 day], seats in [3, 64], minCommittee in [1, seats]
      const bad: [number, bigint][] = [
        [4, 59n],
        [4, 86_401n],
        [5, 2n],
        [5, 65n],
        [6, 0n],
        [6, 8n],
      ];
      for (const [i, v] of bad) {
        const args: Args = [a, a, a, a, 3600n, 7n, 3n];
        args[i] = v;
        expect(await deployError(args), `arg ${i} = ${v}`).to.contain("SettlementParameterOutOfBounds");
      }
      const ok = await hre.viem.deployContract("Settlement", [a, a, a, a, 60n, 64n, 64n], { libraries });
      expect([
        await ok.read.periodLength(),
        await ok.read.committeeSeats(),
        await ok.read.minCommittee(),
      ]).to.deep.equal([60n, 64n, 64n]);
    });

    it("EIP-712: domain, record digest, service digest and epoch commitment agree with src/chain/records.ts", async () => {
      const s = await loadFixture(swarm);
      const eip712Domain = [
        { name: "name", type: "string" },
        { name: "version", type: "string" },
        { name: "chainId", type: "uint256" },
        { name: "verifyingContract", type: "address" },
      ] as const;
      expect(await s.settlement.read.domainSeparator()).to.equal(
        hashDomain({
          domain: { ...s.domain, chainId: BigInt(s.domain.chainId) },
          types: { EIP712Domain: eip712Domain },
        }),
      );
      const r = record(s, 5n, {
        sources: [{ source: s.sourceActors[0].address, reliability: -3, usefulness: 50_000, servedCid: cid("served") }],
        deltas: [-50_000, 1, 2, 3, 4, 5, 50_000],
      });
      expect(await s.settlement.read.recordDigest([recordArgs(r)])).to.equal(recordDigest(s.domain, r));
      expect(await s.settlement.read.serviceDigest([r.roundId, cid("served")])).to.equal(
        serviceDigest(s.domain, { roundId: r.roundId, servedCid: cid("served") }),
      );
      const digests = [recordDigest(s.domain, r), cid("x"), cid("y")];
      expect(await s.settlement.read.recordsCommitment([digests])).to.equal(recordsCommitment(digests));
      const sig = await signRecord(s.nodes[3].account, s.domain, r);
      expect((await recoverRecordSigner(s.domain, r, sig)).toLowerCase()).to.equal(s.nodes[3].address.toLowerCase());
      const st = await signServiceStatement(s.sourceActors[0].account, s.domain, {
        roundId: r.roundId,
        servedCid: cid("served"),
      });
      expect(await recoverServiceSigner(s.domain, { roundId: r.roundId, servedCid: cid("served") }, st)).to.equal(
        s.sourceActors[0].address,
      );
    });
  });

  describe("settleEpoch", () => {
    it("settles a round: reputations move, RoundSettled / EpochSettled explain it, the epoch is recorded", async () => {
      const s = await loadFixture(swarm);
      const r = record(s, 1n);
      // the drawn committee is all seven nodes, one seat each, as the contract judges them too
      expect((await nextCommittee(s, { ...s.batch })).committee.members).to.deep.equal(r.participants);
      for (const p of r.participants)
        expect(await s.settlement.read.seatsOf([p, r.seed, r.period, false])).to.equal(1n);
      const signed = await signAll(s.domain, r, s.nodes);
      const { hash, e } = await settle(s, [signed]);
      const block = await s.publicClient.getBlock({
        blockNumber: (await s.publicClient.getTransactionReceipt({ hash })).blockNumber,
      });
      // pending: nothing moved yet
      expect(await s.settlement.read.reputationsOf([r.participants])).to.deep.equal(
        r.deltas.map(() => BigInt(REP_INITIAL)),
      );
      expect(await finalizeEpochs(s)).to.deep.equal([1]);
      const reps = await s.settlement.read.reputationsOf([r.participants]);
      expect(reps).to.deep.equal(r.deltas.map((d) => BigInt(REP_INITIAL + d)));
      const [ev] = await s.settlement.getEvents.RoundSettled({ roundId: r.roundId }, { fromBlock: 0n });
      expect(ev.args.transcriptCid).to.equal(r.transcriptCid);
      const [ep] = await s.settlement.getEvents.EpochSettled({ epoch: 1n }, { fromBlock: 0n });
      expect(ep.args.settler!.toLowerCase()).to.equal(s.nodes[0].address.toLowerCase());
      expect(ep.args.rounds).to.equal(1n);
      expect(ep.args.nodes).to.deep.equal(e.nodes);
      expect(ep.args.deltas).to.deep.equal(e.nodes.map((n) => r.deltas[r.participants.indexOf(n)]));
      expect([ep.args.sources, ep.args.reliability, ep.args.usefulness]).to.deep.equal([[], [], []]);
      const [fin] = await s.settlement.getEvents.EpochFinalized({ epoch: 1n }, { fromBlock: 0n });
      expect(fin.args.nodes).to.deep.equal(e.nodes);
      expect(fin.args.reputations).to.deep.equal(e.nodes.map((n) => REP_INITIAL + r.deltas[r.participants.indexOf(n)]));
      expect(fin.args.voidedRounds).to.equal(0n);
      const decoded = decodeRoundDeltas(ev.args.deltas!, { nodes: ep.args.nodes! });
      expect(decoded.nodeAddresses).to.deep.equal(r.participants);
      expect(decoded.nodes.map((x) => x.delta)).to.deep.equal(r.deltas);
      expect(decoded.nodeAddresses![decoded.winner]).to.equal(r.winner);
      expect(decoded.sources).to.deep.equal([]);
      const digest = recordDigest(s.domain, r);
      const [commitment, settledAt] = await s.settlement.read.epochInfo([1n]);
      expect(commitment).to.equal(recordsCommitment([digest]));
      expect(ep.args.recordsCommitment).to.equal(commitment);
      expect(settledAt).to.equal(block.timestamp);
      expect(await s.settlement.read.epochCount()).to.equal(1n);
      expect(await s.settlement.read.isClosed([r.roundId])).to.equal(true);
      expect(await s.settlement.read.isClosed([makeRoundId(s.nodes[0].address, 2n)])).to.equal(false);
      expect(await s.settlement.read.lastSequence([s.nodes[0].address])).to.equal(1n);
      expect(await s.settlement.read.epochInfo([2n])).to.deep.equal([`0x${"00".repeat(32)}`, 0n]);
      expect(await s.settlement.read.reputationOf([s.deployer.account.address])).to.equal(BigInt(REP_INITIAL));
    });

    it("sums each node's deltas over the epoch and applies the net once, at finality, clamped to [0, 1_000_000]", async () => {
      const s = await loadFixture(swarm);
      const [hi, lo] = [s.nodes[1].address, s.nodes[2].address];
      const rest = s.nodes.slice(3).map((n) => n.address);
      const parts = [hi, lo, ...rest];
      const rounds: SignedRecord[] = [];
      const model = new Map<string, number>(parts.map((p) => [p.toLowerCase(), REP_INITIAL]));
      // from 250_000: a step-by-step clamp would stop hi at 1_000_000 and end at 950_000; the net (+750_000) lands on
      // 1_000_000 exactly, and lo's net (-750_000) clamps to 0
      const plan = [...Array(16).fill(50_000), -50_000];
      for (const [i, up] of plan.entries()) {
        const deltas = parts.map((p) => (p === hi ? up : p === lo ? -up : 0));
        // nodes[0] is left out: a record may list fewer than its drawn members (an omission is proven later)
        const r = record(s, BigInt(i + 1), { participants: parts, deltas });
        r.participants.forEach((p, j) => model.set(p.toLowerCase(), model.get(p.toLowerCase())! + r.deltas[j]));
        rounds.push(await signAll(s.domain, r, s.nodes));
      }
      await settle(s, rounds);
      await finalizeEpochs(s);
      for (const [p, v] of model) model.set(p, applyDelta(0, v));
      expect(await s.settlement.read.reputationOf([hi])).to.equal(1_000_000n);
      expect(await s.settlement.read.reputationOf([lo])).to.equal(0n);
      for (const p of parts)
        expect(await s.settlement.read.reputationOf([p])).to.equal(BigInt(model.get(p.toLowerCase())!));
    });

    it("settles several coordinators' runs in one epoch for a SETTLER_ROLE account; others only their own", async () => {
      const s = await loadFixture(swarm);
      const [a, b] = s.nodes;
      const all = s.nodes.map((n) => n.address);
      const bb = await openBatch(s, b, 8);
      const ra = recordIn(s.batch, 1n, all);
      const rb1 = recordIn(bb, 1n, all);
      const rb2 = recordIn(bb, 2n, all);
      const signed = [
        await signAll(s.domain, rb2, s.nodes),
        await signAll(s.domain, ra, s.nodes),
        await signAll(s.domain, rb1, s.nodes),
      ];
      const e = encodeEpoch(signed);
      expect(e.roundIds).to.have.length(3);
      // whichever run comes first, b's run is the one a may not settle
      await expectRevert(simulateRaw(s, a, e), "SettlementNotCoordinator", [b.address, a.address]);
      const settler = await actor(9, "settler");
      await s.settlement.write.grantRole([await s.settlement.read.SETTLER_ROLE(), settler.address]);
      await (await s.as(settler.wallet)).settlement.write.settleEpoch([s.batch.period, e.nodes, e.sources, e.records]);
      expect(await s.settlement.read.lastSequence([a.address])).to.equal(1n);
      expect(await s.settlement.read.lastSequence([b.address])).to.equal(2n);
      expect(await s.settlement.getEvents.RoundSettled({}, { fromBlock: 0n })).to.have.length(3);
      // a coordinator settles its own rounds without any role
      await settle(s, [await signAll(s.domain, recordIn(bb, 3n, all), s.nodes)]);
      expect(await s.settlement.read.lastSequence([b.address])).to.equal(3n);
    });
  });

  describe("quorum (seats)", () => {
    /**
     * Stakes 2000 / 500 / 500 / 500 with seven expected seats: the shares are exactly 4, 1, 1 and 1 seats, so seats
     * do not hang on the seed: the heavy node holds 4 of the 7 seats in every round of the period.
     */
    async function weighted() {
      const f = await deploySwarm({ nodes: 4, stakes: [parseEther("2000"), STAKE, STAKE, STAKE] });
      const [heavy, ...singles] = f.nodes;
      const batch = await openBatch(f, heavy, 16);
      return { ...f, heavy, singles, batch };
    }

    it("a node holding 4/7 of the stake holds 4 seats: src/round/committee.ts and Settlement.seatsOf agree", async () => {
      const w = await loadFixture(weighted);
      const { seed, committee } = await nextCommittee(w, { ...w.batch });
      expect(committee.members).to.deep.equal(byAddress(w.nodes).map((n) => n.address));
      expect(committee.seats.get(w.heavy.address.toLowerCase())).to.equal(4n);
      for (const x of w.singles) expect(committee.seats.get(x.address.toLowerCase())).to.equal(1n);
      expect(committee.totalSeats).to.equal(7n);
      for (const n of w.nodes) {
        expect(await w.settlement.read.seatsOf([n.address, seed, w.batch.period, false])).to.equal(
          committee.seats.get(n.address.toLowerCase()),
        );
        expect(await w.settlement.read.seatsOf([n.address, seed, w.batch.period, true])).to.equal(
          committee.seats.get(n.address.toLowerCase()),
        );
      }
      // an account with no stake when the period began holds no seat
      expect(await w.settlement.read.seatsOf([w.deployer.account.address, seed, w.batch.period, false])).to.equal(0n);
    });

    it("exactly 2/3 of the listed seats settles; the same signers short of 2/3 revert with the seats", async () => {
      const w = await loadFixture(weighted);
      const [s1, s2, s3] = w.singles;
      const at = (seq: bigint, who: Actor[]) =>
        recordIn(
          w.batch,
          seq,
          who.map((x) => x.address),
        );
      const settleOrRevert = async (r: RoundRecord, signers: Actor[]) =>
        settle(w, [await signAll(w.domain, r, signers)]);
      const sim = async (r: RoundRecord, signers: Actor[]) => {
        const e = encodeEpoch([await signAll(w.domain, r, signers)]);
        return (await w.as(w.heavy.wallet)).settlement.simulate.settleEpoch([
          w.batch.period,
          e.nodes,
          e.sources,
          e.records,
        ]);
      };
      // heavy + s1 + s2: 6 seats, the heavy node's 4 are exactly 2/3
      const r1 = at(1n, [w.heavy, s1, s2]);
      expect(hasQuorum(4n, 6n)).to.equal(true);
      await settleOrRevert(r1, [w.heavy]);
      // heavy + s1 + s2 + s3: 7 seats, 4 are short of 2/3; 5 are enough
      const r2 = at(2n, [w.heavy, s1, s2, s3]);
      expect(hasQuorum(4n, 7n)).to.equal(false);
      await expectRevert(sim(r2, [w.heavy]), "SettlementQuorumNotReached", [r2.roundId, 4n, 7n]);
      await expectRevert(sim(r2, [s1, s2, s3]), "SettlementQuorumNotReached", [r2.roundId, 3n, 7n]);
      await settleOrRevert(r2, [w.heavy, s3]);
      // three single seats: two of three is exactly 2/3, one is not
      const r3 = at(3n, [s1, s2, s3]);
      await expectRevert(sim(r3, [s2]), "SettlementQuorumNotReached", [r3.roundId, 1n, 3n]);
      await settleOrRevert(r3, [s1, s3]);
      expect(await w.settlement.read.lastSequence([w.heavy.address])).to.equal(3n);
    });

    it("selectQuorum and encodeEpoch({ seats }) carry only the seats needed: the heavy node alone", async () => {
      const w = await loadFixture(weighted);
      const weights = await weightsAt(w, w.batch.period);
      const seats = (r: RoundRecord, node: Address) =>
        drawCommittee(r.seed, weights.candidates, weights.tau, weights.total).seats.get(node.toLowerCase()) ?? 0n;
      const parts = [w.heavy, w.singles[0], w.singles[1]];
      const r = recordIn(
        w.batch,
        1n,
        parts.map((p) => p.address),
      );
      const all = await signAll(w.domain, r, parts);
      expect(
        selectQuorum(
          r,
          parts.map((p) => p.address),
          seats,
        ),
      ).to.deep.equal([w.heavy.address.toLowerCase()]);
      const e = encodeEpoch([all], { seats });
      expect(hexToBigInt(slice(e.records, off.k(3), off.k(3) + 1)), "one signature carried").to.equal(1n);
      await (await w.as(w.heavy.wallet)).settlement.write.settleEpoch([r.period, e.nodes, e.sources, e.records]);
      await finalizeEpochs(w);
      expect(await w.settlement.read.reputationOf([w.heavy.address])).to.equal(
        BigInt(REP_INITIAL + r.deltas[r.participants.indexOf(w.heavy.address)]),
      );
      let err: unknown;
      try {
        selectQuorum(r, [w.singles[0].address], seats);
      } catch (x) {
        err = x;
      }
      expect(isChorusError(err, "SETTLEMENT_NO_QUORUM")).to.equal(true);
    });
  });

  describe("replay and signatures", () => {
    it("a round settles once, in consecutive sequence within its batch: replays, gaps, voided and unreserved sequences revert", async () => {
      const s = await loadFixture(swarm);
      const [r1, r2, r3] = await Promise.all([1n, 2n, 3n].map((seq) => signAll(s.domain, record(s, seq), s.nodes)));
      await settle(s, [r1]);
      await expectRevert(simulateRaw(s, s.nodes[0], encodeEpoch([r1])), "SettlementRoundReplayed", [
        r1.record.roundId,
        1n,
        BATCH,
      ]);
      // a gap: sequence 3 before 2
      await expectRevert(simulateRaw(s, s.nodes[0], encodeEpoch([r3])), "SettlementRoundReplayed", [
        r3.record.roundId,
        1n,
        BATCH,
      ]);
      await settle(s, [r2]);
      expect(await s.settlement.read.lastSequence([s.nodes[0].address])).to.equal(2n);
      await expectRevert(simulateRaw(s, s.nodes[0], encodeEpoch([r1])), "SettlementRoundReplayed", [
        r1.record.roundId,
        2n,
        BATCH,
      ]);
      // a voided sequence is closed for good
      await (await s.as(s.nodes[0].wallet)).settlement.write.voidRounds([3n]);
      expect(await s.settlement.read.isClosed([r3.record.roundId])).to.equal(true);
      await expectRevert(simulateRaw(s, s.nodes[0], encodeEpoch([r3])), "SettlementRoundReplayed", [
        r3.record.roundId,
        3n,
        BATCH,
      ]);
      // beyond the reserved batch
      const one = await openBatch(s, s.nodes[1], 1);
      const all = s.nodes.map((n) => n.address);
      const [b1, b2] = await Promise.all([1n, 2n].map((seq) => signAll(s.domain, recordIn(one, seq, all), s.nodes)));
      await expectRevert(simulateRaw(s, s.nodes[1], encodeEpoch([b1, b2])), "SettlementRoundReplayed", [
        b2.record.roundId,
        1n,
        1n,
      ]);
      await settle(s, [b1]);
      expect(await s.settlement.read.lastSequence([s.nodes[1].address])).to.equal(1n);
    });

    it("signatures for another round id, another chain or another contract are rejected (SettlementBadSignature)", async () => {
      const s = await loadFixture(swarm);
      const r = record(s, 1n);
      const other = record(s, 2n, { label: `${s.nodes[0].address}-1` });
      const domains = {
        otherRound: s.domain,
        otherSeed: s.domain,
        otherPeriod: s.domain,
        otherChain: settlementDomain(1, s.settlement.address),
        otherContract: settlementDomain(31337, s.disputes.address),
      };
      const variants: Record<string, RoundRecord> = {
        otherRound: other,
        otherSeed: { ...r, seed: cid("another seed") },
        otherPeriod: { ...r, period: r.period - 1 },
      };
      for (const [what, domain] of Object.entries(domains)) {
        const signedFor = variants[what] ?? r;
        const sigs = (await signAll(domain, signedFor, s.nodes)).signatures;
        const e = encodeEpoch([{ record: r, signatures: sigs }]);
        const got = await expectRevert(simulateRaw(s, s.nodes[0], e), "SettlementBadSignature");
        expect(got[0], what).to.equal(r.roundId);
        expect(String(got[1]).toLowerCase(), what).to.equal(r.participants[0].toLowerCase());
        expect(String(got[2]).toLowerCase(), what).to.not.equal(String(got[1]).toLowerCase());
      }
    });

    it("signer positions must strictly increase and stay below n; high-s signatures never verify", async () => {
      const s = await loadFixture(swarm);
      const r = record(s, 1n);
      const signed = await signAll(s.domain, r, s.nodes);
      const e = encodeEpoch([signed]);
      const n = 7;
      const k = 7;
      expect(hexToBigInt(slice(e.records, off.k(n), off.k(n) + 1))).to.equal(7n);
      const dup = patch(e.records, off.position(n, 1), "0x00");
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: dup }), "SettlementSignersNotSorted", [
        r.roundId,
        0n,
      ]);
      const beyond = patch(e.records, off.position(n, 6), "0x07");
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: beyond }), "SettlementIndexOutOfRange", [
        r.roundId,
        7n,
        7n,
      ]);
      // s in the upper half (the malleable twin's range) never verifies: recovered reads as zero
      const at = off.sig(n, k, 0);
      const highS = patch(e.records, at + 32, toHex(N / 2n + 1n, { size: 32 }));
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: highS }), "SettlementBadSignature", [
        r.roundId,
        r.participants[0],
        ZERO,
      ]);
      // the twin (r, N - s) with the other parity cannot even be written compactly: its s uses the parity bit
      const vs = hexToBigInt(slice(e.records, at + 32, at + 64));
      const twin = ((1n - (vs >> 255n)) << 255n) | (N - (vs & ((1n << 255n) - 1n)));
      const malleable = patch(e.records, at + 32, toHex(twin & ((1n << 256n) - 1n), { size: 32 }));
      const got = await expectRevert(
        simulateRaw(s, s.nodes[0], { ...e, records: malleable }),
        "SettlementBadSignature",
      );
      expect(String(got[2]).toLowerCase()).to.not.equal(r.participants[0].toLowerCase());
      // a signature by someone who is not that participant
      const stranger = await actor(5, "stranger");
      const forged = { ...signed.signatures, [r.participants[0]]: await signRecord(stranger.account, s.domain, r) };
      await expectRevert(
        simulateRaw(s, s.nodes[0], encodeEpoch([{ record: r, signatures: forged }])),
        "SettlementBadSignature",
        [r.roundId, r.participants[0], stranger.address],
      );
    });
  });

  describe("record checks", () => {
    it("a delta beyond ±50_000 reverts with SettlementDeltaOutOfBounds carrying the values", async () => {
      const s = await loadFixture(swarm);
      for (const bad of [MAX_REP_DELTA + 1, -MAX_REP_DELTA - 1]) {
        const r = record(s, 1n);
        r.deltas[3] = bad;
        const e = encodeEpoch([{ record: r, signatures: {} }], { validate: false });
        await expectRevert(simulateRaw(s, s.nodes[0], e), "SettlementDeltaOutOfBounds", [
          r.roundId,
          r.participants[3],
          BigInt(bad),
          50_000n,
        ]);
      }
    });

    it("participants must be strictly increasing table indices in range; n > 0; winner position < n", async () => {
      const s = await loadFixture(swarm);
      const r = record(s, 1n);
      const reversed: RoundRecord = {
        ...r,
        participants: [...r.participants].reverse(),
        deltas: [...r.deltas].reverse(),
      };
      const e1 = encodeEpoch([{ record: reversed, signatures: {} }], { validate: false });
      await expectRevert(simulateRaw(s, s.nodes[0], e1), "SettlementEntriesNotSorted", [
        r.roundId,
        reversed.participants[1],
      ]);
      const e = encodeEpoch([await signAll(s.domain, r, s.nodes)]);
      await expectRevert(
        simulateRaw(s, s.nodes[0], { ...e, records: patch(e.records, off.index(6), "0xc8") }),
        "SettlementIndexOutOfRange",
        [r.roundId, 200n, 7n],
      );
      await expectRevert(
        simulateRaw(s, s.nodes[0], { ...e, records: patch(e.records, off.index(1), "0x00") }),
        "SettlementEntriesNotSorted",
        [r.roundId, e.nodes[0]],
      );
      await expectRevert(
        simulateRaw(s, s.nodes[0], { ...e, records: patch(e.records, off.n, "0x00") }),
        "SettlementEmptyRound",
        [r.roundId],
      );
      await expectRevert(
        simulateRaw(s, s.nodes[0], { ...e, records: patch(e.records, off.winner(7), "0x07") }),
        "SettlementIndexOutOfRange",
        [r.roundId, 7n, 7n],
      );
    });

    it("malformed packing: empty epoch, short input, empty or too long runs, truncation, trailing bytes", async () => {
      const s = await loadFixture(swarm);
      const e = encodeEpoch([await signAll(s.domain, record(s, 1n), s.nodes)]);
      const len = size(e.records);
      const sim = (records: Hex) => simulateRaw(s, s.nodes[0], { ...e, records });
      await expectRevert(sim("0x00"), "SettlementMalformedRecords", [0n, 1n]);
      await expectRevert(sim(patch(e.records, 0, "0x0000")), "SettlementEmptyEpoch", []);
      await expectRevert(sim(slice(e.records, 0, 10)), "SettlementMalformedRecords", [2n, 10n]);
      await expectRevert(sim(patch(e.records, 22, "0x0000")), "SettlementMalformedRecords", [22n, BigInt(len)]);
      await expectRevert(sim(patch(e.records, 22, "0x0002")), "SettlementMalformedRecords", [22n, BigInt(len)]);
      await expectRevert(sim(concat([e.records, "0x00"])), "SettlementMalformedRecords", [
        BigInt(len),
        BigInt(len + 1),
      ]);
      await expectRevert(sim(slice(e.records, 0, R0 + 50)), "SettlementMalformedRecords", [
        BigInt(R0),
        BigInt(R0 + 50),
      ]);
      await expectRevert(sim(slice(e.records, 0, R0 + 80)), "SettlementMalformedRecords", [
        BigInt(R0 + 77),
        BigInt(R0 + 80),
      ]);
      await expectRevert(sim(slice(e.records, 0, off.k(7))), "SettlementMalformedRecords", [
        BigInt(off.k(7)),
        BigInt(off.k(7)),
      ]);
      await expectRevert(sim(slice(e.records, 0, len - 1)), "SettlementMalformedRecords", [
        BigInt(off.k(7) + 1),
        BigInt(len - 1),
      ]);
      // two records announced, one present
      await expectRevert(sim(patch(patch(e.records, 0, "0x0002"), 22, "0x0002")), "SettlementMalformedRecords", [
        BigInt(len),
        BigInt(len),
      ]);
    });
  });

  describe("eligibility and tables", () => {
    it("tables must be sorted without duplicates and hold at most 256 entries; a source not active at finality is skipped", async () => {
      const s = await loadFixture(swarm);
      const e = encodeEpoch([await signAll(s.domain, record(s, 1n), s.nodes)]);
      const swapped = [e.nodes[1], e.nodes[0], ...e.nodes.slice(2)];
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, nodes: swapped }), "SettlementTableNotSorted", [
        1n,
        e.nodes[0],
      ]);
      await expectRevert(
        simulateRaw(s, s.nodes[0], { ...e, nodes: [e.nodes[0], e.nodes[0]] }),
        "SettlementTableNotSorted",
        [1n, e.nodes[0]],
      );
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, nodes: [ZERO] }), "SettlementTableNotSorted", [0n, ZERO]);
      const many = Array.from({ length: 257 }, (_, i) => toHex(i + 1, { size: 20 }));
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, nodes: many }), "SettlementTableTooLarge", [257n, 256n]);
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, sources: many }), "SettlementTableTooLarge", [257n, 256n]);
      const src = [...s.sourceActors.map((a) => a.address)].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, sources: [src[1], src[0]] }), "SettlementTableNotSorted", [
        1n,
        src[0],
      ]);
      // an account that is no active source does not revert the epoch: it is skipped, with an event
      const stranger = s.deployer.account.address;
      const hash = await (
        await s.as(s.nodes[0].wallet)
      ).settlement.write.settleEpoch([s.batch.period, e.nodes, [stranger], e.records]);
      await s.publicClient.waitForTransactionReceipt({ hash });
      await finalizeEpochs(s);
      const skipped = await s.settlement.getEvents.SourceSkipped({}, { fromBlock: 0n });
      expect(skipped.map((x) => [x.args.epoch, x.args.source])).to.deep.equal([[1n, stranger]]);
      expect((await s.sources.read.scoresOf([[stranger]]))[0].active).to.equal(false);
    });

    it("seats are judged when the period began: a node that stakes later holds none, one that unstakes later keeps its seat", async () => {
      const s = await loadFixture(swarm);
      const all = s.nodes.map((n) => n.address);
      const outsider = await actor(3, "outsider");
      const parts = [...s.nodes.slice(0, 6).map((n) => n.address), outsider.address];
      const withOutsider = record(s, 1n, { participants: parts });
      const e = encodeEpoch([{ record: withOutsider, signatures: {} }]);
      await expectRevert(simulateRaw(s, s.nodes[0], e), "SettlementNotDrawn", [
        withOutsider.roundId,
        outsider.address,
        0n,
      ]);
      // staked and capable now, after the period began: still no seat in this period
      await stakeActor(s, outsider, STAKE);
      await makeCapable(s, [outsider]);
      expect(await s.capability.read.isCapable([outsider.address])).to.equal(true);
      await expectRevert(simulateRaw(s, s.nodes[0], e), "SettlementNotDrawn", [
        withOutsider.roundId,
        outsider.address,
        0n,
      ]);
      expect(await s.settlement.read.seatsOf([outsider.address, withOutsider.seed, s.batch.period, false])).to.equal(
        0n,
      );
      // nodes[5] unstakes below the minimum after the period began: it keeps its seat, the record settles as drawn
      const n5 = s.nodes[5];
      await (await s.as(n5.wallet)).registry.write.requestUnstake([STAKE - parseEther("50")]);
      const r1 = record(s, 1n, { deltas: all.map(() => 1_000) });
      expect(await s.settlement.read.seatsOf([n5.address, r1.seed, r1.period, false])).to.equal(1n);
      await settle(s, [await signAll(s.domain, r1, s.nodes)]);
      await finalizeEpochs(s);
      expect(await s.settlement.read.reputationOf([n5.address])).to.equal(
        BigInt(REP_INITIAL + r1.deltas[r1.participants.indexOf(n5.address)]),
      );

      // the next period began with nodes[5] below the minimum (no seat) and the outsider staked and capable
      await nextPeriod(s);
      const batch = await openBatch(s, s.nodes[1], 4);
      const { seed, committee } = await nextCommittee(s, { ...batch });
      expect(committee.members).to.not.include(n5.address);
      for (const a of [...all, outsider.address]) {
        expect(await s.settlement.read.seatsOf([a, seed, batch.period, false]), a).to.equal(
          committee.seats.get(a.toLowerCase()) ?? 0n,
        );
      }
      const stale = recordIn(batch, 1n, [...committee.members, n5.address]);
      await expectRevert(
        simulateRaw(s, s.nodes[1], encodeEpoch([{ record: stale, signatures: {} }]), batch.period),
        "SettlementNotDrawn",
        [stale.roundId, n5.address, 0n],
      );
      const drawn = recordIn(batch, 1n, committee.members);
      const signers = [...s.nodes, outsider].filter((x) => committee.members.includes(x.address));
      await settle(s, [await signAll(s.domain, drawn, signers)], s.nodes[1]);
      expect(await s.settlement.read.lastSequence([s.nodes[1].address])).to.equal(1n);
    });

    it("capability is judged when the period began: a pass that expires mid-period still counts, then none until a new one", async () => {
      const s = await loadFixture(swarm);
      const all = s.nodes.map((n) => n.address);
      // a first epoch caches every node's pass expiry; zero deltas keep every reputation at the seat reference
      await settle(s, [await signAll(s.domain, record(s, 1n, { deltas: all.map(() => 0) }), s.nodes)]);
      const length = await s.settlement.read.periodLength();
      const expiries = await Promise.all(all.map(async (a) => (await s.capability.read.passOf([a])).validUntil));
      const first = expiries.reduce((x, y) => (x < y ? x : y));
      const last = expiries.reduce((x, y) => (x > y ? x : y));
      // the period that begins before the first pass ends: every node is drawn
      await time.increaseTo(((first - 1n) / length) * length);
      const q = await openBatch(s, s.nodes[1], 1);
      const rq = recordIn(q, 1n, all, { deltas: all.map(() => 0) });
      expect((await nextCommittee(s, { ...q })).committee.members).to.deep.equal(rq.participants);
      // every pass expires before the record settles (still within the period after it): it settles all the same
      await time.increaseTo(last + 10n);
      expect(await s.capability.read.isCapable([s.nodes[0].address])).to.equal(false);
      await settle(s, [await signAll(s.domain, rq, s.nodes)]);
      // a period that begins after the passes ended: nobody holds a seat, and nobody may open a batch
      const r = await nextPeriod(s);
      const anySeed = cid("any seed");
      for (const a of all) expect(await s.settlement.read.seatsOf([a, anySeed, r, false])).to.equal(0n);
      await expectRevert(
        (await s.as(s.nodes[2].wallet)).settlement.simulate.openBatch([1n]),
        "SettlementNotCoordinatorNode",
        [s.nodes[2].address],
      );
      // new passes granted during that period: omission proofs (strict) never count them in it; settlement counts a
      // pass still valid when the period began, as ISettlement.seatsOf documents
      await makeCapable(s, s.nodes);
      for (const a of all) {
        expect(await s.settlement.read.seatsOf([a, anySeed, r, true])).to.equal(0n);
        expect(await s.settlement.read.seatsOf([a, anySeed, r, false])).to.equal(1n);
      }
      // from the next period on they count for both
      await nextPeriod(s);
      const t = await openBatch(s, s.nodes[1], 1);
      const rt = recordIn(t, 2n, all);
      expect((await nextCommittee(s, { ...t })).committee.members).to.deep.equal(rt.participants);
      await settle(s, [await signAll(s.domain, rt, s.nodes)]);
      expect(await s.settlement.read.lastSequence([s.nodes[1].address])).to.equal(2n);
    });
  });

  describe("sources", () => {
    const served = (i: number) => cid(`served ${i}`);

    it("source deltas need the source's statement; at finality scores move by the net, clamped, in SourceRegistry", async () => {
      const s = await loadFixture(swarm);
      const [a, b] = s.sourceActors;
      const rounds: SignedRecord[] = [];
      const model = new Map<string, [number, number]>([
        [a.address.toLowerCase(), [SOURCE_INITIAL, SOURCE_INITIAL]],
        [b.address.toLowerCase(), [SOURCE_INITIAL, SOURCE_INITIAL]],
      ]);
      for (let i = 0; i < 12; i++) {
        const sources: SourceDelta[] = [
          { source: a.address, reliability: 50_000, usefulness: -50_000, servedCid: served(i) },
          { source: b.address, reliability: -7, usefulness: 11, servedCid: served(100 + i) },
        ];
        const r = record(s, BigInt(i + 1), { sources });
        for (const d of r.sources) {
          const [rel, use] = model.get(d.source.toLowerCase())!;
          model.set(d.source.toLowerCase(), [rel + d.reliability, use + d.usefulness]);
        }
        rounds.push(await signAll(s.domain, r, s.nodes, s.sourceActors));
      }
      const { hash, e } = await settle(s, rounds);
      expect((await s.sources.read.sourceOf([a.address])).reliability, "pending").to.equal(SOURCE_INITIAL);
      await finalizeEpochs(s);
      for (const [k, [rel, use]] of model) model.set(k, [applyDelta(0, rel), applyDelta(0, use)]);
      const sa = await s.sources.read.sourceOf([a.address]);
      expect([sa.reliability, sa.usefulness]).to.deep.equal([1_000_000, 0]);
      const sb = await s.sources.read.sourceOf([b.address]);
      expect([sb.reliability, sb.usefulness]).to.deep.equal(model.get(b.address.toLowerCase()));
      const [ev] = await s.sources.getEvents.SourceScoresUpdated({ epoch: 1n }, { fromBlock: 0n });
      expect(ev.args.sources).to.deep.equal(e.sources);
      const rs = await s.settlement.getEvents.RoundSettled({ roundId: rounds[0].record.roundId }, { fromBlock: 0n });
      const d = decodeRoundDeltas(rs[0].args.deltas!, { nodes: e.nodes, sources: e.sources });
      expect(d.sourceAddresses).to.deep.equal(rounds[0].record.sources.map((x) => x.source));
      expect(d.sources.map((x) => [x.reliability, x.usefulness])).to.deep.equal(
        rounds[0].record.sources.map((x) => [x.reliability, x.usefulness]),
      );
      expect(hash).to.match(/^0x/);
    });

    it("a source statement for another round, chain or contract is rejected (SettlementBadSourceSignature)", async () => {
      const s = await loadFixture(swarm);
      const [a] = s.sourceActors;
      const r = record(s, 1n, {
        sources: [{ source: a.address, reliability: 1, usefulness: 1, servedCid: served(1) }],
      });
      const signed = await signAll(s.domain, r, s.nodes);
      const statements = {
        otherRound: await signServiceStatement(a.account, s.domain, {
          roundId: makeRoundId(s.nodes[0].address, 9n),
          servedCid: served(1),
        }),
        otherContent: await signServiceStatement(a.account, s.domain, { roundId: r.roundId, servedCid: served(2) }),
        otherChain: await signServiceStatement(a.account, settlementDomain(5, s.settlement.address), {
          roundId: r.roundId,
          servedCid: served(1),
        }),
        otherContract: await signServiceStatement(a.account, settlementDomain(31337, s.sources.address), {
          roundId: r.roundId,
          servedCid: served(1),
        }),
      };
      for (const [what, st] of Object.entries(statements)) {
        const e = encodeEpoch([{ ...signed, sourceSignatures: { [a.address]: st } }]);
        const got = await expectRevert(simulateRaw(s, s.nodes[0], e), "SettlementBadSourceSignature");
        expect([got[0], String(got[1]).toLowerCase()], what).to.deep.equal([r.roundId, a.address.toLowerCase()]);
        expect(String(got[2]).toLowerCase(), what).to.not.equal(a.address.toLowerCase());
      }
    });

    it("source entries: index in range, strictly increasing, both deltas bounded", async () => {
      const s = await loadFixture(swarm);
      const [a, b] = [...s.sourceActors].sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1));
      const mk = (sources: SourceDelta[]) => ({ ...record(s, 1n), sources }); // as given, not sorted
      const sd = (src: Actor, rel = 1, use = 1): SourceDelta => ({
        source: src.address,
        reliability: rel,
        usefulness: use,
        servedCid: served(0),
      });
      const sim = async (r: RoundRecord) =>
        simulateRaw(s, s.nodes[0], encodeEpoch([await signAll(s.domain, r, [], s.sourceActors)], { validate: false }));
      await expectRevert(sim(mk([sd(b), sd(a)])), "SettlementEntriesNotSorted", [mk([]).roundId, a.address]);
      await expectRevert(sim(mk([sd(a), sd(a)])), "SettlementEntriesNotSorted", [mk([]).roundId, a.address]);
      await expectRevert(sim(mk([sd(a, 50_001)])), "SettlementDeltaOutOfBounds", [
        mk([]).roundId,
        a.address,
        50_001n,
        50_000n,
      ]);
      await expectRevert(sim(mk([sd(a, 0, -50_001)])), "SettlementDeltaOutOfBounds", [
        mk([]).roundId,
        a.address,
        -50_001n,
        50_000n,
      ]);
      // index beyond the source table
      const e = encodeEpoch([await signAll(s.domain, mk([sd(a)]), s.nodes, s.sourceActors)]);
      const at = R0 + 79 + 5 * 7;
      await expectRevert(
        simulateRaw(s, s.nodes[0], { ...e, records: patch(e.records, at, "0x05") }),
        "SettlementIndexOutOfRange",
        [mk([]).roundId, 5n, 1n],
      );
    });
  });

  describe("src/chain/records.ts", () => {
    it("validateRecord and encodeEpoch reject what the contract would", async () => {
      const s = await loadFixture(swarm);
      const r = record(s, 1n);
      const cases: [string, () => unknown][] = [
        ["zero round id", () => validateRecord({ ...r, roundId: `0x${"00".repeat(32)}` })],
        ["short cid", () => validateRecord({ ...r, queryCid: "0x12" })],
        ["no participants", () => validateRecord({ ...r, participants: [], deltas: [] })],
        ["delta count", () => validateRecord({ ...r, deltas: r.deltas.slice(1) })],
        ["unsorted", () => validateRecord({ ...r, participants: [...r.participants].reverse() })],
        ["not an address", () => validateRecord({ ...r, participants: ["0x12", ...r.participants.slice(1)] })],
        ["delta bound", () => validateRecord({ ...r, deltas: r.deltas.map(() => 50_001) })],
        ["fractional delta", () => validateRecord({ ...r, deltas: r.deltas.map(() => 0.5) })],
        ["winner", () => validateRecord({ ...r, winner: s.deployer.account.address })],
        [
          "sources unsorted",
          () => {
            sortRecord({ ...r, sources: [] });
            validateRecord({
              ...r,
              sources: [
                {
                  source: "0x00000000000000000000000000000000000000b2",
                  reliability: 0,
                  usefulness: 0,
                  servedCid: cid("a"),
                },
                {
                  source: "0x00000000000000000000000000000000000000b1",
                  reliability: 0,
                  usefulness: 0,
                  servedCid: cid("a"),
                },
              ],
            });
          },
        ],
        [
          "source cid",
          () =>
            validateRecord({
              ...r,
              sources: [{ source: r.participants[0], reliability: 0, usefulness: 0, servedCid: "0x01" }],
            }),
        ],
        [
          "source address",
          () =>
            validateRecord({ ...r, sources: [{ source: "0x1", reliability: 0, usefulness: 0, servedCid: cid("a") }] }),
        ],
        ["empty epoch", () => encodeEpoch([])],
        [
          "duplicate round",
          () =>
            encodeEpoch([
              { record: r, signatures: {} },
              { record: r, signatures: {} },
            ]),
        ],
        [
          "missing statement",
          () =>
            encodeEpoch([
              {
                record: record(s, 2n, {
                  sources: [{ source: s.sourceActors[0].address, reliability: 0, usefulness: 0, servedCid: cid("a") }],
                }),
                signatures: {},
              },
            ]),
        ],
        ["bad signature length", () => normalizeSignature("0x1234")],
        ["bad v", () => normalizeSignature(`0x${"11".repeat(64)}05`)],
        ["round id", () => roundIdParts("0x12")],
        ["sequence", () => makeRoundId(r.participants[0], 0n)],
        ["event bytes", () => decodeRoundDeltas("0x01")],
        ["event table", () => decodeRoundDeltas(`0x01050000000001`, { nodes: [] })],
        ["no seat", () => selectQuorum(r, r.participants, () => 0n)],
        ["short of quorum", () => selectQuorum(r, r.participants.slice(0, 4), () => 1n)],
        ["period 0", () => validateRecord({ ...r, period: 0 })],
        ["fractional period", () => validateRecord({ ...r, period: 1.5 })],
        ["short seed", () => validateRecord({ ...r, seed: "0x12" })],
      ];
      for (const [what, fn] of cases) {
        let err: unknown;
        try {
          fn();
        } catch (e) {
          err = e;
        }
        expect(isChorusError(err), `${what}: ${String(err)}`).to.equal(true);
      }
    });

    it("normalizeSignature / compactSignature: v 0/1 and high s are rewritten to what the contract accepts", async () => {
      const s = await loadFixture(swarm);
      const r = record(s, 1n);
      const sig = await signRecord(s.nodes[1].account, s.domain, r);
      const rr = slice(sig, 0, 32);
      const ss = hexToBigInt(slice(sig, 32, 64));
      const v = Number(hexToBigInt(slice(sig, 64, 65)));
      const high = concat([rr, toHex(N - ss, { size: 32 }), toHex(v === 27 ? 28 : 27, { size: 1 })]);
      expect(normalizeSignature(high)).to.equal(sig);
      expect(normalizeSignature(concat([rr, toHex(ss, { size: 32 }), toHex(v - 27, { size: 1 })]))).to.equal(sig);
      expect(size(compactSignature(sig))).to.equal(64);
      expect((await recoverRecordSigner(s.domain, r, high)).toLowerCase()).to.equal(s.nodes[1].address.toLowerCase());
      const { coordinator, seq } = roundIdParts(r.roundId);
      expect([coordinator, seq]).to.deep.equal([s.nodes[0].address, 1n]);
      expect(makeRoundId(coordinator, seq)).to.equal(r.roundId);
    });
  });
});
