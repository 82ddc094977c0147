import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { encodeAbiParameters, keccak256, parseAbiParameters, parseEther, type Address } from "viem";
import { expectRevert } from "../helpers/revert.js";
import { actor, cid, deploySwarm, drawnRecord, openBatch, settle, signAll, type Actor } from "../kit/chorus-fixture.js";
import { recordArgs, recordDigest, signRecord, type RoundRecord } from "../../src/core/index.js";
import { recordsCommitment } from "../../src/protocol/index.js";

const STAKE = parseEther("500");
const DEPOSIT = parseEther("100");

enum Status {
  None,
  Open,
  Upheld,
  Rejected,
  Reclaimed,
}

/**
 * A swarm with one settled epoch of two rounds (a reserved batch, each record listing its drawn committee: with 4
 * equal stakes and 7 expected seats every node holds a seat), and a disputer holding tokens.
 */
async function fixture() {
  const s = await deploySwarm({ nodes: 4 });
  const coordinator = s.nodes[0];
  const batch = await openBatch(s, coordinator, 2);
  const records: RoundRecord[] = [];
  for (let i = 0; i < 2; i++) records.push(await drawnRecord(s, batch));
  for (const r of records) expect(r.participants).to.have.length(4);
  const signed = await Promise.all(records.map((r) => signAll(s.domain, r, s.nodes)));
  await settle(s, coordinator.wallet, signed);
  const digests = records.map((r) => recordDigest(s.domain, r));
  const disputer = await actor(0, "disputer");
  await s.token.write.transfer([disputer.address, parseEther("1000")]);
  const d = await s.as(disputer.wallet);
  await d.token.write.approve([s.disputes.address, parseEther("1000")]);
  const arbitratorRole = await s.disputes.read.ARBITRATOR_ROLE();
  return { ...s, records, signed, digests, disputer, d, arbitratorRole };
}
type F = Awaited<ReturnType<typeof fixture>>;

const sigsOf = (f: F, i: number, who: Actor[]) => who.map((w) => f.signed[i].signatures[w.address]);

/** Record `i` of the settled epoch 1, located in it (what an equivocation proof shows). */
const settledArgs = (f: F, i = 0) => ({
  epoch: 1n,
  epochDigests: f.digests,
  index: BigInt(i),
  record: recordArgs(f.records[i]),
});
const NO_SALT = cid("no commitment");

async function open(f: F, i = 0, who: Actor[] = f.nodes.slice(0, 3)) {
  return f.d.disputes.write.openDispute([
    1n,
    f.digests,
    BigInt(i),
    recordArgs(f.records[i]),
    sigsOf(f, i, who),
    cid("evidence"),
  ]);
}

const stakeOf = async (f: F, a: Address) => {
  const info = await f.registry.read.nodeInfo([a]);
  return info.staked + info.thawing;
};

