/**
 * Attack (issue 13): capability by brute force. Before, any address could commit to any suite with no stake or
 * bond, 16 fresh addresses committing the Hamming(7,4) codewords were certain to pass a 6-of-7 suite, and at
 * 17-of-20 ~776 random commits were expected to pass. Now every attempt locks a bond (a fail forfeits part of
 * it) and no suite that guessing can pass is accepted. Against contracts deployed by the real deploy scripts.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toHex } from "viem";
import { expectRevert } from "../../helpers/revert.js";
import { actor, cid, deployFull, postAttemptBond, publishSuite, type Actor } from "../../kit/chorus-fixture.js";
import { choicesCommitment, gradeChoices, minPassThreshold, suiteStrongEnough } from "../../../src/chain/capability.js";

/** The 16 codewords of Hamming(7,4): every 7-bit word is within distance 1 of one of them. */
function hammingCodewords(): bigint[] {
  const words: bigint[] = [];
  for (let d = 0; d < 16; d++) {
    const [d1, d2, d3, d4] = [d & 1, (d >> 1) & 1, (d >> 2) & 1, (d >> 3) & 1];
    const bits = [d1 ^ d2 ^ d4, d1 ^ d3 ^ d4, d1, d2 ^ d3 ^ d4, d2, d3, d4];
    words.push(bits.reduce((w, b, i) => w | (BigInt(b) << BigInt(i)), 0n));
  }
  return words;
}

/** log2 of P(Binomial(n, 1/2) >= t), exactly (BigInt sums), as a float. */
function log2Tail(n: number, t: number): number {
  let c = 1n; // C(n, 0)
  let sum = 0n;
  for (let k = 0; k <= n; k++) {
    if (k >= t) sum += c;
    c = (c * BigInt(n - k)) / BigInt(k + 1);
  }
  return sum === 0n ? -Infinity : bigLog2(sum) - n;
}
function bigLog2(x: bigint): number {
  const s = x.toString(2);
  const head = Number.parseInt(s.slice(0, 53), 2);
  return Math.log2(head) + (s.length - Math.min(53, s.length));
}

async function fixture() {
  const f = await deployFull();
  return f;
}

