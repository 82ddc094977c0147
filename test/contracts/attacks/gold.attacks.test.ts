/**
 * Attacks on gold sets (issue 20), against GoldRegistry deployed by the real deploy scripts (deploy/08_gold.ts):
 * a coordinator that would recognise gold items, a curator that reveals a wrong key, reveals only some items or
 * none, a curator grading its friends, and replaying an old gold item.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress, keccak256, parseEther, publicActions, toHex, zeroHash, type Hex } from "viem";
import { foldGold, standingOf } from "../../../src/consensus/index.js";
import { goldLeaf, goldPromptHash, goldProof, goldTree, type GoldItem } from "../../../src/protocol/index.js";
import { expectRevert } from "../../helpers/revert.js";
import { actor, deployFull, type Actor, type Full } from "../../kit/chorus-fixture.js";

async function fixture() {
  const f = await deployFull({ timelockDelay: 0, adminDelay: 0 });
  const gold = await hre.viem.getContractAt("GoldRegistry", f.deployments.contracts.GoldRegistry.address);
  return { ...f, gold };
}
type F = Full & { gold: Awaited<ReturnType<typeof fixture>>["gold"] };

const asGold = (f: F, a: Actor) =>
  hre.viem.getContractAt("GoldRegistry", f.gold.address, {
    client: { wallet: a.wallet, public: a.wallet.extend(publicActions) as never },
  });

const item = (i: number, answer = "B", label = "set"): GoldItem => ({
  promptHash: goldPromptHash([
    { role: "user", content: `${label} question ${i}: which option? A) .. B) .. C) .. D) ..` },
  ]),
  answer,
  salt: keccak256(toHex(`${label} salt ${i}`)),
});

/**
 * Funds and bonds `a`, then commits `items` as one set; returns the set id, the tree, the items and the earliest
 * round period its items may grade (the commit's + 2). With `wait` (default) the chain moves to that period, as a
 * curator sends its items no earlier.
 */
async function commitSet(f: F, a: Actor, items: GoldItem[], wait = true) {
  const [bond] = await f.gold.read.params();
  await f.token.write.transfer([a.address, bond]);
  await (await f.as(a.wallet)).token.write.approve([f.gold.address, bond]);
  const g = await asGold(f, a);
  await g.write.postBond([bond]);
  const chainId = await f.publicClient.getChainId();
  const leaves = items.map((it, i) => goldLeaf({ chainId, registry: f.gold.address, curator: a.address }, i, it));
  const layers = goldTree(leaves);
  const root = layers[layers.length - 1][0];
  await g.write.commitSet([root, items.length]);
  const setId = await f.gold.read.setCount();
  const period = Number(await f.gold.read.earliestRoundPeriod([setId]));
  const length = await f.settlement.read.periodLength();
  if (wait) await time.increaseTo(BigInt(period) * length);
  return { setId, layers, items, g, bond, period, length };
}

const reveal = (s: Awaited<ReturnType<typeof commitSet>>, i: number, answer?: string) =>
  s.g.write.revealItem([
    s.setId,
    i,
    s.items[i].promptHash,
    answer ?? s.items[i].answer,
    s.items[i].salt,
    s.period,
    goldProof(s.layers, i),
  ]);

