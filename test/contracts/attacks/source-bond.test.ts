/**
 * Attack (issue 13): sources for free. Registering a source cost nothing, so spam sources could flood or poison
 * retrieval. Now each registration pulls a bond (governance sets the minimum within bounds), locked while the
 * source is active and for the unbonding delay after it leaves (at least the dispute window), forfeitable by
 * the arbitrator. Against contracts deployed by the real deploy scripts.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { encodeFunctionData, parseEther, zeroHash } from "viem";
import { expectRevert } from "../../helpers/revert.js";
import { actor, cid, deployFull, type Actor, type Full } from "../../kit/chorus-fixture.js";

async function fixture() {
  return deployFull({ timelockDelay: 0, adminDelay: 0 });
}

const fund = async (f: Full, a: Actor, amount: bigint) => {
  await f.token.write.transfer([a.address, amount]);
  await (await f.as(a.wallet)).token.write.approve([f.sources.address, amount]);
};

describe("Attack: spam sources (issue 13, item 5)", () => {
  it("every spam registration costs a bond: without one it reverts; with them, N sources lock N bonds", async () => {
    const f = await loadFixture(fixture);
    const bond = await f.sources.read.minBond();
    expect(bond).to.equal(parseEther("100"));
    const broke = await actor(0, "spam-broke");
    await expectRevert(
      (await f.as(broke.wallet)).sources.simulate.register(["http://127.0.0.1/x", cid("m")]),
      "ERC20InsufficientAllowance",
      [f.sources.address, 0n, bond],
    );
    const before = await f.token.read.balanceOf([f.sources.address]);
    for (let i = 0; i < 10; i++) {
      const a = await actor(i, "spam");
      await fund(f, a, bond);
      await (await f.as(a.wallet)).sources.write.register([`http://127.0.0.1/spam/${i}`, cid("m")]);
      expect((await f.sources.read.bondOf([a.address])).amount).to.equal(bond);
      expect(await f.token.read.balanceOf([a.address])).to.equal(0n);
    }
    expect((await f.token.read.balanceOf([f.sources.address])) - before).to.equal(10n * bond);
  });

  it("the bond comes back only after the unbonding delay (at least the dispute window plus arbitration) once the source left", async () => {
    const f = await loadFixture(fixture);
    const bond = await f.sources.read.minBond();
    const delay = await f.sources.read.unbondingDelay();
    const p = await f.disputes.read.params();
    expect(delay >= p.disputeWindow + p.arbitrationPeriod).to.equal(true);
    const a = await actor(0, "leaver");
    await fund(f, a, bond);
    const c = (await f.as(a.wallet)).sources;
    await c.write.register(["http://127.0.0.1/a", cid("m")]);
    await expectRevert(c.simulate.withdrawBond(), "SourceRegistryBondLocked");
    await c.write.leave();
    const unlocksAt = (await f.sources.read.bondOf([a.address])).unlocksAt;
    expect(unlocksAt).to.equal(BigInt(await time.latest()) + delay);
    const got = await expectRevert(c.simulate.withdrawBond(), "SourceRegistryBondLocked");
    expect(got.slice(0, 3)).to.deep.equal([a.address, bond, unlocksAt]);
    // coming back re-locks the same bond without charging again
    await c.write.register(["http://127.0.0.1/a", cid("m")]);
    expect(await f.sources.read.bondOf([a.address])).to.deep.equal({ amount: bond, unlocksAt: 0n });
    await c.write.leave();
    await time.increaseTo((await f.sources.read.bondOf([a.address])).unlocksAt);
    await c.write.withdrawBond();
    expect(await f.token.read.balanceOf([a.address])).to.equal(bond);
    expect((await f.sources.read.bondOf([a.address])).amount).to.equal(0n);
  });

  it("the arbitrator forfeits a bond (to the treasury, with an event), even while unbonding; below the minimum the source leaves", async () => {
    const f = await loadFixture(fixture);
    const bond = await f.sources.read.minBond();
    const [a, b, outsider] = [await actor(0, "bad"), await actor(1, "gone"), await actor(2, "nobody")];
    for (const x of [a, b]) {
      await fund(f, x, bond);
      await (await f.as(x.wallet)).sources.write.register(["http://127.0.0.1/s", cid("m")]);
    }
    const role = await f.sources.read.ARBITRATOR_ROLE();
    await expectRevert(
      (await f.as(outsider.wallet)).sources.simulate.forfeitBond([a.address, 1n, zeroHash]),
      "AccessControlUnauthorizedAccount",
      [outsider.address, role],
    );
    await expectRevert(
      f.sources.simulate.forfeitBond([a.address, bond + 1n, zeroHash]),
      "SourceRegistryForfeitExceedsBond",
      [a.address, bond, bond + 1n],
    );
    const treasury = f.treasury.account.address;
    const t0 = await f.token.read.balanceOf([treasury]);
    await f.sources.write.forfeitBond([a.address, bond / 2n, cid("evidence")]);
    expect((await f.token.read.balanceOf([treasury])) - t0).to.equal(bond / 2n);
    expect(await f.sources.read.isActive([a.address])).to.equal(false);
    const ev = await f.sources.getEvents.SourceBondForfeited({ source: a.address });
    expect(ev[0].args.remaining).to.equal(bond / 2n);
    // b left and is unbonding: still forfeitable
    await (await f.as(b.wallet)).sources.write.leave();
    await f.sources.write.forfeitBond([b.address, bond, cid("evidence")]);
    expect((await f.sources.read.bondOf([b.address])).amount).to.equal(0n);
  });

  it("the minimum bond is the timelock's to set, within bounds", async () => {
    const f = await loadFixture(fixture);
    const gov = await f.sources.read.GOVERNOR_ROLE();
    await expectRevert(f.sources.simulate.setMinBond([parseEther("5")]), "AccessControlUnauthorizedAccount", [
      f.deployer.account.address,
      gov,
    ]);
    const call = (v: bigint) => encodeFunctionData({ abi: f.sources.abi, functionName: "setMinBond", args: [v] });
    const salt = cid("min bond");
    await f.timelock.write.schedule([f.sources.address, 0n, call(parseEther("5")), zeroHash, salt, 0n]);
    await f.timelock.write.execute([f.sources.address, 0n, call(parseEther("5")), zeroHash, salt]);
    expect(await f.sources.read.minBond()).to.equal(parseEther("5"));
    // out of bounds: the timelock's call reverts with the registry's error
    await f.timelock.write.schedule([f.sources.address, 0n, call(1n), zeroHash, salt, 0n]);
    await expectRevert(
      f.timelock.simulate.execute([f.sources.address, 0n, call(1n), zeroHash, salt]),
      "SourceRegistryInvalidParameter",
    );
  });
});