describe("Disputes", () => {
  describe("deployment", () => {
    it("deploy script: parameters, roles, SLASHER_ROLE on the registry", async () => {
      const f = await loadFixture(fixture);
      const p = await f.disputes.read.params();
      expect(p).to.deep.include({
        equivocationSlashBps: 5000,
        equivocationRewardBps: 5000,
        falseResultSlashBps: 1000,
        falseResultRewardBps: 5000,
      });
      expect(p.deposit).to.equal(DEPOSIT);
      expect(await f.disputes.read.hasRole([f.arbitratorRole, f.deployer.account.address])).to.equal(true);
      expect(await f.disputes.read.disputeCount()).to.equal(0n);
    });

    it("constructor: reverts on zero addresses and parameters out of bounds", async () => {
      const f = await loadFixture(fixture);
      const ok = { ...(await f.disputes.read.params()) };
      const a = f.deployer.account.address;
      const zero = "0x0000000000000000000000000000000000000000" as Address;
      const deploy = (args: unknown[]) => hre.viem.deployContract("Disputes", args as never);
      const expectDeployRevert = async (args: unknown[], name: string) => {
        let error: unknown;
        try {
          await deploy(args);
        } catch (e) {
          error = e;
        }
        expect(String((error as Error | undefined)?.message), name).to.contain(name);
      };
      const full = (p: typeof ok, cap = 2_000): unknown[] => [
        f.settlement.address,
        f.registry.address,
        a,
        0,
        a,
        p,
        cap,
      ];
      for (const i of [0, 1, 4]) {
        const args = full(ok);
        args[i] = zero;
        await expectDeployRevert(args, "DisputesZeroAddress");
      }
      const noAdmin = full(ok);
      noAdmin[2] = zero;
      await expectDeployRevert(noAdmin, "AccessControlInvalidDefaultAdmin");
      await expectDeployRevert(full(ok, 0), "DisputesInvalidParameter");
      await expectDeployRevert(full(ok, 5_001), "DisputesInvalidParameter");
      const bad = [
        { equivocationSlashBps: 0 },
        { equivocationSlashBps: 10_001 },
        { equivocationRewardBps: 10_001 },
        { falseResultSlashBps: 0 },
        { falseResultRewardBps: 10_001 },
        { deposit: 0n },
        { disputeWindow: 59n },
        { arbitrationPeriod: BigInt(366 * 24 * 3600) },
      ];
      for (const b of bad) await expectDeployRevert(full({ ...ok, ...b }), "DisputesInvalidParameter");
    });
  });

  describe("equivocation", () => {
    it("a settled record and a conflicting one signed by one node: it is slashed, the committed prover rewarded, once per round", async () => {
      const f = await loadFixture(fixture);
      const [, liar] = f.nodes;
      const a = f.records[0];
      const b: RoundRecord = { ...a, transcriptCid: cid("another transcript") };
      const sigA = f.signed[0].signatures[liar.address];
      const sigB = await signRecord(liar.account, f.domain, b);
      const prover = await actor(1, "prover");
      const p = await f.as(prover.wallet);
      const salt = cid("prover salt");
      await p.disputes.write.commitEquivocationProof([
        keccak256(
          encodeAbiParameters(parseAbiParameters("address, bytes32, bytes32, bytes32"), [
            prover.address,
            recordDigest(f.domain, a),
            recordDigest(f.domain, b),
            salt,
          ]),
        ),
      ]);
      const treasury = await f.token.read.balanceOf([f.treasury.account.address]);
      await p.disputes.write.proveEquivocation([settledArgs(f), sigA, recordArgs(b), sigB, salt]);
      const amount = STAKE / 2n;
      expect(await stakeOf(f, liar.address)).to.equal(STAKE - amount);
      expect(await f.token.read.balanceOf([prover.address])).to.equal(amount / 2n);
      expect((await f.token.read.balanceOf([f.treasury.account.address])) - treasury).to.equal(amount / 2n);
      const [ev] = await f.disputes.getEvents.EquivocationProven({ roundId: a.roundId });
      expect(ev.args).to.deep.include({
        amount,
        reward: amount / 2n,
        digestA: recordDigest(f.domain, a),
        digestB: recordDigest(f.domain, b),
      });
      expect(await f.disputes.read.equivocationSlashed([a.roundId, liar.address])).to.equal(true);
      await expectRevert(
        p.disputes.simulate.proveEquivocation([settledArgs(f), sigA, recordArgs(b), sigB, salt]),
        "DisputesAlreadySlashed",
        [a.roundId, liar.address],
      );
      const [slashed] = await f.registry.getEvents.NodeSlashed({ node: liar.address });
      expect(slashed.args.reason).to.equal("equivocation");
      expect(slashed.args.evidenceCid).to.equal(a.transcriptCid);
    });

    it("reverts for different rounds, the same record, different signers, bad signatures, nothing to slash", async () => {
      const f = await loadFixture(fixture);
      const [n0, n1] = f.nodes;
      const a = f.records[0];
      const b: RoundRecord = { ...a, deltas: a.deltas.map((d) => -d) };
      const p = f.d.disputes;
      const sig = (w: Actor, r: RoundRecord) => signRecord(w.account, f.domain, r);
      await expectRevert(
        p.simulate.proveEquivocation([
          settledArgs(f),
          await sig(n0, a),
          recordArgs(f.records[1]),
          await sig(n0, f.records[1]),
          NO_SALT,
        ]),
        "DisputesDifferentRounds",
        [a.roundId, f.records[1].roundId],
      );
      await expectRevert(
        p.simulate.proveEquivocation([settledArgs(f), await sig(n0, a), recordArgs(a), await sig(n0, a), NO_SALT]),
        "DisputesSameRecord",
        [recordDigest(f.domain, a)],
      );
      await expectRevert(
        p.simulate.proveEquivocation([settledArgs(f), await sig(n0, a), recordArgs(b), await sig(n1, b), NO_SALT]),
        "DisputesDifferentSigners",
        [n0.address, n1.address],
      );
      await expectRevert(
        p.simulate.proveEquivocation([settledArgs(f), "0x1234", recordArgs(b), await sig(n1, b), NO_SALT]),
        "DisputesInvalidSignature",
        [recordDigest(f.domain, a)],
      );
      const stranger = await actor(7, "stranger");
      await expectRevert(
        p.simulate.proveEquivocation([
          settledArgs(f),
          await sig(stranger, a),
          recordArgs(b),
          await sig(stranger, b),
          NO_SALT,
        ]),
        "DisputesNothingToSlash",
        [stranger.address],
      );
    });
  });

  describe("arbitrated disputes", () => {
    it("openDispute: pulls the deposit, proves the signers against the settled epoch, emits DisputeOpened", async () => {
      const f = await loadFixture(fixture);
      const before = await f.token.read.balanceOf([f.disputer.address]);
      await open(f, 1);
      expect(before - (await f.token.read.balanceOf([f.disputer.address]))).to.equal(DEPOSIT);
      const d = await f.disputes.read.dispute([1n]);
      expect(d.status).to.equal(Status.Open);
      expect(d.roundId).to.equal(f.records[1].roundId);
      expect(d.recordDigest).to.equal(f.digests[1]);
      expect(d.signers.map((x) => x.toLowerCase())).to.deep.equal(
        f.nodes.slice(0, 3).map((n) => n.address.toLowerCase()),
      );
      expect(d.deadline).to.equal(BigInt(await time.latest()) + (await f.disputes.read.params()).arbitrationPeriod);
      // opening locked the false-result share of each named signer's stake
      expect(d.locked).to.deep.equal([STAKE / 10n, STAKE / 10n, STAKE / 10n]);
      for (const n of f.nodes.slice(0, 3)) expect(await f.registry.read.lockedOf([n.address])).to.equal(STAKE / 10n);
      expect(await f.disputes.read.roundStatus([f.records[1].roundId])).to.equal(Status.Open);
      const [ev] = await f.disputes.getEvents.DisputeOpened({ id: 1n });
      expect(ev.args.evidenceCid).to.equal(cid("evidence"));
      expect(recordsCommitment(f.digests)).to.equal((await f.settlement.read.epochInfo([1n]))[0]);
    });

    it("uphold: slashes every proven signer, rewards the disputer, refunds the deposit; a signer is upheld once per round", async () => {
      const f = await loadFixture(fixture);
      await open(f, 0);
      const before = await f.token.read.balanceOf([f.disputer.address]);
      await f.disputes.write.uphold([1n, recordArgs(f.records[0])]);
      const amount = STAKE / 10n;
      for (const n of f.nodes.slice(0, 3)) expect(await stakeOf(f, n.address)).to.equal(STAKE - amount);
      expect(await stakeOf(f, f.nodes[3].address)).to.equal(STAKE);
      expect((await f.token.read.balanceOf([f.disputer.address])) - before).to.equal(DEPOSIT + 3n * (amount / 2n));
      expect((await f.disputes.read.dispute([1n])).status).to.equal(Status.Upheld);
      const [ev] = await f.disputes.getEvents.DisputeUpheld({ id: 1n });
      expect(ev.args.amounts).to.deep.equal([amount, amount, amount]);
      await expectRevert(f.disputes.simulate.uphold([1n, recordArgs(f.records[0])]), "DisputesNotOpen", [
        1n,
        Status.Upheld,
      ]);
      await expectRevert(
        f.d.disputes.simulate.openDispute([
          1n,
          f.digests,
          0n,
          recordArgs(f.records[0]),
          sigsOf(f, 0, f.nodes.slice(0, 1)),
          cid("e"),
        ]),
        "DisputesSignerAlreadyDisputed",
        [f.records[0].roundId, f.nodes[0].address, Status.Upheld],
      );
      expect(await f.registry.read.lockedOf([f.nodes[0].address])).to.equal(0n);
      // the round's deltas are void, and its other signer can still be disputed
      expect(await f.settlement.read.isVoided([f.records[0].roundId])).to.equal(true);
      await open(f, 0, f.nodes.slice(3, 4));
      expect(await f.disputes.read.roundStatus([f.records[0].roundId])).to.equal(Status.Upheld);
    });

    it("the forger cannot walk away: stake under dispute stays locked through thawing until the uphold takes it", async () => {
      const f = await loadFixture(fixture);
      const [coordinator, forger] = f.nodes;
      const g = await f.as(forger.wallet);
      // the forger starts thawing everything first: it still holds its seat (weights are the period's start)
      await g.registry.write.requestUnstake([STAKE]);
      const thawEnd = (await f.registry.read.nodeInfo([forger.address])).thawEnd;
      // half an hour later, still in the same weight period, it signs a round that settles
      await time.increase(1850);
      const batch = await openBatch(f, coordinator, 1);
      const record = await drawnRecord(f, batch);
      const signed = await signAll(f.domain, record, f.nodes);
      await settle(f, coordinator.wallet, [signed]);
      const epoch = await f.settlement.read.epochCount();
      await f.d.disputes.write.openDispute([
        epoch,
        [recordDigest(f.domain, record)],
        0n,
        recordArgs(record),
        [signed.signatures[forger.address]],
        cid("evidence"),
      ]);
      expect(await f.registry.read.lockedOf([forger.address])).to.equal(STAKE / 10n);
      const d = await f.disputes.read.dispute([1n]);
      expect(thawEnd < d.deadline, "the stake would thaw out before the dispute is resolved").to.equal(true);
      // thawed before the arbitrator rules: the withdrawal leaves the locked share behind
      await time.increaseTo(thawEnd);
      const before = await f.token.read.balanceOf([forger.address]);
      await g.registry.write.withdraw();
      expect((await f.token.read.balanceOf([forger.address])) - before).to.equal(STAKE - STAKE / 10n);
      await expectRevert(g.registry.simulate.withdraw(), "NodeRegistryStakeLocked", [
        forger.address,
        STAKE / 10n,
        STAKE / 10n,
      ]);
      // the uphold takes what was locked
      await f.disputes.write.uphold([1n, recordArgs(record)]);
      const [ev] = await f.disputes.getEvents.DisputeUpheld({ id: 1n });
      expect(ev.args.amounts).to.deep.equal([STAKE / 10n]);
      expect(await stakeOf(f, forger.address)).to.equal(0n);
      expect(await f.registry.read.lockedOf([forger.address])).to.equal(0n);
    });

    it("reject: the deposit goes to the treasury and the round can be disputed again", async () => {
      const f = await loadFixture(fixture);
      await open(f, 0);
      const treasury = await f.token.read.balanceOf([f.treasury.account.address]);
      await f.disputes.write.reject([1n]);
      expect((await f.token.read.balanceOf([f.treasury.account.address])) - treasury).to.equal(DEPOSIT);
      expect((await f.disputes.read.dispute([1n])).status).to.equal(Status.Rejected);
      expect(await f.disputes.getEvents.DisputeRejected({ id: 1n })).to.have.length(1);
      expect(await f.disputes.read.roundStatus([f.records[0].roundId])).to.equal(Status.None);
      await open(f, 0);
      expect(await f.disputes.read.disputeCount()).to.equal(2n);
    });

    it("reclaim: after the deadline an unresolved dispute refunds its disputer; the arbitrator is too late", async () => {
      const f = await loadFixture(fixture);
      await open(f, 0);
      const d = await f.disputes.read.dispute([1n]);
      await expectRevert(f.d.disputes.simulate.reclaim([1n]), "DisputesDeadlineNotReached");
      await time.increaseTo(d.deadline);
      const late = await expectRevert(
        f.disputes.simulate.uphold([1n, recordArgs(f.records[0])]),
        "DisputesDeadlinePassed",
      );
      expect(late[2]).to.equal(d.deadline);
      await expectRevert(f.disputes.simulate.reject([1n]), "DisputesDeadlinePassed");
      const before = await f.token.read.balanceOf([f.disputer.address]);
      await f.disputes.write.reclaim([1n]); // anyone may trigger it; the deposit goes to the disputer
      expect((await f.token.read.balanceOf([f.disputer.address])) - before).to.equal(DEPOSIT);
      expect((await f.disputes.read.dispute([1n])).status).to.equal(Status.Reclaimed);
      expect(await f.disputes.getEvents.DisputeReclaimed({ id: 1n })).to.have.length(1);
      await expectRevert(f.disputes.simulate.reclaim([1n]), "DisputesNotOpen", [1n, Status.Reclaimed]);
    });

    it("only the arbitrator resolves; unknown disputes revert", async () => {
      const f = await loadFixture(fixture);
      await open(f, 0);
      await expectRevert(
        f.d.disputes.simulate.uphold([1n, recordArgs(f.records[0])]),
        "AccessControlUnauthorizedAccount",
        [f.disputer.address, f.arbitratorRole],
      );
      await expectRevert(f.d.disputes.simulate.reject([1n]), "AccessControlUnauthorizedAccount", [
        f.disputer.address,
        f.arbitratorRole,
      ]);
      await expectRevert(f.disputes.simulate.uphold([9n, recordArgs(f.records[0])]), "DisputesUnknownDispute", [9n]);
      await expectRevert(f.disputes.read.dispute([0n]), "DisputesUnknownDispute", [0n]);
      await expectRevert(f.disputes.read.dispute([2n]), "DisputesUnknownDispute", [2n]);
    });

    it("openDispute: reverts on an unknown epoch, after the window, on wrong digests, on bad signers, twice", async () => {
      const f = await loadFixture(fixture);
      const d = f.d.disputes;
      const rec = recordArgs(f.records[0]);
      const three = sigsOf(f, 0, f.nodes.slice(0, 3));
      await expectRevert(d.simulate.openDispute([2n, f.digests, 0n, rec, three, cid("e")]), "DisputesUnknownEpoch", [
        2n,
      ]);
      await expectRevert(
        d.simulate.openDispute([1n, [f.digests[0]], 0n, rec, three, cid("e")]),
        "DisputesEpochMismatch",
        [1n, recordsCommitment([f.digests[0]]), recordsCommitment(f.digests)],
      );
      await expectRevert(
        d.simulate.openDispute([1n, f.digests, 1n, rec, three, cid("e")]),
        "DisputesRecordNotInEpoch",
        [1n, 1n, f.digests[0]],
      );
      await expectRevert(
        d.simulate.openDispute([1n, f.digests, 5n, rec, three, cid("e")]),
        "DisputesRecordNotInEpoch",
        [1n, 5n, f.digests[0]],
      );
      await expectRevert(d.simulate.openDispute([1n, f.digests, 0n, rec, [], cid("e")]), "DisputesNoSigners", [
        f.records[0].roundId,
      ]);
      await expectRevert(
        d.simulate.openDispute([1n, f.digests, 0n, rec, [three[0], three[0]], cid("e")]),
        "DisputesSignerAlreadyDisputed",
        [f.records[0].roundId, f.nodes[0].address, Status.Open],
      );
      const stranger = await actor(3, "stranger");
      const strangerSig = await signRecord(stranger.account, f.domain, f.records[0]);
      await expectRevert(
        d.simulate.openDispute([1n, f.digests, 0n, rec, [strangerSig], cid("e")]),
        "DisputesSignerNotParticipant",
        [f.records[0].roundId, stranger.address],
      );
      await expectRevert(
        d.simulate.openDispute([1n, f.digests, 0n, rec, ["0x00"], cid("e")]),
        "DisputesInvalidSignature",
        [f.digests[0]],
      );
      await open(f, 0);
      await expectRevert(
        d.simulate.openDispute([1n, f.digests, 0n, rec, three, cid("e")]),
        "DisputesSignerAlreadyDisputed",
        [f.records[0].roundId, f.nodes[0].address, Status.Open],
      );
      const [, settledAt] = await f.settlement.read.epochInfo([1n]);
      const closes = settledAt + (await f.disputes.read.params()).disputeWindow;
      await time.increaseTo(closes + 1n);
      const late = await expectRevert(
        d.simulate.openDispute([1n, f.digests, 1n, recordArgs(f.records[1]), sigsOf(f, 1, f.nodes), cid("e")]),
        "DisputesWindowClosed",
      );
      expect([late[0], late[2]]).to.deep.equal([1n, closes]);
    });
  });
});