describe("Attack: capability by brute force (issue 13, item 4)", () => {
  it("the Hamming(7,4) covering attack: a 6-of-7 suite is refused, and 16 fresh addresses without a bond cannot commit", async () => {
    const f = await loadFixture(fixture);
    const words = hammingCodewords();
    // sanity of the attack itself: every 7-bit key is within distance 1 of a codeword, so one of 16 passes 6-of-7
    for (let key = 0n; key < 128n; key++) expect(words.some((w) => gradeChoices(w, key, 7) >= 6)).to.equal(true);

    const { params } = await publishSuite(f); // a valid suite, to get windows
    await expectRevert(
      f.capability.simulate.publishSuite([{ ...params, itemCount: 7, passThreshold: 6 }]),
      "CapabilitySuiteTooWeak",
      [7n, 6n, 8n],
    );
    await expectRevert(
      f.capability.simulate.publishSuite([{ ...params, itemCount: 20, passThreshold: 17 }]),
      "CapabilitySuiteTooWeak",
      [20n, 17n, 21n],
    );

    // even on a suite that is accepted, fresh addresses (no bond) are refused at commit
    const s = await publishSuite(f);
    const [bond] = await f.capability.read.bondTerms();
    for (let i = 0; i < 16; i++) {
      const a = await actor(i, "hamming");
      const c = (await f.as(a.wallet)).capability;
      await expectRevert(
        c.simulate.commit([s.suiteId, choicesCommitment(words[i], cid("s"), a.address)]),
        "CapabilityBondTooLow",
        [a.address, 0n, bond],
      );
    }
  });

  it("the bound: every suite the contract accepts is one where 10^6 guesses pass with probability below 2^-40 (exact binomial tail)", async () => {
    const f = await loadFixture(fixture);
    // 1e6 * P < 2^-40  <=>  log2 P < -40 - log2(1e6)
    const limit = -40 - Math.log2(1e6);
    for (let n = 1; n <= 256; n++) {
      const t = Number(await f.capability.read.minPassThreshold([BigInt(n)]));
      expect(t, `minPassThreshold(${n})`).to.equal(minPassThreshold(n));
      if (t > n) {
        // nothing accepted below 84 items (Hoeffding is conservative: the exact tail would allow all-of-60)
        expect(n).to.be.below(84);
        continue;
      }
      expect(log2Tail(n, t), `P(pass ${t}/${n})`).to.be.below(limit);
      expect(suiteStrongEnough(n, t - 1)).to.equal(false);
    }
    expect(minPassThreshold(256)).to.equal(201);
    expect(minPassThreshold(84)).to.equal(84);
  });

  it("~776 random commits no longer brute-force a pass: the weakest accepted suite (201 of 256) passes none, and each fail forfeits bond", async function () {
    this.timeout(120_000);
    const f = await loadFixture(fixture);
    const s = await publishSuite(f, { itemCount: 256, passThreshold: 201 });
    // 776 random guesses graded exactly as the contract grades: the best is far below the bar
    let best = 0;
    for (let i = 0; i < 776; i++)
      best = Math.max(best, gradeChoices(BigInt(keccak256(toHex(`guess ${i}`))), s.key, 256));
    expect(best).to.be.below(201);
    // and on chain, 24 bonded guessers: none passes, each loses failForfeitBps of its bond to the treasury
    const [bond, forfeitBps] = await f.capability.read.bondTerms();
    const treasury = f.treasury.account.address;
    const before = await f.token.read.balanceOf([treasury]);
    const guessers: Actor[] = [];
    for (let i = 0; i < 24; i++) {
      const a = await actor(i, "guesser");
      guessers.push(a);
      await postAttemptBond(f, a);
      await (
        await f.as(a.wallet)
      ).capability.write.commit([s.suiteId, choicesCommitment(BigInt(keccak256(toHex(`g${i}`))), cid("s"), a.address)]);
    }
    await time.increaseTo(s.commitEnd);
    await f.capability.write.revealKey([s.suiteId, s.key, s.keySalt]);
    for (const [i, a] of guessers.entries()) {
      await (await f.as(a.wallet)).capability.write.reveal([s.suiteId, BigInt(keccak256(toHex(`g${i}`))), cid("s")]);
      expect(await f.capability.read.isCapable([a.address])).to.equal(false);
      const [free, locked] = await f.capability.read.bondOf([a.address]);
      expect(locked).to.equal(0n);
      expect(free).to.equal(bond - (bond * BigInt(forfeitBps)) / 10_000n);
    }
    expect((await f.token.read.balanceOf([treasury])) - before).to.equal(24n * ((bond * BigInt(forfeitBps)) / 10_000n));
  });

  it("a commit never revealed forfeits too (settleAttempt by anyone); a void suite releases the bond in full", async () => {
    const f = await loadFixture(fixture);
    const [bond, forfeitBps] = await f.capability.read.bondTerms();
    const a = await actor(0, "silent");
    await postAttemptBond(f, a, 2n * bond);
    const s = await publishSuite(f);
    const c = (await f.as(a.wallet)).capability;
    await c.write.commit([s.suiteId, choicesCommitment(1n, cid("s"), a.address)]);
    await c.write.commit([s.suiteId, choicesCommitment(2n, cid("s"), a.address)]); // a re-commit locks nothing more
    expect(await f.capability.read.bondOf([a.address])).to.deep.equal([bond, bond]);
    await expectRevert(f.capability.simulate.settleAttempt([s.suiteId, a.address]), "CapabilityAttemptNotSettleable", [
      s.suiteId,
      a.address,
    ]);
    await time.increaseTo(s.commitEnd);
    await f.capability.write.revealKey([s.suiteId, s.key, s.keySalt]);
    await time.increaseTo(s.revealEnd);
    await f.capability.write.settleAttempt([s.suiteId, a.address]);
    const lost = (bond * BigInt(forfeitBps)) / 10_000n;
    expect(await f.capability.read.bondOf([a.address])).to.deep.equal([2n * bond - lost, 0n]);
    await expectRevert(f.capability.simulate.settleAttempt([s.suiteId, a.address]), "CapabilityAttemptNotSettleable", [
      s.suiteId,
      a.address,
    ]);

    const v = await publishSuite(f);
    await c.write.commit([v.suiteId, choicesCommitment(1n, cid("s"), a.address)]);
    await time.increaseTo(v.keyRevealEnd); // the curator never reveals: void
    await f.capability.write.settleAttempt([v.suiteId, a.address]);
    expect(await f.capability.read.bondOf([a.address])).to.deep.equal([2n * bond - lost, 0n]);
    // the free bond can be withdrawn, no more
    await expectRevert(c.simulate.withdrawBond([2n * bond]), "CapabilityInvalidParameter");
    await c.write.withdrawBond([2n * bond - lost]);
    expect(await f.token.read.balanceOf([a.address])).to.equal(2n * bond - lost);
  });

  it("a pass can be revoked by the arbitrator, once, within the revocation window; it ends the pass and nothing else", async () => {
    const f = await loadFixture(fixture);
    const a = await actor(0, "revoked");
    const b = await actor(1, "kept");
    await postAttemptBond(f, a);
    await postAttemptBond(f, b);
    const s = await publishSuite(f);
    for (const x of [a, b])
      await (await f.as(x.wallet)).capability.write.commit([s.suiteId, choicesCommitment(s.key, cid("s"), x.address)]);
    await time.increaseTo(s.commitEnd);
    await f.capability.write.revealKey([s.suiteId, s.key, s.keySalt]);
    for (const x of [a, b]) await (await f.as(x.wallet)).capability.write.reveal([s.suiteId, s.key, cid("s")]);
    const role = await f.capability.read.ARBITRATOR_ROLE();
    await expectRevert(
      (await f.as(a.wallet)).capability.simulate.revokePass([b.address, cid("e")]),
      "AccessControlUnauthorizedAccount",
      [a.address, role],
    );

    const bondBefore = await f.capability.read.bondOf([a.address]);
    const old = (await f.capability.read.passOf([a.address])).validUntil;
    await f.capability.write.revokePass([a.address, cid("evidence")]);
    const at = BigInt(await time.latest());
    expect((await f.capability.read.passOf([a.address])).validUntil).to.equal(at);
    expect(await f.capability.read.revokedAt([a.address])).to.equal(at);
    expect(await f.capability.read.isCapable([a.address])).to.equal(false);
    expect(await f.capability.read.bondOf([a.address])).to.deep.equal(bondBefore);
    const ev = await f.capability.getEvents.PassRevoked({ node: a.address });
    expect(ev[0].args.oldValidUntil).to.equal(old);
    // once
    await expectRevert(f.capability.simulate.revokePass([a.address, cid("again")]), "CapabilityNotRevocable", [
      a.address,
      at,
      0n,
    ]);
    // b's pass outlives the window: no revocation after it
    const window = await f.capability.read.revocationWindow();
    const passB = await f.capability.read.passOf([b.address]);
    const gradedAt = passB.validUntil - BigInt(30 * 24 * 3600);
    await time.increaseTo(gradedAt + window + 1n);
    await expectRevert(f.capability.simulate.revokePass([b.address, cid("late")]), "CapabilityNotRevocable", [
      b.address,
      passB.validUntil,
      gradedAt + window,
    ]);
    expect(await f.capability.read.isCapable([b.address])).to.equal(true);
  });
});