describe("Attack: gold sets (issue 20)", () => {
  it("the real deploy flow deploys GoldRegistry with a bond and windows; the TS leaf equals the contract's", async () => {
    const f = (await loadFixture(fixture)) as F;
    const [bond, revealWindow, challengeWindow] = await f.gold.read.params();
    expect(bond).to.equal(parseEther("100"));
    expect(revealWindow).to.equal(7n * 24n * 3600n);
    expect(challengeWindow).to.equal(BigInt(f.deployments.params.disputeWindow));
    const c = await actor(0, "curator");
    const it = item(0);
    const chainId = await f.publicClient.getChainId();
    expect(await f.gold.read.leafOf([c.address, 3, it.promptHash, it.answer, it.salt])).to.equal(
      goldLeaf({ chainId, registry: f.gold.address, curator: c.address }, 3, it),
    );
  });

  it("a set needs a free bond, and a locked bond cannot be withdrawn", async () => {
    const f = (await loadFixture(fixture)) as F;
    const c = await actor(1, "curator");
    await expectRevert((await asGold(f, c)).simulate.commitSet([zeroHash, 4]), "GoldBondTooLow", [
      c.address,
      0n,
      parseEther("100"),
    ]);
    const s = await commitSet(f, c, [item(0), item(1)]);
    expect(await f.gold.read.bondOf([c.address])).to.deep.equal([0n, s.bond]);
    await expectRevert(s.g.simulate.withdrawBond([1n]), "GoldInvalidParameter");
  });

  it("a coordinator cannot recognise a gold query before its reveal: the commit shows a root only, and each leaf is salted", async () => {
    const f = (await loadFixture(fixture)) as F;
    const c = await actor(2, "curator");
    const items = [item(0, "A"), item(1, "C"), item(2, "D")];
    const s = await commitSet(f, c, items);
    const events = await f.gold.getEvents.GoldSetCommitted({}, { fromBlock: 0n });
    const data = JSON.stringify(
      events.map((e) => e.args),
      (_, v) => (typeof v === "bigint" ? v.toString() : v),
    ).toLowerCase();
    for (const it of items) expect(data.includes(it.promptHash.slice(2).toLowerCase())).to.equal(false);
    // A coordinator holding the exact prompt of item 1 (it is serving the query) and trying every answer cannot
    // match any leaf without the item's own salt, even after item 0 (and its salt) was revealed.
    await reveal(s, 0);
    const chainId = await f.publicClient.getChainId();
    const leaves = new Set(s.layers[0]);
    for (const guess of ["A", "B", "C", "D"]) {
      for (const salt of [zeroHash, items[0].salt]) {
        expect(
          leaves.has(
            goldLeaf({ chainId, registry: f.gold.address, curator: c.address }, 1, {
              ...items[1],
              answer: guess,
              salt,
            }),
          ),
        ).to.equal(false);
      }
    }
  });

  it("a wrong answer key does not match the commitment (GoldRevealMismatch); the right one completes the set and the bond returns after the challenge window", async () => {
    const f = (await loadFixture(fixture)) as F;
    const c = await actor(3, "curator");
    const s = await commitSet(f, c, [item(0, "B"), item(1, "A")]);
    const got = await expectRevert(
      s.g.simulate.revealItem([
        s.setId,
        0,
        s.items[0].promptHash,
        "C",
        s.items[0].salt,
        s.period,
        goldProof(s.layers, 0),
      ]),
      "GoldRevealMismatch",
    );
    expect(got.slice(0, 2)).to.deep.equal([s.setId, 0]);
    await reveal(s, 0);
    await expectRevert(
      s.g.simulate.revealItem([
        s.setId,
        0,
        s.items[0].promptHash,
        "B",
        s.items[0].salt,
        s.period,
        goldProof(s.layers, 0),
      ]),
      "GoldItemAlreadyRevealed",
      [s.setId, 0],
    );
    await reveal(s, 1);
    const set = await f.gold.read.setOf([s.setId]);
    expect(set.status).to.equal(2); // Complete
    await expectRevert(s.g.simulate.releaseSet([s.setId]), "GoldTooEarly");
    await time.increaseTo(Number(set.releaseAt));
    await s.g.write.releaseSet([s.setId]);
    expect(await f.gold.read.bondOf([c.address])).to.deep.equal([s.bond, 0n]);
  });

  it("a curator that never reveals, or reveals only the items it likes, forfeits its bond to the treasury", async () => {
    const f = (await loadFixture(fixture)) as F;
    const c = await actor(4, "curator");
    const s = await commitSet(f, c, [item(0), item(1), item(2)]);
    await reveal(s, 0);
    await reveal(s, 2); // keeps item 1 hidden
    const anyone = await actor(5, "keeper");
    const g = await asGold(f, anyone);
    const set = await f.gold.read.setOf([s.setId]);
    await expectRevert(g.simulate.forfeitSet([s.setId]), "GoldTooEarly");
    await time.increaseTo(Number(set.revealEnd));
    await expectRevert(
      s.g.simulate.revealItem([
        s.setId,
        1,
        s.items[1].promptHash,
        s.items[1].answer,
        s.items[1].salt,
        s.period,
        goldProof(s.layers, 1),
      ]),
      "GoldRevealClosed",
    );
    const treasury = await f.registry.read.treasury();
    const before = await f.token.read.balanceOf([treasury]);
    await g.write.forfeitSet([s.setId]);
    expect((await f.token.read.balanceOf([treasury])) - before).to.equal(s.bond);
    expect(await f.gold.read.bondOf([c.address])).to.deep.equal([0n, 0n]);
    expect((await f.gold.read.setOf([s.setId])).status).to.equal(4); // Forfeited
    await expectRevert(g.simulate.forfeitSet([s.setId]), "GoldSetNotOpen", [s.setId, 4]);
  });

  it("a key that matches its commitment but is wrong: the arbitrator voids the set until releaseAt (bond to the treasury), nobody else can", async () => {
    const f = (await loadFixture(fixture)) as F;
    const c = await actor(6, "curator");
    const s = await commitSet(f, c, [item(0, "D")]);
    await reveal(s, 0);
    const evidence = keccak256(toHex("the item's right answer is B"));
    await expectRevert((await asGold(f, c)).simulate.voidSet([s.setId, evidence]), "AccessControlUnauthorizedAccount");
    const treasury = await f.registry.read.treasury();
    const before = await f.token.read.balanceOf([treasury]);
    await f.gold.write.voidSet([s.setId, evidence]); // the deployer is the arbitrator by default
    expect((await f.token.read.balanceOf([treasury])) - before).to.equal(s.bond);
    expect((await f.gold.read.setOf([s.setId])).status).to.equal(5); // Void: graders ignore it
    const late = await commitSet(f, c, [item(0, "B", "late")]);
    await reveal(late, 0);
    await time.increaseTo(Number((await f.gold.read.setOf([late.setId])).releaseAt));
    await expectRevert(f.gold.simulate.voidSet([late.setId, evidence]), "GoldChallengeClosed");
  });

  it("replaying an old gold item: its prompt is gold once; a set holding it cannot complete and forfeits", async () => {
    const f = (await loadFixture(fixture)) as F;
    const c = await actor(7, "curator");
    const first = await commitSet(f, c, [item(0, "B", "old")]);
    await reveal(first, 0);
    const reused = { ...item(0, "B", "old"), salt: keccak256(toHex("a new salt")) };
    const again = await commitSet(f, c, [reused, item(1, "C", "new")]);
    await expectRevert(
      again.g.simulate.revealItem([
        again.setId,
        0,
        reused.promptHash,
        reused.answer,
        reused.salt,
        again.period,
        goldProof(again.layers, 0),
      ]),
      "GoldItemReplayed",
      [reused.promptHash, first.setId, 0],
    );
    const p = await f.gold.read.promptReveal([reused.promptHash]);
    expect(p.setId).to.equal(first.setId);
    await reveal(again, 1);
    await time.increaseTo(Number((await f.gold.read.setOf([again.setId])).revealEnd));
    await again.g.write.forfeitSet([again.setId]);
    expect((await f.gold.read.setOf([again.setId])).status).to.equal(4);
  });

  it("a curator cannot commit after seeing a round: an item grades only a round two weight periods after its commit (GoldRoundTooEarly), never a future one", async () => {
    const f = (await loadFixture(fixture)) as F;
    const c = await actor(8, "curator");
    const s = await commitSet(f, c, [item(0, "B", "wait")], false);
    const { setOf } = f.gold.read;
    const committedAt = (await setOf([s.setId])).committedAt;
    const commitPeriod = Number(committedAt / s.length);
    expect(s.period).to.equal(commitPeriod + 2);
    const args = (period: number) =>
      [s.setId, 0, s.items[0].promptHash, "B", s.items[0].salt, period, goldProof(s.layers, 0)] as const;
    // A round of the commit's period, or the next (a coordinator's batch opened before the commit can still be
    // serving then): refused with the values, whenever the reveal comes.
    await expectRevert(s.g.simulate.revealItem(args(commitPeriod)), "GoldRoundTooEarly", [
      s.setId,
      0n,
      BigInt(commitPeriod),
      BigInt(s.period),
    ]);
    await time.increaseTo(BigInt(s.period + 1) * s.length);
    await expectRevert(s.g.simulate.revealItem(args(commitPeriod + 1)), "GoldRoundTooEarly", [
      s.setId,
      0n,
      BigInt(commitPeriod + 1),
      BigInt(s.period),
    ]);
    // Naming a period that has not begun is refused too.
    await expectRevert(s.g.simulate.revealItem(args(s.period + 2)), "GoldRoundInFuture", [
      s.setId,
      0n,
      BigInt(s.period + 2),
      BigInt(s.period + 1),
    ]);
    // The earliest allowed period is accepted, and recorded with the reveal for graders.
    await s.g.write.revealItem(args(s.period));
    expect((await f.gold.read.promptReveal([s.items[0].promptHash])).roundPeriod).to.equal(s.period);
  });

  it("a front-runner copying the curator's reveal from the mempool cannot name another round period: only the curator reveals (GoldNotCurator)", async () => {
    // The period is not in the leaf (the curator cannot know it when committing), so whoever reveals picks it: a
    // member graded badly could copy the pending reveal with a period in which the item was never sent, and its
    // grade would vanish. Only the set's curator may reveal.
    const f = (await loadFixture(fixture)) as F;
    const c = await actor(9, "curator");
    const s = await commitSet(f, c, [item(0, "B", "front-run")]);
    await time.increaseTo(BigInt(s.period + 2) * s.length);
    const bot = await actor(10, "front-runner");
    const copied = [
      s.setId,
      0,
      s.items[0].promptHash,
      "B",
      s.items[0].salt,
      s.period + 1,
      goldProof(s.layers, 0),
    ] as const;
    await expectRevert((await asGold(f, bot)).simulate.revealItem(copied), "GoldNotCurator", [
      s.setId,
      getAddress(bot.address),
      getAddress(c.address),
    ]);
    // The curator's own reveal, with the period it sent the item in, goes through and is what graders read.
    await reveal(s, 0);
    expect((await f.gold.read.promptReveal([s.items[0].promptHash])).roundPeriod).to.equal(s.period);
  });

  it("a curator that is also a node grading its friends moves their standing no further than the other curators' range", async () => {
    // Each curator's grades of a node form one EMA; the standing is the median over curators (src/consensus/gold.ts).
    const honest: [string, number][] = [
      ["0xc1", -700_000],
      ["0xc2", -750_000],
    ];
    let friend = {};
    for (const [c, t] of honest) for (let i = 0; i < 5; i++) friend = foldGold(friend, c, t);
    const alone = standingOf(friend)!;
    for (let i = 0; i < 50; i++) friend = foldGold(friend, "0xbad", 1_000_000);
    const s = standingOf(friend)!;
    expect(s).to.equal(-700_000); // the median of (-750k, -700k, +1e6): the friendly curator's grades do not lift it above the others'
    expect(s <= Math.max(-700_000, alone)).to.equal(true);
  });
});

export type { Hex };
