/**
 * Issue 12's attacks on settlement, each performed against contracts deployed by the real deploy scripts (with the
 * production minimum committee of 3 where it matters), each asserting the attack is refused (custom error with its
 * values) or has no effect.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther, type Address, type Hex } from "viem";
import { expectRevert } from "../../helpers/revert.js";
import {
  cid,
  deploySwarm,
  drawnRecord,
  nextCommittee,
  openBatch,
  settle,
  signAll,
  simulateSettle,
  finalizeEpochs,
  type Actor,
  type Swarm,
} from "../../kit/chorus-fixture.js";
import { encodeEpoch } from "../../../src/protocol/index.js";
import { recordArgs, recordDigest, type SignedRecord } from "../../../src/core/index.js";
import { roundSeed } from "../../../src/protocol/index.js";

const signersOf = (s: Swarm, addresses: readonly Address[]): Actor[] =>
  addresses.map((a) => s.nodes.find((n) => n.address.toLowerCase() === a.toLowerCase())!);

/** The stake one void without credit costs a coordinator holding `held`: 0.5% of it, at least 5% of the minimum stake. */
async function voidFine(s: Swarm, held: bigint): Promise<bigint> {
  const share = (held * 50n) / 10_000n;
  const fine = ((await s.registry.read.minStake()) * 500n) / 10_000n;
  return share > fine ? share : fine;
}

async function production() {
  return deploySwarm({ nodes: 7, sources: 2, params: { minCommittee: 3 } });
}
async function permissive() {
  return deploySwarm({ nodes: 7, sources: 2 });
}

