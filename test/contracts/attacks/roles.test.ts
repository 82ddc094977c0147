/**
 * Attacks (issue 13, item 6): roles without limits. Before, the minter could mint without limit (and buy any
 * quorum), the default admin could hand itself or anyone every role at once, and the arbitrator's slash had no
 * per-round bound. Against contracts deployed by the real deploy scripts.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { encodeFunctionData, parseEther, zeroHash, type Address } from "viem";
import { expectRevert } from "../../helpers/revert.js";
import {
  actor,
  cid,
  deployFull,
  deploySwarm,
  drawnRecord,
  openBatch,
  signAll,
  type Full,
} from "../../kit/chorus-fixture.js";
import { encodeEpoch } from "../../../src/protocol/index.js";
import { recordArgs, recordDigest } from "../../../src/core/index.js";
import { TIMELOCK_ADMINISTERED } from "../../../deploy/07_governance.js";

const CAP = parseEther("2000000"); // TEST_PARAMS mint 1,000,000 at genesis

async function capped() {
  return deployFull({ supplyCap: CAP });
}

const contractsOf = (f: Full) => ({
  ChorusToken: f.token,
  CapabilityRegistry: f.capability,
  SourceRegistry: f.sources,
  Disputes: f.disputes,
});

describe("Attack: roles without limits (issue 13, item 6)", () => {
  it("the minter cannot mint past the cap, and nobody can mint once minting is closed", async () => {
    const f = await loadFixture(capped);
    expect(await f.token.read.cap()).to.equal(CAP);
    const supply = await f.token.read.totalSupply();
    const other = f.others[0].account.address;
    await expectRevert(f.token.simulate.mint([other, CAP - supply + 1n]), "ERC20ExceededCap", [CAP + 1n, CAP]);
    await f.token.write.mint([other, CAP - supply]); // up to the cap is fine
    await expectRevert(f.token.simulate.mint([other, 1n]), "ERC20ExceededCap", [CAP + 1n, CAP]);

    const g = await deployFull({ closeMinting: true });
    expect(await g.token.read.mintingClosed()).to.equal(true);
    await expectRevert(g.token.simulate.mint([other, 1n]), "ChorusTokenMintingClosed", []);
    await expectRevert(g.token.simulate.closeMinting(), "ChorusTokenMintingClosed", []);
  });

  it("default admin transfer is two-step with the delay: no direct grant, no early accept; the timelock takes over after it", async () => {
    const f = await loadFixture(capped); // default delays: admin 1 day, timelock 2 days
    const admin = f.deployer.account.address;
    const attacker = await actor(0, "would-be-admin");
    const adminDelay = 24 * 3600;
    for (const [name, c] of Object.entries(contractsOf(f))) {
      const role = await c.read.DEFAULT_ADMIN_ROLE();
      expect((await c.read.defaultAdmin()).toLowerCase(), name).to.equal(admin.toLowerCase());
      expect(await c.read.defaultAdminDelay(), name).to.equal(adminDelay);
      const [pending] = await c.read.pendingDefaultAdmin();
      expect(pending.toLowerCase(), name).to.equal(f.timelock.address.toLowerCase()); // 07 began the handover
      await expectRevert(c.simulate.grantRole([role, attacker.address]), "AccessControlEnforcedDefaultAdminRules", []);
    }
    // a compromised admin key redirects the pending transfer: the new admin still waits out the delay, in public
    await f.token.write.beginDefaultAdminTransfer([attacker.address]);
    const [, schedule] = await f.token.read.pendingDefaultAdmin();
    const t = await f.as(attacker.wallet);
    await expectRevert(t.token.simulate.acceptDefaultAdminTransfer(), "AccessControlEnforcedDefaultAdminDelay", [
      schedule,
    ]);
    await f.token.write.cancelDefaultAdminTransfer(); // seen in time and cancelled
    await expectRevert(t.token.simulate.acceptDefaultAdminTransfer(), "AccessControlInvalidDefaultAdmin", [
      attacker.address,
    ]);
    await f.token.write.beginDefaultAdminTransfer([f.timelock.address]);

    // the timelock accepts everything once both delays have passed
    const targets = TIMELOCK_ADMINISTERED.map((n) => contractsOf(f)[n].address);
    const payloads = TIMELOCK_ADMINISTERED.map((n) =>
      encodeFunctionData({ abi: contractsOf(f)[n].abi, functionName: "acceptDefaultAdminTransfer" }),
    );
    const values = targets.map(() => 0n);
    const tlDelay = await f.timelock.read.getMinDelay();
    await expectRevert(
      f.timelock.simulate.scheduleBatch([targets, values, payloads, zeroHash, zeroHash, tlDelay - 1n]),
      "TimelockInsufficientDelay",
      [tlDelay - 1n, tlDelay],
    );
    await f.timelock.write.scheduleBatch([targets, values, payloads, zeroHash, zeroHash, tlDelay]);
    await time.increase(Number(tlDelay));
    await f.timelock.write.executeBatch([targets, values, payloads, zeroHash, zeroHash]);
    for (const [name, c] of Object.entries(contractsOf(f))) {
      expect((await c.read.defaultAdmin()).toLowerCase(), name).to.equal(f.timelock.address.toLowerCase());
      expect(await c.read.hasRole([await c.read.DEFAULT_ADMIN_ROLE(), admin]), name).to.equal(false);
    }
  });

  it("devnet (both delays 0): the deploy scripts leave the timelock as default admin and governor", async () => {
    const f = await deployFull({ adminDelay: 0, timelockDelay: 0 });
    for (const [name, c] of Object.entries(contractsOf(f))) {
      expect((await c.read.defaultAdmin()).toLowerCase(), name).to.equal(f.timelock.address.toLowerCase());
    }
    expect(await f.capability.read.hasRole([await f.capability.read.GOVERNOR_ROLE(), f.timelock.address])).to.equal(
      true,
    );
    expect(
      await f.capability.read.hasRole([await f.capability.read.GOVERNOR_ROLE(), f.deployer.account.address]),
    ).to.equal(false);
    expect(f.deployments.params.governance).to.equal(f.timelock.address);
  });

  it("the arbitrator cannot slash above the per-round bound: a larger slash share is refused at deployment, an uphold takes at most the cap", async () => {
    let error: unknown;
    try {
      await deployFull({ falseResultSlashBps: 10_000 }); // the old deploy allowed taking everything
    } catch (e) {
      error = e;
    }
    expect(String((error as Error | undefined)?.message)).to.contain("DisputesSlashAboveRoundCap");
    error = undefined;
    try {
      await deployFull({ falseResultSlashBps: 5_001, maxSlashPerRoundBps: 5_001 });
    } catch (e) {
      error = e;
    }
    expect(String((error as Error | undefined)?.message)).to.contain("DisputesInvalidParameter");

    const s = await deploySwarm({ nodes: 4, params: { falseResultSlashBps: 2_000, maxSlashPerRoundBps: 2_000 } });
    expect(await s.disputes.read.maxSlashPerRoundBps()).to.equal(2_000);
    const parts = s.nodes.map((n) => n.address);
    const batch = await openBatch(s, s.nodes[0]);
    const rec = await drawnRecord(s, batch, { participants: parts });
    const signed = await signAll(s.domain, rec, s.nodes);
    const e = encodeEpoch([signed]);
    await (await s.as(s.nodes[0].wallet)).settlement.write.settleEpoch([batch.period, e.nodes, e.sources, e.records]);
    const disputer = await actor(0, "disputer");
    await s.token.write.transfer([disputer.address, parseEther("1000")]);
    const d = await s.as(disputer.wallet);
    await d.token.write.approve([s.disputes.address, parseEther("1000")]);
    const stakeOf = async (a: Address) => {
      const i = await s.registry.read.nodeInfo([a]);
      return i.staked + i.thawing;
    };
    const before = await Promise.all(parts.map(stakeOf));
    await d.disputes.write.openDispute([
      1n,
      [recordDigest(s.domain, rec)],
      0n,
      recordArgs(rec),
      parts.map((p) => signed.signatures[p]),
      cid("evidence"),
    ]);
    await s.disputes.write.uphold([1n, recordArgs(rec)]);
    for (const [i, p] of parts.entries()) {
      expect(before[i] - (await stakeOf(p))).to.equal((before[i] * 2_000n) / 10_000n);
      expect(await s.disputes.read.roundSlashedBps([rec.roundId, p])).to.equal(2_000n);
    }
  });
});
