import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "viem";
import { expectRevert } from "../helpers/revert.js";
import { actor, cid, deployFull, ZERO, type Actor } from "../kit/chorus-fixture.js";
import { parseEther } from "viem";
import { SOURCE_INITIAL } from "../../src/core/index.js";

async function fixture() {
  const f = await deployFull();
  const srcs: Actor[] = [];
  for (let i = 0; i < 3; i++) srcs.push(await actor(i, "src"));
  const scorer = await actor(0, "scorer");
  const scorerRole = await f.sources.read.SCORER_ROLE();
  await f.sources.write.grantRole([scorerRole, scorer.address]);
  // every source holds tokens and has approved the registry for a few bonds
  for (const a of srcs) {
    await f.token.write.transfer([a.address, parseEther("1000")]);
    await (await f.as(a.wallet)).token.write.approve([f.sources.address, parseEther("1000")]);
  }
  return { ...f, srcs, scorer, scorerRole };
}
type F = Awaited<ReturnType<typeof fixture>>;
const as = async (f: F, a: Actor) => (await f.as(a.wallet)).sources;
const register = async (f: F, a: Actor, endpoint = "http://127.0.0.1:9001", manifest: Hex = cid("manifest")) =>
  (await as(f, a)).write.register([endpoint, manifest]);

