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
  makeCapable,
  makeRecord,
  signAll,
  stakeActor,
  ZERO,
  type Actor,
  type Swarm,
} from "../helpers/chorus-fixture.js";
import { writeDeployments } from "../../deploy/index.js";
import {
  applyDelta,
  compactSignature,
  decodeRoundDeltas,
  encodeEpoch,
  hasQuorum,
  makeRoundId,
  MAX_REP_DELTA,
  normalizeSignature,
  recordArgs,
  recordDigest,
  recordsCommitment,
  recoverRecordSigner,
  recoverServiceSigner,
  REP_INITIAL,
  SOURCE_INITIAL,
  roundIdParts,
  selectQuorum,
  serviceDigest,
  settlementDomain,
  signRecord,
  signServiceStatement,
  sortRecord,
  validateRecord,
  type RoundRecord,
  type SignedRecord,
  type SourceDelta,
} from "../../src/chain/records.js";
import { isChorusError } from "../../src/errors.js";

const STAKE = parseEther("500");
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function swarm() {
  return deploySwarm({ nodes: 7, sources: 3 });
}

/** Settles `signed` as `sender` (default: the coordinator of the first record). */
async function settle(s: Swarm, signed: SignedRecord[], sender?: Actor) {
  const e = encodeEpoch(signed);
  const from = sender ?? s.nodes.find((n) => n.address === roundIdParts(signed[0].record.roundId).coordinator)!;
  const c = await s.as(from.wallet);
  const hash = await c.settlement.write.settleEpoch([e.nodes, e.sources, e.records]);
  return { hash, e };
}

