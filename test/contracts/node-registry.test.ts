import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, parseEther, toHex, type Address, type Hex } from "viem";
import { deployChorus, type Wallet } from "../kit/fixtures.js";
import { expectRevert } from "../helpers/revert.js";

const CID = keccak256(toHex("metadata"));
const CID2 = keccak256(toHex("metadata-2"));
const MIN = parseEther("100");
const THAW = 3600n;

async function fixture() {
  const f = await deployChorus();
  const [alice, bob, slasher, prover] = f.others;
  for (const w of [alice, bob]) {
    await f.token.write.transfer([w.account.address, parseEther("10000")]);
    const c = await f.connect(w);
    await c.token.write.approve([f.registry.address, parseEther("10000")]);
  }
  await f.registry.write.grantRole([await f.registry.read.SLASHER_ROLE(), slasher.account.address]);
  return { ...f, alice, bob, slasher, prover };
}

/** Balances that staking moves, for before/after accounting. */
async function snapshot(f: Awaited<ReturnType<typeof fixture>>, node: Address) {
  const info = await f.registry.read.nodeInfo([node]);
  return {
    wallet: await f.token.read.balanceOf([node]),
    registry: await f.token.read.balanceOf([f.registry.address]),
    treasury: await f.token.read.balanceOf([f.treasury.account.address]),
    staked: info.staked,
    thawing: info.thawing,
    totalHeld: await f.registry.read.totalHeld(),
  };
}

async function staked(f: Awaited<ReturnType<typeof fixture>>, w: Wallet, amount = parseEther("200")) {
  const c = await f.connect(w);
  await c.registry.write.stake([amount, "http://127.0.0.1:7001", CID]);
  return c;
}