describe("attacks: settlement (issue 12)", function () {
  this.timeout(120_000);

  it("one staked node cannot settle records whose only participant is itself", async () => {
    const s = await loadFixture(production);
    const attacker = s.nodes[0];
    const batch = await openBatch(s, attacker);
    const record = await drawnRecord(s, batch, { participants: [attacker.address], deltas: [50_000] });
    const signed = await signAll(s.domain, record, [attacker]);
    await expectRevert(simulateSettle(s, attacker.wallet, [signed]), "SettlementCommitteeTooSmall", [
      record.roundId,
      1n,
      3n,
    ]);
    expect(await s.settlement.read.reputationOf([attacker.address])).to.equal(250_000n);
  });

  it("a node cannot list a victim (and a filler) and move their reputation without their signatures", async () => {
    const s = await loadFixture(production);
    const [attacker, victim, filler] = s.nodes;
    const batch = await openBatch(s, attacker);
    const record = await drawnRecord(s, batch, {
      participants: [attacker.address, victim.address, filler.address],
      deltas: [50_000, -50_000, -50_000].map((d, i) => d + 0 * i),
    });
    const signed = await signAll(s.domain, record, [attacker]);
    await expectRevert(simulateSettle(s, attacker.wallet, [signed]), "SettlementQuorumNotReached", [
      record.roundId,
      1n,
      3n,
    ]);
  });

  it("a node cannot zero a data source's scores with a self-made record", async () => {
    const s = await loadFixture(production);
    const attacker = s.nodes[0];
    const source = s.sourceActors[0];
    const batch = await openBatch(s, attacker);
    const record = await drawnRecord(s, batch, {
      participants: [attacker.address],
      deltas: [0],
      sources: [{ source: source.address, reliability: -50_000, usefulness: -50_000, servedCid: cid("served") }],
    });
    const signed = await signAll(s.domain, record, [attacker], s.sourceActors);
    await expectRevert(simulateSettle(s, attacker.wallet, [signed]), "SettlementCommitteeTooSmall", [
      record.roundId,
      1n,
      3n,
    ]);
    const score = await s.sources.read.scoresOf([[source.address]]);
    expect(score[0].reliability).to.equal(500_000);
  });

  it("the quorum is weighed when the period began: addStake just before settling does not help", async () => {
    const s = await loadFixture(production);
    const coordinator = s.nodes[0];
    const batch = await openBatch(s, coordinator);
    const { committee } = await nextCommittee(s, batch);
    const record = await drawnRecord(s, batch);
    const four = signersOf(s, committee.members.slice(0, 4));
    const signed = await signAll(s.domain, record, four);
    const args = [record.roundId, 4n, committee.totalSeats] as const;
    await expectRevert(simulateSettle(s, coordinator.wallet, [signed]), "SettlementQuorumNotReached", args);
    // a signer adds a large stake right before settlement: the quorum still reads the period's start
    const big = parseEther("100000");
    await s.token.write.transfer([four[0].address, big]);
    await (await s.as(four[0].wallet)).token.write.approve([s.registry.address, big]);
    await (await s.as(four[0].wallet)).registry.write.addStake([big]);
    await expectRevert(simulateSettle(s, coordinator.wallet, [signed]), "SettlementQuorumNotReached", args);
  });

  it("a participant that unstakes, or a source that leaves, just before settlement does not revert the epoch", async () => {
    const s = await loadFixture(production);
    const coordinator = s.nodes[0];
    const source = s.sourceActors[0];
    const batch = await openBatch(s, coordinator);
    const { committee } = await nextCommittee(s, batch);
    const record = await drawnRecord(s, batch, {
      sources: [{ source: source.address, reliability: -20_000, usefulness: 10_000, servedCid: cid("served") }],
    });
    const signers = signersOf(s, committee.members);
    const signed = await signAll(s.domain, record, signers, s.sourceActors);
    const leaver = signers[signers.length - 1];
    const info = await s.registry.read.nodeInfo([leaver.address]);
    await (await s.as(leaver.wallet)).registry.write.requestUnstake([info.staked]);
    await (await s.as(source.wallet)).sources.write.leave();
    const hash = await settle(s, coordinator.wallet, [signed]);
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
    expect(await s.settlement.read.isClosed([record.roundId])).to.equal(true);
    // nor its finality: the source that left is skipped then
    await finalizeEpochs(s);
    const skipped = await s.settlement.getEvents.SourceSkipped({}, { fromBlock: 0n });
    expect(skipped.map((e) => e.args.source?.toLowerCase())).to.deep.equal([source.address.toLowerCase()]);
  });

  it("a record listing a node that holds no seat is refused, even signed by a quorum of such nodes", async () => {
    const s = await loadFixture(permissive);
    const coordinator = s.nodes[0];
    // an eighth node that stakes in this period holds no seat until the next period begins
    const { actor: mkActor, stakeActor } = await import("../../kit/chorus-fixture.js");
    const outsiders = [await mkActor(20), await mkActor(21), await mkActor(22)];
    for (const o of outsiders) await stakeActor(s, o, parseEther("500"));
    const batch = await openBatch(s, coordinator);
    const record = await drawnRecord(s, batch, {
      participants: [coordinator.address, ...outsiders.map((o) => o.address)],
    });
    const signed = await signAll(s.domain, record, [coordinator, ...outsiders]);
    const first = [...outsiders].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1))[0];
    const err = await expectRevert(simulateSettle(s, coordinator.wallet, [signed]), "SettlementNotDrawn");
    expect((err[1] as string).toLowerCase()).to.equal(first.address.toLowerCase());
  });

  it("a coordinator cannot pick its seed: a record signed over another seed does not verify", async () => {
    const s = await loadFixture(permissive);
    const coordinator = s.nodes[0];
    const batch = await openBatch(s, coordinator);
    const { committee } = await nextCommittee(s, batch);
    const record = await drawnRecord(s, batch);
    const forged = { ...record, seed: roundSeed(cid("a seed the coordinator liked"), record.roundId) };
    const signed = await signAll(s.domain, forged, signersOf(s, committee.members));
    await expectRevert(simulateSettle(s, coordinator.wallet, [signed]), "SettlementBadSignature");
  });

  it("a coordinator cannot settle before its seed block exists, nor after its seed expired", async () => {
    const s = await loadFixture(permissive);
    const coordinator = s.nodes[0];
    await (await s.as(coordinator.wallet)).settlement.write.openBatch([8n]);
    const [, , seedBlock] = await s.settlement.read.batchOf([coordinator.address]);
    const block = await s.publicClient.getBlockNumber();
    await expectRevert(
      (await s.as(coordinator.wallet)).settlement.simulate.fixSeed([coordinator.address]),
      "SettlementSeedNotReady",
      [coordinator.address, seedBlock, block],
    );
    await hre.network.provider.send("hardhat_mine", ["0x102"]);
    const now = await s.publicClient.getBlockNumber();
    await expectRevert(s.settlement.simulate.fixSeed([coordinator.address]), "SettlementSeedExpired", [
      coordinator.address,
      seedBlock,
      now,
    ]);
  });

  it("sequences are consecutive and reserved: a coordinator cannot skip ahead or settle beyond its batch", async () => {
    const s = await loadFixture(permissive);
    const coordinator = s.nodes[0];
    const batch = await openBatch(s, coordinator, 2);
    batch.next = 2n; // skip sequence 1
    const { committee } = await nextCommittee(s, batch);
    const record = await drawnRecord(s, batch);
    const signed = await signAll(s.domain, record, signersOf(s, committee.members));
    await expectRevert(simulateSettle(s, coordinator.wallet, [signed]), "SettlementRoundReplayed", [
      record.roundId,
      0n,
      2n,
    ]);
  });

  it("a stale or future weight period is refused", async () => {
    const s = await loadFixture(permissive);
    const coordinator = s.nodes[0];
    const batch = await openBatch(s, coordinator);
    const { committee } = await nextCommittee(s, batch);
    const record = await drawnRecord(s, batch);
    const signed = await signAll(s.domain, record, signersOf(s, committee.members));
    await expectRevert(
      simulateSettle(s, coordinator.wallet, [signed], { period: batch.period + 1 }),
      "SettlementFuturePeriod",
      [batch.period + 1, batch.period],
    );
    await expectRevert(
      simulateSettle(s, coordinator.wallet, [signed], { period: batch.period - 1 }),
      "SettlementWrongPeriod",
      [coordinator.address, batch.period, batch.period - 1],
    );
    const length = await s.settlement.read.periodLength();
    await hre.network.provider.send("evm_increaseTime", [Number(length * 2n)]);
    await hre.network.provider.send("evm_mine", []);
    await expectRevert(simulateSettle(s, coordinator.wallet, [signed]), "SettlementPeriodExpired", [
      batch.period,
      batch.period + 2,
    ]);
  });

  it("an omitted member is proven on chain: the round is voided, its deltas never apply, its coordinator penalised", async () => {
    const s = await loadFixture(permissive);
    const coordinator = s.nodes[0];
    const batch = await openBatch(s, coordinator);
    const { committee } = await nextCommittee(s, batch);
    expect(committee.members.length).to.equal(7);
    const omitted = committee.members.find((m) => m.toLowerCase() !== coordinator.address.toLowerCase())!;
    const listed = committee.members.filter((m) => m !== omitted);
    const record = await drawnRecord(s, batch, {
      participants: listed,
      deltas: listed.map((m) => (m === coordinator.address ? 40_000 : -20_000)),
    });
    const signed: SignedRecord = await signAll(s.domain, record, signersOf(s, listed));
    await settle(s, coordinator.wallet, [signed]);
    // pending: the coordinator's +40,000 is not in its reputation
    expect(await s.settlement.read.reputationOf([coordinator.address])).to.equal(250_000n);
    const epoch = await s.settlement.read.epochCount();
    const digest = recordDigest(s.domain, record);
    const omissions = await hre.viem.getContractAt("Omissions", s.deployments.contracts.Omissions.address);
    // a listed member is not an omission
    await expectRevert(
      omissions.simulate.proveOmission([epoch, [digest], 0n, recordArgs(record), listed[1]]),
      "OmissionsNodeListed",
      [record.roundId, listed[1]],
    );
    const before = await s.registry.read.nodeInfo([coordinator.address]);
    const hash = await omissions.write.proveOmission([epoch, [digest], 0n, recordArgs(record), omitted]);
    const receipt = await s.publicClient.waitForTransactionReceipt({ hash });
    console.log(`      BENCH gas_omission_proof ${receipt.gasUsed} gas`);
    expect(await s.settlement.read.isVoided([record.roundId])).to.equal(true);
    // the coordinator loses 50,000 at once; at finality the round's +40,000 and -20,000s never apply
    expect(await s.settlement.read.reputationOf([coordinator.address])).to.equal(200_000n);
    const after = await s.registry.read.nodeInfo([coordinator.address]);
    expect(after.staked).to.equal(before.staked - before.staked / 10n);
    // one proof per round
    await expectRevert(
      omissions.simulate.proveOmission([epoch, [digest], 0n, recordArgs(record), omitted]),
      "SettlementRoundVoided",
      [record.roundId],
    );
    await finalizeEpochs(s);
    expect(await s.settlement.read.reputationOf([coordinator.address])).to.equal(200_000n);
    expect(await s.settlement.read.reputationOf([listed.find((m) => m !== coordinator.address)!])).to.equal(250_000n);
  });

  it("an honest epoch settles with the drawn committee and a 2/3 seat quorum", async () => {
    const s = await loadFixture(production);
    const coordinator = s.nodes[0];
    const batch = await openBatch(s, coordinator);
    const signed: SignedRecord[] = [];
    for (let i = 0; i < 3; i++) {
      const { committee } = await nextCommittee(s, batch);
      const record = await drawnRecord(s, batch);
      signed.push(await signAll(s.domain, record, signersOf(s, committee.members).slice(0, 5)));
    }
    const e = encodeEpoch(signed);
    await (await s.as(coordinator.wallet)).settlement.write.settleEpoch([batch.period, e.nodes, e.sources, e.records]);
    expect(await s.settlement.read.lastSequence([coordinator.address])).to.equal(3n);
    const [, , , , , credit] = await s.settlement.read.batchOf([coordinator.address]);
    expect(credit).to.equal(16 + 3);
  });

  it("voids are bounded: free within credit, then each costs the coordinator reputation and stake", async () => {
    const s = await loadFixture(permissive);
    const coordinator = s.nodes[0];
    await openBatch(s, coordinator, 10);
    const c = await s.as(coordinator.wallet);
    await c.settlement.write.voidRounds([1n]); // 1 void: the initial credit of 16
    expect(await s.settlement.read.reputationOf([coordinator.address])).to.equal(250_000n);
    const before = (await s.registry.read.nodeInfo([coordinator.address])).staked;
    await c.settlement.write.voidRounds([3n]); // 2 more: no credit left
    expect(await s.settlement.read.reputationOf([coordinator.address])).to.equal(240_000n);
    expect((await s.registry.read.nodeInfo([coordinator.address])).staked).to.equal(
      before - 2n * (await voidFine(s, before)),
    );
    await expectRevert(c.settlement.simulate.voidRounds([11n]), "SettlementBadVoid", [11n, 3n, 10n]);
  });

  it("no one but the omission and dispute contracts voids a settled round or locks stake; the admin wires them once", async () => {
    const s = await loadFixture(permissive);
    const coordinator = s.nodes[0];
    const batch = await openBatch(s, coordinator);
    const { committee } = await nextCommittee(s, batch);
    const record = await drawnRecord(s, batch);
    await settle(s, coordinator.wallet, [await signAll(s.domain, record, signersOf(s, committee.members))]);
    const outsider = s.nodes[2];
    const o = await s.as(outsider.wallet);
    // a staked node (or the admin itself) cannot void a round it dislikes
    await expectRevert(o.settlement.simulate.voidSettledRound([1n, recordArgs(record), 0n]), "SettlementNotVoider", [
      outsider.address,
    ]);
    await expectRevert(s.settlement.simulate.voidSettledRound([1n, recordArgs(record), 0n]), "SettlementNotVoider", [
      s.deployer.account.address,
    ]);
    // nor lock a rival's stake
    await expectRevert(o.registry.simulate.lock([coordinator.address, 1n]), "NodeRegistryNotDisputes", [
      outsider.address,
    ]);
    await expectRevert(o.registry.simulate.unlock([coordinator.address, 1n]), "NodeRegistryNotDisputes", [
      outsider.address,
    ]);
    // and the admin cannot swap in a friendlier voider or dispute contract later
    const [omissions, disputes] = await s.settlement.read.voiders();
    await expectRevert(
      s.settlement.simulate.setVoiders([outsider.address, outsider.address]),
      "SettlementVoidersAlreadySet",
      [omissions, disputes],
    );
    await expectRevert(s.registry.simulate.setDisputes([outsider.address]), "NodeRegistryDisputesAlreadySet", [
      disputes,
    ]);
    expect(await s.settlement.read.isVoided([record.roundId])).to.equal(false);
  });

  it("a fresh address cannot reserve rounds to draw committees for free", async () => {
    const s = await loadFixture(permissive);
    const { actor: mkActor } = await import("../../kit/chorus-fixture.js");
    const fresh = await mkActor(40);
    await expectRevert((await s.as(fresh.wallet)).settlement.simulate.openBatch([1n]), "SettlementNotCoordinatorNode", [
      fresh.address,
    ]);
  });

  it("an abandoned batch is charged by anyone once it expired: a coordinator cannot keep only the draws it liked", async () => {
    const s = await loadFixture(permissive);
    const coordinator = s.nodes[0];
    const batch = await openBatch(s, coordinator, 8);
    // settles nothing of its batch and walks away; before expiry nobody can close it
    await expectRevert(s.settlement.simulate.closeExpiredBatch([coordinator.address]), "SettlementBatchNotExpired", [
      coordinator.address,
      batch.period,
      batch.period,
    ]);
    const length = await s.settlement.read.periodLength();
    await hre.network.provider.send("evm_increaseTime", [Number(length * 2n)]);
    await hre.network.provider.send("evm_mine", []);
    const before = (await s.registry.read.nodeInfo([coordinator.address])).staked;
    const keeper = s.nodes[3];
    await (await s.as(keeper.wallet)).settlement.write.closeExpiredBatch([coordinator.address]);
    // 8 voids: 1 paid by the initial credit, 7 charged 5,000 reputation and the void fine each
    expect(await s.settlement.read.reputationOf([coordinator.address])).to.equal(250_000n - 35_000n);
    expect((await s.registry.read.nodeInfo([coordinator.address])).staked).to.equal(
      before - 7n * (await voidFine(s, before)),
    );
    expect(await s.settlement.read.lastSequence([coordinator.address])).to.equal(8n);
  });
});

export type { Hex };