/** simulate.settleEpoch with raw arguments (possibly corrupted). */
async function simulateRaw(s: Swarm, sender: Actor, args: { nodes: Address[]; sources: Address[]; records: Hex }) {
  const c = await s.as(sender.wallet);
  return c.settlement.simulate.settleEpoch([args.nodes, args.sources, args.records]);
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

const record = (s: Swarm, seq: bigint, o: Partial<Parameters<typeof makeRecord>[0]> = {}) =>
  makeRecord({ coordinator: s.nodes[0].address, seq, participants: s.nodes.map((n) => n.address), ...o });

describe("Settlement", () => {
  describe("deployment", () => {
    it("deploy scripts 03-06 deploy and wire everything and the deployments file lists it", async () => {
      const s = await loadFixture(swarm);
      const names = Object.keys(s.deployments.contracts);
      expect(names).to.deep.equal(["ChorusTimelock", "ChorusToken", "NodeRegistry", "CapabilityRegistry", "SourceRegistry", "Settlement", "Disputes"]);
      expect((await s.settlement.read.nodeRegistry()).toLowerCase()).to.equal(s.registry.address.toLowerCase());
      expect((await s.settlement.read.capabilityRegistry()).toLowerCase()).to.equal(s.capability.address.toLowerCase());
      expect((await s.settlement.read.sourceRegistry()).toLowerCase()).to.equal(s.sources.address.toLowerCase());
      const slasher = await s.registry.read.SLASHER_ROLE();
      expect(await s.registry.read.hasRole([slasher, s.disputes.address])).to.equal(true);
      expect(await s.registry.read.hasRole([slasher, s.settlement.address])).to.equal(false);
      expect(await s.sources.read.hasRole([await s.sources.read.SCORER_ROLE(), s.settlement.address])).to.equal(true);
      for (const key of ["curator", "arbitrator", "equivocationSlashBps", "disputeDeposit", "disputeWindow", "arbitrationPeriod"]) {
        expect(s.deployments.params, key).to.have.property(key);
      }
      const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-deploy-"));
      try {
        const file = await writeDeployments(s.deployments, dir);
        const written = JSON.parse(await readFile(file, "utf8"));
        expect(Object.keys(written.contracts)).to.deep.equal(names);
        expect(written.contracts.Disputes.args[5].deposit).to.equal(parseEther("100").toString());
        expect(written.contracts.Settlement.abi.some((i: { name?: string }) => i.name === "settleEpoch")).to.equal(true);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("settlers: deploy parameter `settlers` get SETTLER_ROLE", async () => {
      const extra = await actor(1, "settler");
      const f = await deployFull({ settlers: [extra.address] });
      expect(await f.settlement.read.hasRole([await f.settlement.read.SETTLER_ROLE(), extra.address])).to.equal(true);
    });

    it("constructor: reverts on any zero address", async () => {
      const s = await loadFixture(swarm);
      const a = s.deployer.account.address;
      for (let i = 0; i < 4; i++) {
        const args = [a, a, a, a] as [Address, Address, Address, Address];
        args[i] = ZERO;
        let error: unknown;
        try {
          await hre.viem.deployContract("Settlement", args);
        } catch (e) {
          error = e;
        }
        expect(String((error as Error)?.message)).to.contain("SettlementZeroAddress");
      }
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
        hashDomain({ domain: { ...s.domain, chainId: BigInt(s.domain.chainId) }, types: { EIP712Domain: eip712Domain } }),
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
      const st = await signServiceStatement(s.sourceActors[0].account, s.domain, { roundId: r.roundId, servedCid: cid("served") });
      expect(await recoverServiceSigner(s.domain, { roundId: r.roundId, servedCid: cid("served") }, st)).to.equal(s.sourceActors[0].address);
    });
  });

  describe("settleEpoch", () => {
    it("settles a round: reputations move, RoundSettled / EpochSettled explain it, the epoch is recorded", async () => {
      const s = await loadFixture(swarm);
      const r = record(s, 1n);
      const signed = await signAll(s.domain, r, s.nodes);
      const { hash, e } = await settle(s, [signed]);
      const block = await s.publicClient.getBlock({ blockNumber: (await s.publicClient.getTransactionReceipt({ hash })).blockNumber });
      const reps = await s.settlement.read.reputationsOf([r.participants]);
      expect(reps).to.deep.equal(r.deltas.map((d) => BigInt(REP_INITIAL + d)));
      const [ev] = await s.settlement.getEvents.RoundSettled({ roundId: r.roundId });
      expect(ev.args.transcriptCid).to.equal(r.transcriptCid);
      const [ep] = await s.settlement.getEvents.EpochSettled({ epoch: 1n });
      expect(ep.args.settler!.toLowerCase()).to.equal(s.nodes[0].address.toLowerCase());
      expect(ep.args.rounds).to.equal(1n);
      expect(ep.args.nodes).to.deep.equal(e.nodes);
      expect(ep.args.reputations).to.deep.equal(e.nodes.map((n) => REP_INITIAL + r.deltas[r.participants.indexOf(n)]));
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

    it("applies deltas in record order and clamps to [0, 1_000_000] at every step", async () => {
      const s = await loadFixture(swarm);
      const [hi, lo] = [s.nodes[1].address, s.nodes[2].address];
      const rest = s.nodes.slice(3).map((n) => n.address);
      const parts = [hi, lo, ...rest];
      const rounds: SignedRecord[] = [];
      const model = new Map<string, number>(parts.map((p) => [p.toLowerCase(), REP_INITIAL]));
      const plan = [...Array(16).fill(50_000), -50_000]; // from 250_000: clamps at 1_000_000 (and the other at 0) before the last step
      for (const [i, up] of plan.entries()) {
        const deltas = parts.map((p) => (p === hi ? up : p === lo ? -up : 0));
        const r = makeRecord({ coordinator: s.nodes[0].address, seq: BigInt(i + 1), participants: parts, deltas });
        r.participants.forEach((p, j) => model.set(p.toLowerCase(), applyDelta(model.get(p.toLowerCase())!, r.deltas[j])));
        rounds.push(await signAll(s.domain, r, s.nodes));
      }
      await settle(s, rounds);
      expect(await s.settlement.read.reputationOf([hi])).to.equal(950_000n);
      expect(await s.settlement.read.reputationOf([lo])).to.equal(50_000n);
      for (const p of parts) expect(await s.settlement.read.reputationOf([p])).to.equal(BigInt(model.get(p.toLowerCase())!));
    });

    it("settles several coordinators' runs in one epoch for a SETTLER_ROLE account; others only their own", async () => {
      const s = await loadFixture(swarm);
      const [a, b] = s.nodes;
      const ra = makeRecord({ coordinator: a.address, seq: 10n, participants: s.nodes.map((n) => n.address) });
      const rb1 = makeRecord({ coordinator: b.address, seq: 3n, participants: s.nodes.map((n) => n.address) });
      const rb2 = makeRecord({ coordinator: b.address, seq: 4n, participants: s.nodes.map((n) => n.address) });
      const signed = [await signAll(s.domain, rb2, s.nodes), await signAll(s.domain, ra, s.nodes), await signAll(s.domain, rb1, s.nodes)];
      const e = encodeEpoch(signed);
      expect(e.roundIds).to.have.length(3);
      await expectRevert(simulateRaw(s, a, e), "SettlementNotCoordinator", [
        ...(BigInt(a.address) < BigInt(b.address) ? [b.address, a.address] : [b.address, a.address]),
      ]);
      const settler = await actor(9, "settler");
      await s.settlement.write.grantRole([await s.settlement.read.SETTLER_ROLE(), settler.address]);
      await (await s.as(settler.wallet)).settlement.write.settleEpoch([e.nodes, e.sources, e.records]);
      expect(await s.settlement.read.lastSequence([a.address])).to.equal(10n);
      expect(await s.settlement.read.lastSequence([b.address])).to.equal(4n);
      expect(await s.settlement.getEvents.RoundSettled({}, { fromBlock: 0n })).to.have.length(3);
      // a coordinator settles its own rounds without any role
      await settle(s, [await signAll(s.domain, makeRecord({ coordinator: b.address, seq: 5n, participants: s.nodes.map((n) => n.address) }), s.nodes)]);
      expect(await s.settlement.read.lastSequence([b.address])).to.equal(5n);
    });
  });

  describe("quorum", () => {
    async function weighted() {
      const f = await deployFull();
      const heavy = await actor(0, "w");
      const mids: Actor[] = [];
      for (let i = 1; i <= 3; i++) mids.push(await actor(i, "w"));
      const equal: Actor[] = [];
      for (let i = 4; i <= 6; i++) equal.push(await actor(i, "w"));
      await stakeActor(f, heavy, parseEther("1000"));
      await stakeActor(f, mids[0], parseEther("300"));
      await stakeActor(f, mids[1], parseEther("300"));
      await stakeActor(f, mids[2], parseEther("300") + 1n);
      for (const e of equal) await stakeActor(f, e, parseEther("100"));
      await makeCapable(f, [heavy, ...mids, ...equal]);
      return { ...f, heavy, mids, equal, nodes: [heavy, ...mids, ...equal], sourceActors: [] as Actor[] };
    }

    it("exactly 2/3 of the stake settles; one wei less does not (SettlementQuorumNotReached with the stakes)", async () => {
      const w = await loadFixture(weighted);
      const exact = makeRecord({ coordinator: w.equal[0].address, seq: 1n, participants: w.equal.map((e) => e.address) });
      const two = [...w.equal].sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1)).slice(0, 2);
      const signedExact = await signAll(w.domain, exact, two);
      const sender = w.equal[0];
      const ee = encodeEpoch([signedExact]);
      await (await w.as(sender.wallet)).settlement.write.settleEpoch([ee.nodes, ee.sources, ee.records]);
      expect(hasQuorum(2n * parseEther("100"), 3n * parseEther("100"))).to.equal(true);

      const below = makeRecord({ coordinator: w.mids[0].address, seq: 1n, participants: w.mids.map((m) => m.address) });
      const light = w.mids.slice(0, 2);
      const e = encodeEpoch([await signAll(w.domain, below, light)]);
      const total = parseEther("900") + 1n;
      await expectRevert((await w.as(w.mids[0].wallet)).settlement.simulate.settleEpoch([e.nodes, e.sources, e.records]), "SettlementQuorumNotReached", [
        below.roundId,
        parseEther("600"),
        total,
      ]);
      expect(hasQuorum(parseEther("600"), total)).to.equal(false);
    });

    it("is weighted by stake: one node holding 2/3 of the stake is a quorum alone; selectQuorum picks it", async () => {
      const w = await loadFixture(weighted);
      const parts = [w.heavy, ...w.equal];
      const r = makeRecord({ coordinator: w.heavy.address, seq: 1n, participants: parts.map((p) => p.address) });
      const all = await signAll(w.domain, r, parts);
      const stakes = new Map<string, bigint>([
        [w.heavy.address.toLowerCase(), parseEther("1000")],
        ...w.equal.map((e) => [e.address.toLowerCase(), parseEther("100")] as [string, bigint]),
      ]);
      expect(selectQuorum(r, parts.map((p) => p.address), stakes)).to.deep.equal([w.heavy.address.toLowerCase()]);
      const e = encodeEpoch([all], { stakes });
      await (await w.as(w.heavy.wallet)).settlement.write.settleEpoch([e.nodes, e.sources, e.records]);
      expect(await w.settlement.read.reputationOf([w.heavy.address])).to.equal(BigInt(REP_INITIAL + r.deltas[r.participants.indexOf(w.heavy.address)]));
      let err: unknown;
      try {
        selectQuorum(r, [w.equal[0].address], stakes);
      } catch (x) {
        err = x;
      }
      expect(isChorusError(err, "SETTLEMENT_NO_QUORUM")).to.equal(true);
    });
  });

  describe("replay and signatures", () => {
    it("a round settles once: the same round again, or an earlier one, reverts with SettlementRoundReplayed", async () => {
      const s = await loadFixture(swarm);
      const r2 = await signAll(s.domain, record(s, 2n), s.nodes);
      await settle(s, [r2]);
      await expectRevert(simulateRaw(s, s.nodes[0], encodeEpoch([r2])), "SettlementRoundReplayed", [r2.record.roundId, 2n]);
      const r1 = await signAll(s.domain, record(s, 1n), s.nodes);
      await expectRevert(simulateRaw(s, s.nodes[0], encodeEpoch([r1])), "SettlementRoundReplayed", [r1.record.roundId, 2n]);
      await settle(s, [await signAll(s.domain, record(s, 3n), s.nodes)]);
      expect(await s.settlement.read.lastSequence([s.nodes[0].address])).to.equal(3n);
    });

    it("signatures for another round id, another chain or another contract are rejected (SettlementBadSignature)", async () => {
      const s = await loadFixture(swarm);
      const r = record(s, 1n);
      const other = record(s, 2n, { label: `${s.nodes[0].address}-1` });
      const domains = {
        otherRound: s.domain,
        otherChain: settlementDomain(1, s.settlement.address),
        otherContract: settlementDomain(31337, s.disputes.address),
      };
      for (const [what, domain] of Object.entries(domains)) {
        const signedFor = what === "otherRound" ? other : r;
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
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: dup }), "SettlementSignersNotSorted", [r.roundId, 0n]);
      const beyond = patch(e.records, off.position(n, 6), "0x07");
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: beyond }), "SettlementIndexOutOfRange", [r.roundId, 7n, 7n]);
      // s in the upper half (the malleable twin's range) never verifies: recovered reads as zero
      const at = off.sig(n, k, 0);
      const highS = patch(e.records, at + 32, toHex(N / 2n + 1n, { size: 32 }));
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: highS }), "SettlementBadSignature", [r.roundId, r.participants[0], ZERO]);
      // the twin (r, N - s) with the other parity cannot even be written compactly: its s uses the parity bit
      const vs = hexToBigInt(slice(e.records, at + 32, at + 64));
      const twin = ((1n - (vs >> 255n)) << 255n) | (N - (vs & ((1n << 255n) - 1n)));
      const malleable = patch(e.records, at + 32, toHex(twin & ((1n << 256n) - 1n), { size: 32 }));
      const got = await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: malleable }), "SettlementBadSignature");
      expect(String(got[2]).toLowerCase()).to.not.equal(r.participants[0].toLowerCase());
      // a signature by someone who is not that participant
      const stranger = await actor(5, "stranger");
      const forged = { ...signed.signatures, [r.participants[0]]: await signRecord(stranger.account, s.domain, r) };
      await expectRevert(simulateRaw(s, s.nodes[0], encodeEpoch([{ record: r, signatures: forged }])), "SettlementBadSignature", [
        r.roundId,
        r.participants[0],
        stranger.address,
      ]);
    });
  });

  describe("record checks", () => {
    it("a delta beyond ±50_000 reverts with SettlementDeltaOutOfBounds carrying the values", async () => {
      const s = await loadFixture(swarm);
      for (const bad of [MAX_REP_DELTA + 1, -MAX_REP_DELTA - 1]) {
        const r = record(s, 1n);
        r.deltas[3] = bad;
        const e = encodeEpoch([{ record: r, signatures: {} }], { validate: false });
        await expectRevert(simulateRaw(s, s.nodes[0], e), "SettlementDeltaOutOfBounds", [r.roundId, r.participants[3], BigInt(bad), 50_000n]);
      }
    });

    it("participants must be strictly increasing table indices in range; n > 0; winner position < n", async () => {
      const s = await loadFixture(swarm);
      const r = record(s, 1n);
      const reversed: RoundRecord = { ...r, participants: [...r.participants].reverse(), deltas: [...r.deltas].reverse() };
      const e1 = encodeEpoch([{ record: reversed, signatures: {} }], { validate: false });
      await expectRevert(simulateRaw(s, s.nodes[0], e1), "SettlementEntriesNotSorted", [r.roundId, reversed.participants[1]]);
      const e = encodeEpoch([await signAll(s.domain, r, s.nodes)]);
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: patch(e.records, off.index(6), "0xc8") }), "SettlementIndexOutOfRange", [r.roundId, 200n, 7n]);
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: patch(e.records, off.index(1), "0x00") }), "SettlementEntriesNotSorted", [r.roundId, e.nodes[0]]);
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: patch(e.records, off.n, "0x00") }), "SettlementEmptyRound", [r.roundId]);
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: patch(e.records, off.winner(7), "0x07") }), "SettlementIndexOutOfRange", [r.roundId, 7n, 7n]);
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
      await expectRevert(sim(concat([e.records, "0x00"])), "SettlementMalformedRecords", [BigInt(len), BigInt(len + 1)]);
      await expectRevert(sim(slice(e.records, 0, R0 + 50)), "SettlementMalformedRecords", [BigInt(R0), BigInt(R0 + 50)]);
      await expectRevert(sim(slice(e.records, 0, R0 + 80)), "SettlementMalformedRecords", [BigInt(R0 + 77), BigInt(R0 + 80)]);
      await expectRevert(sim(slice(e.records, 0, off.k(7))), "SettlementMalformedRecords", [BigInt(off.k(7)), BigInt(off.k(7))]);
      await expectRevert(sim(slice(e.records, 0, len - 1)), "SettlementMalformedRecords", [BigInt(off.k(7) + 1), BigInt(len - 1)]);
      // two records announced, one present
      await expectRevert(sim(patch(patch(e.records, 0, "0x0002"), 22, "0x0002")), "SettlementMalformedRecords", [BigInt(len), BigInt(len)]);
    });
  });

  describe("eligibility and tables", () => {
    it("tables must be sorted without duplicates and hold at most 256 entries", async () => {
      const s = await loadFixture(swarm);
      const e = encodeEpoch([await signAll(s.domain, record(s, 1n), s.nodes)]);
      const swapped = [e.nodes[1], e.nodes[0], ...e.nodes.slice(2)];
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, nodes: swapped }), "SettlementTableNotSorted", [1n, e.nodes[0]]);
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, nodes: [e.nodes[0], e.nodes[0]] }), "SettlementTableNotSorted", [1n, e.nodes[0]]);
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, nodes: [ZERO] }), "SettlementTableNotSorted", [0n, ZERO]);
      const many = Array.from({ length: 257 }, (_, i) => toHex(i + 1, { size: 20 }));
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, nodes: many }), "SettlementTableTooLarge", [257n, 256n]);
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, sources: many }), "SettlementTableTooLarge", [257n, 256n]);
      const src = [...s.sourceActors.map((a) => a.address)].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, sources: [src[1], src[0]] }), "SettlementTableNotSorted", [1n, src[0]]);
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, sources: [s.deployer.account.address] }), "SettlementSourceNotActive", [
        s.deployer.account.address,
      ]);
    });

    it("only staked, capable nodes take part: unstaked and expired-capability nodes are excluded", async () => {
      const s = await loadFixture(swarm);
      const outsider = await actor(3, "outsider");
      const parts = [...s.nodes.slice(0, 6).map((n) => n.address), outsider.address];
      const r = makeRecord({ coordinator: s.nodes[0].address, seq: 1n, participants: parts });
      const e = encodeEpoch([{ record: r, signatures: {} }]);
      await expectRevert(simulateRaw(s, s.nodes[0], e), "SettlementNodeNotEligible", [outsider.address, false, false]);
      // staked but never capable
      await stakeActor(s, outsider, STAKE);
      await expectRevert(simulateRaw(s, s.nodes[0], e), "SettlementNodeNotEligible", [outsider.address, true, false]);
      // below the minimum stake after unstaking
      const n5 = s.nodes[5];
      await (await s.as(n5.wallet)).registry.write.requestUnstake([STAKE - parseEther("50")]);
      const e2 = encodeEpoch([{ record: record(s, 1n), signatures: {} }]);
      await expectRevert(simulateRaw(s, s.nodes[0], e2), "SettlementNodeNotEligible", [n5.address, false, true]);
    });

    it("capability expiry is enforced through the cached expiry, and a new pass is picked up", async () => {
      const s = await loadFixture(swarm);
      await settle(s, [await signAll(s.domain, record(s, 1n), s.nodes)]);
      const pass = await s.capability.read.passOf([s.nodes[0].address]);
      await time.increaseTo(pass.validUntil);
      const signed = await signAll(s.domain, record(s, 2n), s.nodes);
      // nodes[0] revealed first in the fixture's suite, so its pass ends first
      await expectRevert(simulateRaw(s, s.nodes[0], encodeEpoch([signed])), "SettlementNodeNotEligible", [s.nodes[0].address, true, false]);
      await makeCapable(s, s.nodes);
      await settle(s, [signed]);
      expect(await s.settlement.read.lastSequence([s.nodes[0].address])).to.equal(2n);
    });
  });

  describe("sources", () => {
    const served = (i: number) => cid(`served ${i}`);

    it("source deltas need the source's statement; scores move, clamp and land in SourceRegistry", async () => {
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
          model.set(d.source.toLowerCase(), [applyDelta(rel, d.reliability), applyDelta(use, d.usefulness)]);
        }
        rounds.push(await signAll(s.domain, r, s.nodes, s.sourceActors));
      }
      const { hash, e } = await settle(s, rounds);
      const sa = await s.sources.read.sourceOf([a.address]);
      expect([sa.reliability, sa.usefulness]).to.deep.equal([1_000_000, 0]);
      const sb = await s.sources.read.sourceOf([b.address]);
      expect([sb.reliability, sb.usefulness]).to.deep.equal(model.get(b.address.toLowerCase()));
      const [ev] = await s.sources.getEvents.SourceScoresUpdated({ epoch: 1n });
      expect(ev.args.sources).to.deep.equal(e.sources);
      const rs = await s.settlement.getEvents.RoundSettled({ roundId: rounds[0].record.roundId });
      const d = decodeRoundDeltas(rs[0].args.deltas!, { nodes: e.nodes, sources: e.sources });
      expect(d.sourceAddresses).to.deep.equal(rounds[0].record.sources.map((x) => x.source));
      expect(d.sources.map((x) => [x.reliability, x.usefulness])).to.deep.equal(rounds[0].record.sources.map((x) => [x.reliability, x.usefulness]));
      expect(hash).to.match(/^0x/);
    });

    it("a source statement for another round, chain or contract is rejected (SettlementBadSourceSignature)", async () => {
      const s = await loadFixture(swarm);
      const [a] = s.sourceActors;
      const r = record(s, 1n, { sources: [{ source: a.address, reliability: 1, usefulness: 1, servedCid: served(1) }] });
      const signed = await signAll(s.domain, r, s.nodes);
      const statements = {
        otherRound: await signServiceStatement(a.account, s.domain, { roundId: makeRoundId(s.nodes[0].address, 9n), servedCid: served(1) }),
        otherContent: await signServiceStatement(a.account, s.domain, { roundId: r.roundId, servedCid: served(2) }),
        otherChain: await signServiceStatement(a.account, settlementDomain(5, s.settlement.address), { roundId: r.roundId, servedCid: served(1) }),
        otherContract: await signServiceStatement(a.account, settlementDomain(31337, s.sources.address), { roundId: r.roundId, servedCid: served(1) }),
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
      const sd = (src: Actor, rel = 1, use = 1): SourceDelta => ({ source: src.address, reliability: rel, usefulness: use, servedCid: served(0) });
      const sim = async (r: RoundRecord) =>
        simulateRaw(s, s.nodes[0], encodeEpoch([await signAll(s.domain, r, [], s.sourceActors)], { validate: false }));
      await expectRevert(sim(mk([sd(b), sd(a)])), "SettlementEntriesNotSorted", [mk([]).roundId, a.address]);
      await expectRevert(sim(mk([sd(a), sd(a)])), "SettlementEntriesNotSorted", [mk([]).roundId, a.address]);
      await expectRevert(sim(mk([sd(a, 50_001)])), "SettlementDeltaOutOfBounds", [mk([]).roundId, a.address, 50_001n, 50_000n]);
      await expectRevert(sim(mk([sd(a, 0, -50_001)])), "SettlementDeltaOutOfBounds", [mk([]).roundId, a.address, -50_001n, 50_000n]);
      // index beyond the source table
      const e = encodeEpoch([await signAll(s.domain, mk([sd(a)]), s.nodes, s.sourceActors)]);
      const at = R0 + 79 + 5 * 7;
      await expectRevert(simulateRaw(s, s.nodes[0], { ...e, records: patch(e.records, at, "0x05") }), "SettlementIndexOutOfRange", [mk([]).roundId, 5n, 1n]);
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
        ["not an address", () => validateRecord({ ...r, participants: ["0x12" as Address, ...r.participants.slice(1)] })],
        ["delta bound", () => validateRecord({ ...r, deltas: r.deltas.map(() => 50_001) })],
        ["fractional delta", () => validateRecord({ ...r, deltas: r.deltas.map(() => 0.5) })],
        ["winner", () => validateRecord({ ...r, winner: s.deployer.account.address })],
        ["sources unsorted", () => validateRecord(sortRecord({ ...r, sources: [] }) && { ...r, sources: [
          { source: "0x00000000000000000000000000000000000000b2", reliability: 0, usefulness: 0, servedCid: cid("a") },
          { source: "0x00000000000000000000000000000000000000b1", reliability: 0, usefulness: 0, servedCid: cid("a") },
        ] })],
        ["source cid", () => validateRecord({ ...r, sources: [{ source: r.participants[0], reliability: 0, usefulness: 0, servedCid: "0x01" }] })],
        ["source address", () => validateRecord({ ...r, sources: [{ source: "0x1" as Address, reliability: 0, usefulness: 0, servedCid: cid("a") }] })],
        ["empty epoch", () => encodeEpoch([])],
        ["duplicate round", () => encodeEpoch([{ record: r, signatures: {} }, { record: r, signatures: {} }])],
        ["missing statement", () => encodeEpoch([{ record: record(s, 2n, { sources: [{ source: s.sourceActors[0].address, reliability: 0, usefulness: 0, servedCid: cid("a") }] }), signatures: {} }])],
        ["bad signature length", () => normalizeSignature("0x1234")],
        ["bad v", () => normalizeSignature(`0x${"11".repeat(64)}05`)],
        ["round id", () => roundIdParts("0x12")],
        ["sequence", () => makeRoundId(r.participants[0], 0n)],
        ["event bytes", () => decodeRoundDeltas("0x01")],
        ["event table", () => decodeRoundDeltas(`0x01${"05"}00${"00000001"}`, { nodes: [] })],
        ["stake", () => selectQuorum(r, r.participants, new Map())],
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