describe("SourceRegistry", () => {
  it("deploy script: Settlement holds SCORER_ROLE, the deployer is admin; constructor rejects a zero admin", async () => {
    const f = await loadFixture(fixture);
    expect(await f.sources.read.hasRole([f.scorerRole, f.settlement.address])).to.equal(true);
    expect(
      await f.sources.read.hasRole([await f.sources.read.DEFAULT_ADMIN_ROLE(), f.deployer.account.address]),
    ).to.equal(true);
    const init = {
      admin: f.deployer.account.address,
      adminDelay: 0,
      arbitrator: f.deployer.account.address,
      governor: f.deployer.account.address,
      registry: f.registry.address,
      minBond: parseEther("1"),
      unbondingDelay: 60n,
    };
    for (const [patch, name] of [
      [{ admin: ZERO }, "AccessControlInvalidDefaultAdmin"],
      [{ arbitrator: ZERO }, "SourceRegistryZeroAddress"],
      [{ governor: ZERO }, "SourceRegistryZeroAddress"],
      [{ registry: ZERO }, "SourceRegistryZeroAddress"],
      [{ minBond: parseEther("1") - 1n }, "SourceRegistryInvalidParameter"],
      [{ unbondingDelay: 59n }, "SourceRegistryInvalidParameter"],
    ] as const) {
      let error: unknown;
      try {
        await hre.viem.deployContract("SourceRegistry", [{ ...init, ...patch }]);
      } catch (e) {
        error = e;
      }
      expect(String((error as Error | undefined)?.message), name).to.contain(name);
    }
  });

  it("register: stores owner, endpoint, manifest, initial scores; emits SourceRegistered; joins the active set", async () => {
    const f = await loadFixture(fixture);
    const [a] = f.srcs;
    await register(f, a, "http://127.0.0.1:9001/a", cid("m-a"));
    const s = await f.sources.read.sourceOf([a.address]);
    expect(s.registered).to.equal(true);
    expect(s.active).to.equal(true);
    expect(s.endpoint).to.equal("http://127.0.0.1:9001/a");
    expect(s.manifestCid).to.equal(cid("m-a"));
    expect(s.reliability).to.equal(SOURCE_INITIAL);
    expect(s.usefulness).to.equal(SOURCE_INITIAL);
    expect(s.registeredAt > 0n).to.equal(true);
    expect(s.updatedAt).to.equal(0n);
    expect(await f.sources.read.isActive([a.address])).to.equal(true);
    expect(await f.sources.read.activeCount()).to.equal(1n);
    const ev = await f.sources.getEvents.SourceRegistered({ source: a.address });
    expect(ev[0].args.endpoint).to.equal("http://127.0.0.1:9001/a");
  });

  it("register: reverts when already active and on an empty or too long endpoint", async () => {
    const f = await loadFixture(fixture);
    const [a, b] = f.srcs;
    await register(f, a);
    await expectRevert((await as(f, a)).simulate.register(["http://x", cid("m")]), "SourceRegistryAlreadyActive", [
      a.address,
    ]);
    await expectRevert((await as(f, b)).simulate.register(["", cid("m")]), "SourceRegistryInvalidEndpoint", [0n, 256n]);
    await expectRevert(
      (await as(f, b)).simulate.register(["x".repeat(257), cid("m")]),
      "SourceRegistryInvalidEndpoint",
      [257n, 256n],
    );
  });

  it("update: changes endpoint and manifest; reverts when not active or on a bad endpoint", async () => {
    const f = await loadFixture(fixture);
    const [a, b] = f.srcs;
    await register(f, a);
    await (await as(f, a)).write.update(["http://127.0.0.1:9002", cid("m2")]);
    const s = await f.sources.read.sourceOf([a.address]);
    expect(s.endpoint).to.equal("http://127.0.0.1:9002");
    expect(s.manifestCid).to.equal(cid("m2"));
    expect(await f.sources.getEvents.SourceUpdated({ source: a.address })).to.have.length(1);
    await expectRevert((await as(f, b)).simulate.update(["http://x", cid("m")]), "SourceRegistryNotActive", [
      b.address,
    ]);
    await expectRevert((await as(f, a)).simulate.update(["", cid("m")]), "SourceRegistryInvalidEndpoint", [0n, 256n]);
  });

  it("leave: deactivates (no more score updates) and keeps scores; registering again restores them", async () => {
    const f = await loadFixture(fixture);
    const [a, b] = f.srcs;
    await register(f, a);
    const scorer = await as(f, f.scorer);
    await scorer.write.setScores([7n, [a.address], [123_456], [654_321]]);
    await (await as(f, a)).write.leave();
    expect(await f.sources.read.isActive([a.address])).to.equal(false);
    expect(await f.sources.read.activeCount()).to.equal(0n);
    expect(await f.sources.getEvents.SourceLeft({ source: a.address })).to.have.length(1);
    await expectRevert(scorer.simulate.setScores([8n, [a.address], [1], [1]]), "SourceRegistryNotActive", [a.address]);
    await expectRevert((await as(f, a)).simulate.leave(), "SourceRegistryNotActive", [a.address]);
    await expectRevert((await as(f, b)).simulate.leave(), "SourceRegistryNotActive", [b.address]);
    await register(f, a, "http://127.0.0.1:9009", cid("again"));
    const s = await f.sources.read.sourceOf([a.address]);
    expect([s.active, s.reliability, s.usefulness, s.endpoint]).to.deep.equal([
      true,
      123_456,
      654_321,
      "http://127.0.0.1:9009",
    ]);
  });

  it("setScores: only SCORER_ROLE; writes the values, stamps updatedAt, emits SourceScoresUpdated", async () => {
    const f = await loadFixture(fixture);
    const [a, b] = f.srcs;
    await register(f, a);
    await register(f, b);
    await expectRevert(
      (await as(f, a)).simulate.setScores([1n, [a.address], [1], [1]]),
      "AccessControlUnauthorizedAccount",
      [a.address, f.scorerRole],
    );
    const scorer = await as(f, f.scorer);
    await scorer.write.setScores([3n, [a.address, b.address], [0, 1_000_000], [1_000_000, 0]]);
    const sa = await f.sources.read.sourceOf([a.address]);
    expect([sa.reliability, sa.usefulness]).to.deep.equal([0, 1_000_000]);
    expect(sa.updatedAt > 0n).to.equal(true);
    const ev = await f.sources.getEvents.SourceScoresUpdated({ epoch: 3n });
    expect(ev[0].args.reliability).to.deep.equal([0, 1_000_000]);
    expect(ev[0].args.usefulness).to.deep.equal([1_000_000, 0]);
  });

  it("setScores: reverts on length mismatch and on scores above 1_000_000", async () => {
    const f = await loadFixture(fixture);
    const [a] = f.srcs;
    await register(f, a);
    const scorer = await as(f, f.scorer);
    await expectRevert(scorer.simulate.setScores([1n, [a.address], [1, 2], [1]]), "SourceRegistryLengthMismatch", [
      1n,
      2n,
      1n,
    ]);
    await expectRevert(scorer.simulate.setScores([1n, [a.address], [1], []]), "SourceRegistryLengthMismatch", [
      1n,
      1n,
      0n,
    ]);
    await expectRevert(
      scorer.simulate.setScores([1n, [a.address], [1_000_001], [1]]),
      "SourceRegistryScoreOutOfRange",
      [a.address, 1_000_001n, 1n],
    );
    await expectRevert(
      scorer.simulate.setScores([1n, [a.address], [1], [1_000_001]]),
      "SourceRegistryScoreOutOfRange",
      [a.address, 1n, 1_000_001n],
    );
  });

  it("scoresOf / packedScoresOf: batch reads; unregistered sources read inactive with initial scores", async () => {
    const f = await loadFixture(fixture);
    const [a, b, c] = f.srcs;
    await register(f, a);
    await register(f, b);
    await (await as(f, f.scorer)).write.setScores([1n, [b.address], [10], [20]]);
    await (await as(f, b)).write.leave();
    const scores = await f.sources.read.scoresOf([[a.address, b.address, c.address]]);
    expect(scores.map((s) => [s.active, s.reliability, s.usefulness])).to.deep.equal([
      [true, SOURCE_INITIAL, SOURCE_INITIAL],
      [false, 10, 20],
      [false, SOURCE_INITIAL, SOURCE_INITIAL],
    ]);
    const packed = await f.sources.read.packedScoresOf([[a.address, b.address, c.address]]);
    expect(packed).to.deep.equal([
      BigInt(SOURCE_INITIAL) | (BigInt(SOURCE_INITIAL) << 32n) | (1n << 64n),
      10n | (20n << 32n),
      BigInt(SOURCE_INITIAL) | (BigInt(SOURCE_INITIAL) << 32n),
    ]);
    const none = await f.sources.read.sourceOf([c.address]);
    expect([none.registered, none.active, none.endpoint]).to.deep.equal([false, false, ""]);
  });

  it("activeSources: pages through the active set", async () => {
    const f = await loadFixture(fixture);
    for (const s of f.srcs) await register(f, s);
    const all = await f.sources.read.activeSources([0n, 10n]);
    expect(all.map((x) => x.toLowerCase()).sort()).to.deep.equal(f.srcs.map((s) => s.address.toLowerCase()).sort());
    expect(await f.sources.read.activeSources([1n, 1n])).to.have.length(1);
    expect(await f.sources.read.activeSources([2n, 5n])).to.have.length(1);
    expect(await f.sources.read.activeSources([3n, 5n])).to.have.length(0);
  });
});