describe("NodeRegistry", () => {
  describe("deployment", () => {
    it("constructor: records token, parameters and treasury from the deploy scripts", async () => {
      const f = await loadFixture(fixture);
      expect((await f.registry.read.token()).toLowerCase()).to.equal(f.token.address.toLowerCase());
      expect(await f.registry.read.minStake()).to.equal(MIN);
      expect(await f.registry.read.thawingPeriod()).to.equal(THAW);
      expect((await f.registry.read.treasury()).toLowerCase()).to.equal(f.treasury.account.address);
      expect(f.deployments.contracts.NodeRegistry.address.toLowerCase()).to.equal(f.registry.address.toLowerCase());
    });

    it("constructor: reverts on zero addresses and out-of-bounds parameters", async () => {
      const f = await loadFixture(fixture);
      const admin = f.deployer.account.address;
      const zero = "0x0000000000000000000000000000000000000000" as Address;
      const deploy = (args: [Address, Address, Address, bigint, bigint]) =>
        hre.viem.deployContract("NodeRegistry", args);
      await expectRevertDeploy(deploy([zero, admin, admin, MIN, THAW]), "NodeRegistryZeroAddress");
      await expectRevertDeploy(deploy([f.token.address, zero, admin, MIN, THAW]), "NodeRegistryZeroAddress");
      await expectRevertDeploy(deploy([f.token.address, admin, zero, MIN, THAW]), "NodeRegistryZeroAddress");
      await expectRevertDeploy(deploy([f.token.address, admin, admin, 0n, THAW]), "NodeRegistryParameterOutOfBounds");
      await expectRevertDeploy(deploy([f.token.address, admin, admin, MIN, 1n]), "NodeRegistryParameterOutOfBounds");
    });
  });

  describe("stake", () => {
    it("stake: joins, moves tokens, activates and emits NodeStaked + NodeActivated", async () => {
      const f = await loadFixture(fixture);
      const before = await snapshot(f, f.alice.account.address);
      const c = await f.connect(f.alice);
      const hash = await c.registry.write.stake([parseEther("200"), "http://127.0.0.1:7001", CID]);
      const after = await snapshot(f, f.alice.account.address);
      expect(before.wallet - after.wallet).to.equal(parseEther("200"));
      expect(after.registry - before.registry).to.equal(parseEther("200"));
      expect(after.staked).to.equal(parseEther("200"));
      expect(after.totalHeld - before.totalHeld).to.equal(parseEther("200"));
      expect(await f.registry.read.isActive([f.alice.account.address])).to.equal(true);
      const info = await f.registry.read.nodeInfo([f.alice.account.address]);
      expect(info.endpoint).to.equal("http://127.0.0.1:7001");
      expect(info.metadataCid).to.equal(CID);
      expect(info.registered && info.active).to.equal(true);
      const events = await f.registry.getEvents.NodeStaked({}, { blockHash: await blockOf(hash) });
      expect(events[0].args.amount).to.equal(parseEther("200"));
      expect(await f.registry.getEvents.NodeActivated({}, { blockHash: await blockOf(hash) })).to.have.length(1);
    });

    it("stake: reverts when amount is below minimum", async () => {
      const f = await loadFixture(fixture);
      const c = await f.connect(f.alice);
      await expectRevert(c.registry.simulate.stake([MIN - 1n, "http://x", CID]), "NodeRegistryInsufficientStake", [
        MIN - 1n,
        MIN,
      ]);
    });

    it("stake: reverts when the node is already registered", async () => {
      const f = await loadFixture(fixture);
      const c = await staked(f, f.alice);
      await expectRevert(c.registry.simulate.stake([MIN, "http://x", CID]), "NodeRegistryAlreadyRegistered", [
        f.alice.account.address,
      ]);
    });

    it("stake: reverts on an empty or oversized endpoint", async () => {
      const f = await loadFixture(fixture);
      const c = await f.connect(f.alice);
      await expectRevert(c.registry.simulate.stake([MIN, "", CID]), "NodeRegistryInvalidEndpoint", [0n, 256n]);
      await expectRevert(c.registry.simulate.stake([MIN, "x".repeat(257), CID]), "NodeRegistryInvalidEndpoint", [
        257n,
        256n,
      ]);
    });

    it("stake: reverts when the allowance is missing", async () => {
      const f = await loadFixture(fixture);
      const c = await f.connect(f.bob);
      await c.token.write.approve([f.registry.address, 0n]);
      await expectRevert(c.registry.simulate.stake([MIN, "http://x", CID]), "ERC20InsufficientAllowance", [
        f.registry.address,
        0n,
        MIN,
      ]);
    });

    it("stakeWithPermit: joins with an EIP-2612 signature instead of an approval", async () => {
      const f = await loadFixture(fixture);
      const [, , , , carol] = f.others;
      await f.token.write.transfer([carol.account.address, MIN]);
      const deadline = BigInt(await time.latest()) + 3600n;
      const signature = await carol.signTypedData({
        domain: {
          name: "Chorus",
          version: "1",
          chainId: await f.publicClient.getChainId(),
          verifyingContract: f.token.address,
        },
        types: {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        primaryType: "Permit",
        message: { owner: carol.account.address, spender: f.registry.address, value: MIN, nonce: 0n, deadline },
      });
      const r = signature.slice(0, 66) as Hex;
      const s = ("0x" + signature.slice(66, 130)) as Hex;
      const v = parseInt(signature.slice(130, 132), 16);
      const c = await f.connect(carol);
      await c.registry.write.stakeWithPermit([MIN, "http://carol", CID, deadline, v, r, s]);
      expect(await f.registry.read.stakeOf([carol.account.address])).to.equal(MIN);
      // A replayed (already used) permit does not block a stake that has the allowance some other way.
      await f.token.write.transfer([carol.account.address, MIN]);
      await c.token.write.approve([f.registry.address, MIN]);
      await c.registry.write.addStake([MIN]);
      expect(await f.registry.read.stakeOf([carol.account.address])).to.equal(2n * MIN);
    });
  });

  describe("addStake and updateNode", () => {
    it("addStake: adds to the stake and emits StakeAdded", async () => {
      const f = await loadFixture(fixture);
      const c = await staked(f, f.alice);
      const before = await snapshot(f, f.alice.account.address);
      await c.registry.write.addStake([parseEther("50")]);
      const after = await snapshot(f, f.alice.account.address);
      expect(after.staked - before.staked).to.equal(parseEther("50"));
      expect(before.wallet - after.wallet).to.equal(parseEther("50"));
      const [ev] = await f.registry.getEvents.StakeAdded();
      expect(ev.args.staked).to.equal(parseEther("250"));
    });

    it("addStake: reverts on zero and for an unregistered node", async () => {
      const f = await loadFixture(fixture);
      const c = await f.connect(f.alice);
      await expectRevert(c.registry.simulate.addStake([0n]), "NodeRegistryZeroAmount", []);
      await expectRevert(c.registry.simulate.addStake([1n]), "NodeRegistryNotRegistered", [f.alice.account.address]);
    });

    it("addStake: brings a node that fell below the minimum back into the active set", async () => {
      const f = await loadFixture(fixture);
      const c = await staked(f, f.alice, MIN);
      await c.registry.write.requestUnstake([1n]);
      expect(await f.registry.read.isActive([f.alice.account.address])).to.equal(false);
      await c.registry.write.addStake([1n]);
      expect(await f.registry.read.isActive([f.alice.account.address])).to.equal(true);
    });

    it("updateNode: changes endpoint and metadata, and reverts for bad input", async () => {
      const f = await loadFixture(fixture);
      const c = await staked(f, f.alice);
      await c.registry.write.updateNode(["https://alice.example:8443", CID2]);
      const info = await f.registry.read.nodeInfo([f.alice.account.address]);
      expect([info.endpoint, info.metadataCid]).to.deep.equal(["https://alice.example:8443", CID2]);
      const [ev] = await f.registry.getEvents.NodeUpdated();
      expect(ev.args.endpoint).to.equal("https://alice.example:8443");
      await expectRevert(c.registry.simulate.updateNode(["", CID2]), "NodeRegistryInvalidEndpoint", [0n, 256n]);
      const b = await f.connect(f.bob);
      await expectRevert(b.registry.simulate.updateNode(["http://b", CID2]), "NodeRegistryNotRegistered", [
        f.bob.account.address,
      ]);
    });
  });

  describe("requestUnstake and withdraw", () => {
    it("requestUnstake: moves stake into thawing, deactivates below minimum", async () => {
      const f = await loadFixture(fixture);
      const c = await staked(f, f.alice, parseEther("150"));
      await c.registry.write.requestUnstake([parseEther("50")]);
      let info = await f.registry.read.nodeInfo([f.alice.account.address]);
      expect([info.staked, info.thawing, info.active]).to.deep.equal([parseEther("100"), parseEther("50"), true]);
      expect(info.thawEnd).to.equal(BigInt(await time.latest()) + THAW);
      await c.registry.write.requestUnstake([1n]);
      info = await f.registry.read.nodeInfo([f.alice.account.address]);
      expect(info.active).to.equal(false);
      expect(await f.registry.read.activeCount()).to.equal(0n);
      expect(await f.registry.getEvents.NodeDeactivated()).to.have.length(1);
    });

    it("requestUnstake: reverts on zero, more than staked, or unregistered", async () => {
      const f = await loadFixture(fixture);
      const c = await staked(f, f.alice);
      await expectRevert(c.registry.simulate.requestUnstake([0n]), "NodeRegistryZeroAmount", []);
      await expectRevert(c.registry.simulate.requestUnstake([parseEther("201")]), "NodeRegistryUnstakeExceedsStake", [
        f.alice.account.address,
        parseEther("200"),
        parseEther("201"),
      ]);
      const b = await f.connect(f.bob);
      await expectRevert(b.registry.simulate.requestUnstake([1n]), "NodeRegistryNotRegistered", [
        f.bob.account.address,
      ]);
    });

    it("withdraw: reverts before the thawing period ends and pays out after it", async () => {
      const f = await loadFixture(fixture);
      const c = await staked(f, f.alice);
      await c.registry.write.requestUnstake([parseEther("80")]);
      const thawEnd = (await f.registry.read.nodeInfo([f.alice.account.address])).thawEnd;
      await time.increaseTo(Number(thawEnd) - 2);
      // arguments are read before the call: a call's promise must not wait, rejected, behind another await
      const now = BigInt(await time.latest());
      await expectRevert(c.registry.simulate.withdraw(), "NodeRegistryStillThawing", [now, thawEnd]);
      await time.increaseTo(Number(thawEnd));
      const before = await snapshot(f, f.alice.account.address);
      await c.registry.write.withdraw();
      const after = await snapshot(f, f.alice.account.address);
      expect(after.wallet - before.wallet).to.equal(parseEther("80"));
      expect(before.registry - after.registry).to.equal(parseEther("80"));
      expect(after.thawing).to.equal(0n);
      expect(after.staked).to.equal(parseEther("120"));
      const [ev] = await f.registry.getEvents.StakeWithdrawn();
      expect(ev.args.amount).to.equal(parseEther("80"));
    });

    it("withdraw: reverts when nothing is thawing", async () => {
      const f = await loadFixture(fixture);
      const c = await staked(f, f.alice);
      await expectRevert(c.registry.simulate.withdraw(), "NodeRegistryNothingToWithdraw", [f.alice.account.address]);
    });

    it("requestUnstake: a new request restarts the clock of all thawing stake", async () => {
      const f = await loadFixture(fixture);
      const c = await staked(f, f.alice);
      await c.registry.write.requestUnstake([parseEther("10")]);
      await time.increase(Number(THAW) - 10);
      await c.registry.write.requestUnstake([parseEther("10")]);
      await time.increase(20);
      await expectRevert(c.registry.simulate.withdraw(), "NodeRegistryStillThawing");
    });
  });

  describe("slash", () => {
    it("slash: takes staked stake first, then thawing, and pays the treasury", async () => {
      const f = await loadFixture(fixture);
      const c = await staked(f, f.alice);
      await c.registry.write.requestUnstake([parseEther("50")]);
      const s = await f.connect(f.slasher);
      const before = await snapshot(f, f.alice.account.address);
      await s.registry.write.slash([f.alice.account.address, parseEther("170"), "equivocation", CID]);
      const after = await snapshot(f, f.alice.account.address);
      expect(after.staked).to.equal(0n);
      expect(after.thawing).to.equal(parseEther("30"));
      expect(after.treasury - before.treasury).to.equal(parseEther("170"));
      expect(before.registry - after.registry).to.equal(parseEther("170"));
      expect(await f.registry.read.isActive([f.alice.account.address])).to.equal(false);
      const [ev] = await f.registry.getEvents.NodeSlashed();
      expect(ev.args.reason).to.equal("equivocation");
      expect(ev.args.evidenceCid).to.equal(CID);
    });

    it("slashWithReward: splits the slash between beneficiary and treasury", async () => {
      const f = await loadFixture(fixture);
      await staked(f, f.alice);
      const s = await f.connect(f.slasher);
      const proverBefore = await f.token.read.balanceOf([f.prover.account.address]);
      const before = await snapshot(f, f.alice.account.address);
      await s.registry.write.slashWithReward([
        f.alice.account.address,
        parseEther("100"),
        parseEther("40"),
        f.prover.account.address,
        "false result",
        CID,
      ]);
      const after = await snapshot(f, f.alice.account.address);
      expect((await f.token.read.balanceOf([f.prover.account.address])) - proverBefore).to.equal(parseEther("40"));
      expect(after.treasury - before.treasury).to.equal(parseEther("60"));
      expect(after.staked).to.equal(parseEther("100"));
    });

    it("slash: reverts for more than the node has, zero, unregistered, and bad rewards", async () => {
      const f = await loadFixture(fixture);
      await staked(f, f.alice);
      const s = await f.connect(f.slasher);
      const a = f.alice.account.address;
      await expectRevert(s.registry.simulate.slash([a, parseEther("201"), "r", CID]), "NodeRegistrySlashExceedsStake", [
        a,
        parseEther("200"),
        parseEther("201"),
      ]);
      await expectRevert(s.registry.simulate.slash([a, 0n, "r", CID]), "NodeRegistryZeroAmount", []);
      await expectRevert(s.registry.simulate.slash([f.bob.account.address, 1n, "r", CID]), "NodeRegistryNotRegistered");
      await expectRevert(
        s.registry.simulate.slashWithReward([a, 10n, 11n, f.prover.account.address, "r", CID]),
        "NodeRegistryRewardExceedsSlash",
        [10n, 11n],
      );
      const zero = "0x0000000000000000000000000000000000000000" as Address;
      await expectRevert(s.registry.simulate.slashWithReward([a, 10n, 1n, zero, "r", CID]), "NodeRegistryZeroAddress");
    });

    it("slash: reverts for an account without SLASHER_ROLE", async () => {
      const f = await loadFixture(fixture);
      await staked(f, f.alice);
      const b = await f.connect(f.bob);
      const role = await f.registry.read.SLASHER_ROLE();
      await expectRevert(
        b.registry.simulate.slash([f.alice.account.address, 1n, "r", CID]),
        "AccessControlUnauthorizedAccount",
        [f.bob.account.address, role],
      );
      await expectRevert(
        b.registry.simulate.slashWithReward([f.alice.account.address, 1n, 0n, f.bob.account.address, "r", CID]),
        "AccessControlUnauthorizedAccount",
      );
    });
  });

  describe("governance", () => {
    it("setMinStake / setThawingPeriod / setTreasury: change parameters with events", async () => {
      const f = await loadFixture(fixture);
      await f.registry.write.setMinStake([parseEther("300")]);
      const [m] = await f.registry.getEvents.MinStakeUpdated();
      expect([m.args.oldValue, m.args.newValue]).to.deep.equal([MIN, parseEther("300")]);
      await f.registry.write.setThawingPeriod([7200n]);
      const [t] = await f.registry.getEvents.ThawingPeriodUpdated();
      expect([t.args.oldValue, t.args.newValue]).to.deep.equal([THAW, 7200n]);
      await f.registry.write.setTreasury([f.prover.account.address]);
      const [tr] = await f.registry.getEvents.TreasuryUpdated();
      expect(tr.args.newTreasury?.toLowerCase()).to.equal(f.prover.account.address);
      expect(await f.registry.read.minStake()).to.equal(parseEther("300"));
      expect(await f.registry.read.thawingPeriod()).to.equal(7200n);
      expect((await f.registry.read.treasury()).toLowerCase()).to.equal(f.prover.account.address);
    });

    it("setMinStake / setThawingPeriod / setTreasury: revert out of bounds", async () => {
      const f = await loadFixture(fixture);
      const name = (s: string) => toHex(s, { size: 32 });
      await expectRevert(f.registry.simulate.setMinStake([0n]), "NodeRegistryParameterOutOfBounds", [
        name("minStake"),
        0n,
        1n,
        10n ** 27n,
      ]);
      await expectRevert(f.registry.simulate.setMinStake([10n ** 27n + 1n]), "NodeRegistryParameterOutOfBounds");
      await expectRevert(f.registry.simulate.setThawingPeriod([59n]), "NodeRegistryParameterOutOfBounds", [
        name("thawingPeriod"),
        59n,
        60n,
        365n * 24n * 3600n,
      ]);
      await expectRevert(
        f.registry.simulate.setThawingPeriod([365n * 24n * 3600n + 1n]),
        "NodeRegistryParameterOutOfBounds",
      );
      await expectRevert(
        f.registry.simulate.setTreasury(["0x0000000000000000000000000000000000000000"]),
        "NodeRegistryZeroAddress",
      );
    });

    it("governance: reverts for an account without GOVERNOR_ROLE", async () => {
      const f = await loadFixture(fixture);
      const b = await f.connect(f.bob);
      const role = await f.registry.read.GOVERNOR_ROLE();
      await expectRevert(b.registry.simulate.setMinStake([1n]), "AccessControlUnauthorizedAccount", [
        f.bob.account.address,
        role,
      ]);
      await expectRevert(b.registry.simulate.setThawingPeriod([100n]), "AccessControlUnauthorizedAccount");
      await expectRevert(b.registry.simulate.setTreasury([f.bob.account.address]), "AccessControlUnauthorizedAccount");
    });

    it("refresh: removes a node left below a raised minimum, anyone may call it", async () => {
      const f = await loadFixture(fixture);
      await staked(f, f.alice, parseEther("150"));
      await f.registry.write.setMinStake([parseEther("200")]);
      expect(await f.registry.read.isActive([f.alice.account.address])).to.equal(false);
      expect(await f.registry.read.activeCount()).to.equal(1n);
      const b = await f.connect(f.bob);
      await b.registry.write.refresh([f.alice.account.address]);
      expect(await f.registry.read.activeCount()).to.equal(0n);
      await expectRevert(b.registry.simulate.refresh([f.bob.account.address]), "NodeRegistryNotRegistered");
    });
  });

  describe("views", () => {
    it("activeNodes: pages through the active set", async () => {
      const f = await loadFixture(fixture);
      await staked(f, f.alice);
      await staked(f, f.bob);
      const all = await f.registry.read.activeNodes([0n, 10n]);
      expect(all.map((a) => a.toLowerCase())).to.have.members([f.alice.account.address, f.bob.account.address]);
      expect(await f.registry.read.activeNodes([1n, 1n])).to.have.length(1);
      expect(await f.registry.read.activeNodes([0n, 1n])).to.have.length(1);
      expect(await f.registry.read.activeNodes([2n, 5n])).to.have.length(0);
    });
  });
});

async function blockOf(hash: Hex): Promise<Hex> {
  const pc = await hre.viem.getPublicClient();
  return (await pc.getTransactionReceipt({ hash })).blockHash;
}

/** Deployment reverts surface as rejected deployContract promises; decode via an eth_call of the init code. */
async function expectRevertDeploy(action: Promise<unknown>, errorName: string) {
  let error: unknown;
  try {
    await action;
  } catch (e) {
    error = e;
  }
  expect(error, `expected deployment to revert with ${errorName}`).to.not.equal(undefined);
  expect(String((error as { message?: unknown }).message)).to.contain(errorName);
}
