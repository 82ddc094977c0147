/**
 * Issue 13's attacks on disputes and equivocation proofs, against contracts deployed by the real deploy scripts.
 * (The forger that walks away is in test/contracts/disputes.test.ts.)
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { encodeAbiParameters, keccak256, parseAbiParameters, parseEther, type Hex } from "viem";
import { expectRevert } from "../../helpers/revert.js";
import {
  actor,
  cid,
  deploySwarm,
  drawnRecord,
  openBatch,
  settle,
  signAll,
  type Actor,
} from "../../kit/chorus-fixture.js";
import { recordArgs, recordDigest, signRecord, type RoundRecord } from "../../../src/core/index.js";
import { roundSeed } from "../../../src/protocol/index.js";

const STAKE = parseEther("500");

async function fixture() {
  const s = await deploySwarm({ nodes: 4 });
  const coordinator = s.nodes[0];
  const batch = await openBatch(s, coordinator, 4);
  const record = await drawnRecord(s, batch);
  const signed = await signAll(s.domain, record, s.nodes);
  await settle(s, coordinator.wallet, [signed]);
  const digests = [recordDigest(s.domain, record)];
  const settled = { epoch: 1n, epochDigests: digests, index: 0n, record: recordArgs(record) };
  const outsider = await actor(5, "watcher");
  await s.token.write.transfer([outsider.address, parseEther("1000")]);
  const o = await s.as(outsider.wallet);
  await o.token.write.approve([s.disputes.address, parseEther("1000")]);
  return { ...s, coordinator, batch, record, signed, digests, settled, outsider, o };
}
type F = Awaited<ReturnType<typeof fixture>>;
const stakeOf = async (f: F, a: Actor) => {
  const i = await f.registry.read.nodeInfo([a.address]);
  return i.staked + i.thawing;
};
const commitment = (prover: Hex, a: Hex, b: Hex, salt: Hex) =>
  keccak256(encodeAbiParameters(parseAbiParameters("address, bytes32, bytes32, bytes32"), [prover, a, b, salt]));

describe("attacks: disputes and equivocation (issue 13)", function () {
  this.timeout(120_000);

  it("equivocation trap: a second record of a round that could never settle (another seed) slashes no one", async () => {
    const f = await loadFixture(fixture);
    const [, member] = f.nodes;
    // the coordinator runs the round id again later, under a seed the round never had, and the member signs it
    const rerun: RoundRecord = {
      ...f.record,
      seed: roundSeed(cid("another batch"), f.record.roundId),
      transcriptCid: cid("rerun"),
    };
    const sigB = await signRecord(member.account, f.domain, rerun);
    await expectRevert(
      (await f.as(f.coordinator.wallet)).disputes.simulate.proveEquivocation([
        f.settled,
        f.signed.signatures[member.address],
        recordArgs(rerun),
        sigB,
        cid("s"),
      ]),
      "DisputesNotConflicting",
      [f.record.roundId, recordDigest(f.domain, f.record), recordDigest(f.domain, rerun)],
    );
    expect(await stakeOf(f, member)).to.equal(STAKE);
  });

  it("the coordinator that trapped a member earns nothing from proving it, even with a commitment", async () => {
    const f = await loadFixture(fixture);
    const [, member] = f.nodes;
    const other: RoundRecord = { ...f.record, transcriptCid: cid("second transcript") };
    const sigB = await signRecord(member.account, f.domain, other);
    const c = await f.as(f.coordinator.wallet);
    const salt = cid("salt");
    await c.disputes.write.commitEquivocationProof([
      commitment(f.coordinator.address, recordDigest(f.domain, f.record), recordDigest(f.domain, other), salt),
    ]);
    const before = await f.token.read.balanceOf([f.coordinator.address]);
    await c.disputes.write.proveEquivocation([
      f.settled,
      f.signed.signatures[member.address],
      recordArgs(other),
      sigB,
      salt,
    ]);
    expect(await f.token.read.balanceOf([f.coordinator.address])).to.equal(before);
    expect(await stakeOf(f, member)).to.equal(STAKE / 2n);
  });

  it("self-report pays nothing, and a proof copied from the mempool (no earlier commitment) pays no reward", async () => {
    const f = await loadFixture(fixture);
    const [, , liar] = f.nodes;
    const other: RoundRecord = { ...f.record, transcriptCid: cid("liar's second") };
    const sigB = await signRecord(liar.account, f.domain, other);
    // the equivocator proves its own equivocation: slashed in full, no reward back
    const before = await f.token.read.balanceOf([liar.address]);
    await (
      await f.as(liar.wallet)
    ).disputes.write.proveEquivocation([
      f.settled,
      f.signed.signatures[liar.address],
      recordArgs(other),
      sigB,
      cid("x"),
    ]);
    expect(await f.token.read.balanceOf([liar.address])).to.equal(before);
    expect(await stakeOf(f, liar)).to.equal(STAKE / 2n);
    // a bot that copies a pending proof (no commitment of its own) gets nothing either
    const [, , , liar2] = f.nodes;
    const other2: RoundRecord = { ...f.record, transcriptCid: cid("liar 2's second") };
    const bot = await actor(9, "bot");
    const b = await f.as(bot.wallet);
    await b.disputes.write.proveEquivocation([
      f.settled,
      f.signed.signatures[liar2.address],
      recordArgs(other2),
      await signRecord(liar2.account, f.domain, other2),
      cid("y"),
    ]);
    expect(await f.token.read.balanceOf([bot.address])).to.equal(0n);
  });

  it("a colluder's sacrificial dispute cannot shield the forger: the round is disputed again for the other signers", async () => {
    const f = await loadFixture(fixture);
    const [, sacrificed, forger] = f.nodes;
    const colluder = await actor(6, "colluder");
    await f.token.write.transfer([colluder.address, parseEther("1000")]);
    const c = await f.as(colluder.wallet);
    await c.token.write.approve([f.disputes.address, parseEther("1000")]);
    await c.disputes.write.openDispute([
      1n,
      f.digests,
      0n,
      recordArgs(f.record),
      [f.signed.signatures[sacrificed.address]],
      cid("weak"),
    ]);
    await f.disputes.write.uphold([1n, recordArgs(f.record)]);
    // an honest watcher disputes the same round for the forger: it is held and slashed too
    await f.o.disputes.write.openDispute([
      1n,
      f.digests,
      0n,
      recordArgs(f.record),
      [f.signed.signatures[forger.address]],
      cid("strong"),
    ]);
    expect(await f.registry.read.lockedOf([forger.address])).to.equal(STAKE / 10n);
    await f.disputes.write.uphold([2n, recordArgs(f.record)]);
    expect(await stakeOf(f, forger)).to.equal(STAKE - STAKE / 10n);
    // the round's deltas were voided once
    expect(await f.settlement.read.isVoided([f.record.roundId])).to.equal(true);
  });

  it("anyone adds the signers a disputer left out; a baseless dispute costs its deposit", async () => {
    const f = await loadFixture(fixture);
    const [n0, n1, n2] = f.nodes;
    await f.o.disputes.write.openDispute([
      1n,
      f.digests,
      0n,
      recordArgs(f.record),
      [f.signed.signatures[n0.address]],
      cid("e"),
    ]);
    await (
      await f.as(n2.wallet)
    ).disputes.write.addSigners([
      1n,
      recordArgs(f.record),
      [f.signed.signatures[n1.address], f.signed.signatures[n2.address]],
    ]);
    const d = await f.disputes.read.dispute([1n]);
    expect(d.signers.map((x) => x.toLowerCase())).to.deep.equal([n0, n1, n2].map((n) => n.address.toLowerCase()));
    expect(d.locked).to.deep.equal([STAKE / 10n, STAKE / 10n, STAKE / 10n]);
    const treasury = await f.token.read.balanceOf([f.treasury.account.address]);
    await f.disputes.write.reject([1n]);
    expect((await f.token.read.balanceOf([f.treasury.account.address])) - treasury).to.equal(parseEther("100"));
    for (const n of [n0, n1, n2]) expect(await f.registry.read.lockedOf([n.address])).to.equal(0n);
  });

  it("governance cannot cut thawing below the dispute window + arbitration", async () => {
    const f = await loadFixture(fixture);
    const p = await f.disputes.read.params();
    const floor = p.disputeWindow + p.arbitrationPeriod;
    // whoever holds the governor role (the timelock after deployment) is refused
    const governor = await f.registry.read.GOVERNOR_ROLE();
    const holder = (await f.registry.read.hasRole([governor, f.timelock.address]))
      ? f.timelock.address
      : f.deployer.account.address;
    expect(await f.registry.read.hasRole([governor, holder])).to.equal(true);
    await expectRevert(
      f.registry.simulate.setThawingPeriod([floor - 1n], { account: holder }),
      "NodeRegistryThawingBelowDisputes",
      [floor - 1n, floor],
    );
  });
});
