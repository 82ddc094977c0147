import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, type Hex } from "viem";
import { expectRevert } from "../helpers/revert.js";
import {
  actor,
  cid,
  deployFull,
  makeCapable,
  postAttemptBond,
  publishSuite,
  ZERO,
  type Actor,
  type Full,
} from "../kit/chorus-fixture.js";
import {
  bitsToChoices,
  choicesCommitment,
  choicesToBits,
  gradeChoices,
  keyCommitment,
  newSalt,
  MAX_ITEMS,
} from "../../src/chain/capability.js";
import { isChorusError } from "../../src/core/index.js";

const SALT = cid("salt");
enum Status {
  None,
  Committed,
  Passed,
  Failed,
  Void,
}

async function fixture() {
  const f = await deployFull();
  const nodes: Actor[] = [];
  for (let i = 0; i < 3; i++) nodes.push(await actor(i, "cap"));
  const [attemptBond] = await f.capability.read.bondTerms();
  for (const n of nodes) await postAttemptBond(f, n, 10n * attemptBond);
  const curatorRole = await f.capability.read.CURATOR_ROLE();
  return { ...f, nodes, curatorRole };
}

type F = Full & { nodes: Actor[]; curatorRole: Hex };

const as = async (f: F, a: Actor) => (await f.as(a.wallet)).capability;

async function commitAs(f: F, a: Actor, suiteId: bigint, choices: bigint, salt = SALT) {
  return (await as(f, a)).write.commit([suiteId, choicesCommitment(choices, salt, a.address)]);
}

/** `count` of the key's first bits flipped: a node that gets `itemCount - count` right. */
const withWrong = (key: bigint, count: number) => {
  let c = key;
  for (let i = 0; i < count; i++) c ^= 1n << BigInt(i);
  return c;
};

describe("CapabilityRegistry", () => {
  describe("deployment", () => {
    it("deploy script: the deployer is admin and curator", async () => {
      const f = await loadFixture(fixture);
      const admin = f.deployer.account.address;
      expect(await f.capability.read.hasRole([f.curatorRole, admin])).to.equal(true);
      expect(await f.capability.read.hasRole([await f.capability.read.DEFAULT_ADMIN_ROLE(), admin])).to.equal(true);
      expect(await f.capability.read.suiteCount()).to.equal(0n);
      expect((f.deployments.params.curator as string | number | undefined)?.toString().toLowerCase()).to.equal(
        admin.toLowerCase(),
      );
    });

    it("constructor: reverts on a zero account and on bond terms or a revocation window out of bounds", async () => {
      const f = await loadFixture(fixture);
      const admin = (await hre.viem.getWalletClients())[0].account.address;
      const init = {
        admin,
        adminDelay: 0,
        curator: admin,
        arbitrator: admin,
        governor: admin,
        registry: f.registry.address,
        attemptBond: 10n ** 18n,
        failForfeitBps: 5_000,
        revocationWindow: 3600n,
      };
      const cases: [Partial<typeof init>, string][] = [
        [{ admin: ZERO }, "AccessControlInvalidDefaultAdmin"],
        [{ curator: ZERO }, "CapabilityZeroAddress"],
        [{ arbitrator: ZERO }, "CapabilityZeroAddress"],
        [{ governor: ZERO }, "CapabilityZeroAddress"],
        [{ registry: ZERO }, "CapabilityZeroAddress"],
        [{ attemptBond: 10n ** 18n - 1n }, "CapabilityInvalidParameter"],
        [{ failForfeitBps: 99 }, "CapabilityInvalidParameter"],
        [{ failForfeitBps: 10_001 }, "CapabilityInvalidParameter"],
        [{ revocationWindow: 59n }, "CapabilityInvalidParameter"],
      ];
      for (const [patch, name] of cases) {
        await expectRevertDeploy(hre.viem.deployContract("CapabilityRegistry", [{ ...init, ...patch }]), name);
      }
    });
  });

  describe("publishSuite", () => {
    it("publishSuite: stores the suite, numbers it and emits SuitePublished", async () => {
      const f = await loadFixture(fixture);
      const s = await publishSuite(f, { itemCount: 256, passThreshold: 218 });
      expect(s.suiteId).to.equal(1n);
      const stored = await f.capability.read.suite([1n]);
      expect(stored.itemsCid).to.equal(cid("items"));
      expect(stored.keyCommitment).to.equal(keyCommitment(s.key, s.keySalt));
      expect(stored.itemCount).to.equal(256);
      expect(stored.passThreshold).to.equal(218);
      expect(stored.commitEnd).to.equal(s.commitEnd);
      expect(stored.keyRevealed).to.equal(false);
      const events = await f.capability.getEvents.SuitePublished({ suiteId: 1n });
      expect(events).to.have.length(1);
      expect(events[0].args.itemCount).to.equal(256);
      expect((await publishSuite(f)).suiteId).to.equal(2n);
    });

    it("publishSuite: reverts for an account without CURATOR_ROLE", async () => {
      const f = await loadFixture(fixture);
      const s = await publishSuite(f);
      const c = await as(f, f.nodes[0]);
      await expectRevert(
        c.simulate.publishSuite([{ ...s.params, commitEnd: s.params.commitEnd + 10n }]),
        "AccessControlUnauthorizedAccount",
        [f.nodes[0].address, f.curatorRole],
      );
    });

    it("publishSuite: reverts on item counts and thresholds out of range", async () => {
      const f = await loadFixture(fixture);
      const { params } = await publishSuite(f);
      for (const [itemCount, passThreshold] of [
        [0, 0],
        [257, 10],
        [20, 0],
        [20, 21],
      ]) {
        await expectRevert(
          f.capability.simulate.publishSuite([{ ...params, itemCount, passThreshold }]),
          "CapabilityInvalidItems",
          [itemCount, passThreshold],
        );
      }
    });

    it("publishSuite: reverts unless now < commitEnd < keyRevealEnd < revealEnd", async () => {
      const f = await loadFixture(fixture);
      const { params } = await publishSuite(f);
      const now = BigInt(await time.latest());
      const cases = [
        { ...params, commitEnd: now },
        { ...params, keyRevealEnd: params.commitEnd },
        { ...params, revealEnd: params.keyRevealEnd },
      ];
      for (const p of cases) {
        const got = await expectRevert(f.capability.simulate.publishSuite([p]), "CapabilityInvalidWindows");
        expect(got.slice(1)).to.deep.equal([p.commitEnd, p.keyRevealEnd, p.revealEnd]);
      }
    });

    it("publishSuite: reverts on a validity of 0 or above MAX_VALIDITY", async () => {
      const f = await loadFixture(fixture);
      const { params } = await publishSuite(f);
      const max = await f.capability.read.MAX_VALIDITY();
      await expectRevert(
        f.capability.simulate.publishSuite([{ ...params, validity: 0n }]),
        "CapabilityInvalidValidity",
        [0n, max],
      );
      await expectRevert(
        f.capability.simulate.publishSuite([{ ...params, validity: max + 1n }]),
        "CapabilityInvalidValidity",
        [max + 1n, max],
      );
    });

    it("suite / isVoid: revert for an unknown suite", async () => {
      const f = await loadFixture(fixture);
      await publishSuite(f);
      await expectRevert(f.capability.read.suite([9n]), "CapabilityUnknownSuite", [9n]);
      await expectRevert(f.capability.read.isVoid([9n]), "CapabilityUnknownSuite", [9n]);
    });
  });

  describe("commit", () => {
    it("commit: records the commitment (a later commit replaces it) and emits ChoicesCommitted", async () => {
      const f = await loadFixture(fixture);
      const s = await publishSuite(f);
      const [a] = f.nodes;
      await commitAs(f, a, s.suiteId, 1n);
      await commitAs(f, a, s.suiteId, s.key);
      const [status, , commitment] = await f.capability.read.attemptOf([s.suiteId, a.address]);
      expect(status).to.equal(Status.Committed);
      expect(commitment).to.equal(choicesCommitment(s.key, SALT, a.address));
      expect(await f.capability.getEvents.ChoicesCommitted({ suiteId: s.suiteId, node: a.address })).to.have.length(1);
    });

    it("commit: reverts once the submission window closed, and for an unknown suite", async () => {
      const f = await loadFixture(fixture);
      const s = await publishSuite(f);
      const c = await as(f, f.nodes[0]);
      await expectRevert(c.simulate.commit([7n, SALT]), "CapabilityUnknownSuite", [7n]);
      await time.increaseTo(s.commitEnd);
      const got = await expectRevert(c.simulate.commit([s.suiteId, SALT]), "CapabilityCommitClosed");
      expect(got[0]).to.equal(s.suiteId);
      expect(got[2]).to.equal(s.commitEnd);
    });
  });

  describe("revealKey", () => {
    it("revealKey: only inside [commitEnd, keyRevealEnd), only by the curator, only once, only the committed key", async () => {
      const f = await loadFixture(fixture);
      const s = await publishSuite(f);
      const early = await expectRevert(
        f.capability.simulate.revealKey([s.suiteId, s.key, s.keySalt]),
        "CapabilityKeyRevealClosed",
      );
      expect(early.slice(2)).to.deep.equal([s.commitEnd, s.keyRevealEnd]);
      await time.increaseTo(s.commitEnd);
      await expectRevert(
        (await as(f, f.nodes[0])).simulate.revealKey([s.suiteId, s.key, s.keySalt]),
        "AccessControlUnauthorizedAccount",
        [f.nodes[0].address, f.curatorRole],
      );
      await expectRevert(f.capability.simulate.revealKey([s.suiteId, s.key ^ 1n, s.keySalt]), "CapabilityKeyMismatch", [
        s.suiteId,
        keyCommitment(s.key ^ 1n, s.keySalt),
        keyCommitment(s.key, s.keySalt),
      ]);
      await f.capability.write.revealKey([s.suiteId, s.key, s.keySalt]);
      expect((await f.capability.read.suite([s.suiteId])).key).to.equal(s.key);
      expect(await f.capability.getEvents.SuiteKeyRevealed({ suiteId: s.suiteId })).to.have.length(1);
      await expectRevert(
        f.capability.simulate.revealKey([s.suiteId, s.key, s.keySalt]),
        "CapabilityKeyAlreadyRevealed",
        [s.suiteId],
      );
    });

    it("revealKey: reverts after keyRevealEnd (the suite is void) and for a key with bits beyond the items", async () => {
      const f = await loadFixture(fixture);
      const wide = 1n << 128n;
      const s = await publishSuite(f, { itemCount: 128, key: wide, keySalt: cid("wide") });
      await time.increaseTo(s.commitEnd);
      await expectRevert(f.capability.simulate.revealKey([s.suiteId, wide, cid("wide")]), "CapabilityKeyOutOfRange", [
        s.suiteId,
        128n,
      ]);
      await time.increaseTo(s.keyRevealEnd);
      const late = await expectRevert(
        f.capability.simulate.revealKey([s.suiteId, wide, cid("wide")]),
        "CapabilityKeyRevealClosed",
      );
      expect(late[0]).to.equal(s.suiteId);
      expect(await f.capability.read.isVoid([s.suiteId])).to.equal(true);
    });
  });

  describe("reveal and grading", () => {
    it("reveal: grades on chain; exactly the threshold passes, one less fails; the grade matches gradeChoices", async () => {
      const f = await loadFixture(fixture);
      const s = await publishSuite(f, { itemCount: 256, passThreshold: 218 });
      const [a, b, c] = f.nodes;
      const choices = { a: withWrong(s.key, 38), b: withWrong(s.key, 39), c: s.key };
      await commitAs(f, a, s.suiteId, choices.a);
      await commitAs(f, b, s.suiteId, choices.b);
      await commitAs(f, c, s.suiteId, choices.c);
      await time.increaseTo(s.commitEnd);
      await f.capability.write.revealKey([s.suiteId, s.key, s.keySalt]);
      for (const [w, ch] of [
        [a, choices.a],
        [b, choices.b],
        [c, choices.c],
      ] as [Actor, bigint][]) {
        await (await as(f, w)).write.reveal([s.suiteId, ch, SALT]);
      }
      const graded = await f.capability.getEvents.CapabilityGraded({ suiteId: s.suiteId }, { fromBlock: 0n });
      const byNode = new Map(graded.map((e) => [e.args.node!.toLowerCase(), e.args]));
      expect(byNode.get(a.address.toLowerCase())!.score).to.equal(218);
      expect(byNode.get(a.address.toLowerCase())!.passed).to.equal(true);
      expect(byNode.get(b.address.toLowerCase())!.score).to.equal(217);
      expect(byNode.get(b.address.toLowerCase())!.passed).to.equal(false);
      expect(byNode.get(b.address.toLowerCase())!.validUntil).to.equal(0n);
      expect(gradeChoices(choices.a, s.key, 256)).to.equal(218);
      expect(gradeChoices(choices.b, s.key, 256)).to.equal(217);
      expect(await f.capability.read.isCapable([a.address])).to.equal(true);
      expect(await f.capability.read.isCapable([b.address])).to.equal(false);
      expect(await f.capability.read.isCapable([c.address])).to.equal(true);
      expect((await f.capability.read.attemptOf([s.suiteId, b.address]))[0]).to.equal(Status.Failed);
      expect((await f.capability.read.attemptOf([s.suiteId, c.address]))[0]).to.equal(Status.Passed);
      const pass = await f.capability.read.passOf([c.address]);
      expect(pass.suiteId).to.equal(s.suiteId);
      expect(pass.score).to.equal(256);
      expect(pass.validUntil).to.equal(BigInt(await time.latest()) + BigInt(30 * 24 * 3600));
    });

    it("reveal: reverts before the key is out, without a commitment, on a mismatch, twice, after revealEnd", async () => {
      const f = await loadFixture(fixture);
      const s = await publishSuite(f);
      const [a, b] = f.nodes;
      await commitAs(f, a, s.suiteId, s.key);
      const ca = await as(f, a);
      await time.increaseTo(s.commitEnd);
      await expectRevert(ca.simulate.reveal([s.suiteId, s.key, SALT]), "CapabilityKeyNotRevealed", [s.suiteId]);
      await f.capability.write.revealKey([s.suiteId, s.key, s.keySalt]);
      await expectRevert((await as(f, b)).simulate.reveal([s.suiteId, s.key, SALT]), "CapabilityNotCommitted", [
        s.suiteId,
        b.address,
      ]);
      await expectRevert(ca.simulate.reveal([s.suiteId, s.key ^ 1n, SALT]), "CapabilityCommitmentMismatch", [
        s.suiteId,
        a.address,
        choicesCommitment(s.key ^ 1n, SALT, a.address),
        choicesCommitment(s.key, SALT, a.address),
      ]);
      await ca.write.reveal([s.suiteId, s.key, SALT]);
      await expectRevert(ca.simulate.reveal([s.suiteId, s.key, SALT]), "CapabilityNotCommitted", [
        s.suiteId,
        a.address,
      ]);
      const s2 = await publishSuite(f);
      await commitAs(f, b, s2.suiteId, s2.key);
      await time.increaseTo(s2.commitEnd);
      await f.capability.write.revealKey([s2.suiteId, s2.key, s2.keySalt]);
      await time.increaseTo(s2.revealEnd);
      const late = await expectRevert(
        (await as(f, b)).simulate.reveal([s2.suiteId, s2.key, SALT]),
        "CapabilityRevealClosed",
      );
      expect(late[2]).to.equal(s2.revealEnd);
    });

    it("attemptOf: a node that does not reveal fails once the reveal window closes", async () => {
      const f = await loadFixture(fixture);
      const s = await publishSuite(f);
      const [a] = f.nodes;
      await commitAs(f, a, s.suiteId, s.key);
      await time.increaseTo(s.commitEnd);
      await f.capability.write.revealKey([s.suiteId, s.key, s.keySalt]);
      expect((await f.capability.read.attemptOf([s.suiteId, a.address]))[0]).to.equal(Status.Committed);
      await time.increaseTo(s.revealEnd);
      expect((await f.capability.read.attemptOf([s.suiteId, a.address]))[0]).to.equal(Status.Failed);
      expect(await f.capability.read.isCapable([a.address])).to.equal(false);
      expect((await f.capability.read.attemptOf([s.suiteId, f.nodes[1].address]))[0]).to.equal(Status.None);
    });

    it("void suite: a key not revealed in time voids the suite and penalizes nobody (an earlier pass stays)", async () => {
      const f = await loadFixture(fixture);
      const [a] = f.nodes;
      await makeCapable(f, [a], { validity: 100_000 });
      const before = await f.capability.read.passOf([a.address]);
      const s = await publishSuite(f);
      await commitAs(f, a, s.suiteId, withWrong(s.key, 100));
      await time.increaseTo(s.keyRevealEnd);
      expect(await f.capability.read.isVoid([s.suiteId])).to.equal(true);
      expect((await f.capability.read.attemptOf([s.suiteId, a.address]))[0]).to.equal(Status.Void);
      await expectRevert(
        (await as(f, a)).simulate.reveal([s.suiteId, withWrong(s.key, 100), SALT]),
        "CapabilityKeyNotRevealed",
        [s.suiteId],
      );
      expect(await f.capability.read.passOf([a.address])).to.deep.equal(before);
      expect(await f.capability.read.isCapable([a.address])).to.equal(true);
    });

    it("expiry: a pass ends after its validity; a longer pass replaces a shorter one, a shorter or a fail does not", async () => {
      const f = await loadFixture(fixture);
      const [a] = f.nodes;
      await makeCapable(f, [a], { validity: 50_000 });
      const first = await f.capability.read.passOf([a.address]);
      // a pass that ends earlier does not replace it
      await makeCapable(f, [a], { validity: 1_000 });
      expect(await f.capability.read.passOf([a.address])).to.deep.equal(first);
      // a fail does not revoke it
      const s = await publishSuite(f);
      await commitAs(f, a, s.suiteId, withWrong(s.key, 100));
      await time.increaseTo(s.commitEnd);
      await f.capability.write.revealKey([s.suiteId, s.key, s.keySalt]);
      await (await as(f, a)).write.reveal([s.suiteId, withWrong(s.key, 100), SALT]);
      expect(await f.capability.read.passOf([a.address])).to.deep.equal(first);
      await time.increaseTo(first.validUntil - 1n);
      expect(await f.capability.read.isCapable([a.address])).to.equal(true);
      await time.increaseTo(first.validUntil);
      expect(await f.capability.read.isCapable([a.address])).to.equal(false);
      // a new, longer pass makes it capable again
      const suite = await makeCapable(f, [a], { validity: 200_000 });
      expect((await f.capability.read.passOf([a.address])).suiteId).to.equal(suite.suiteId);
      expect(await f.capability.read.isCapable([a.address])).to.equal(true);
    });

    it("256 items: a full key and full choices grade 256 (every bit of the bitmap counts)", async () => {
      const f = await loadFixture(fixture);
      const full = (1n << 256n) - 1n;
      const [a, b] = f.nodes;
      const s = await publishSuite(f, { itemCount: 256, passThreshold: 256, key: full, keySalt: cid("full") });
      await commitAs(f, a, s.suiteId, full);
      await commitAs(f, b, s.suiteId, 0n);
      await time.increaseTo(s.commitEnd);
      await f.capability.write.revealKey([s.suiteId, full, cid("full")]);
      await (await as(f, a)).write.reveal([s.suiteId, full, SALT]);
      await (await as(f, b)).write.reveal([s.suiteId, 0n, SALT]);
      expect((await f.capability.read.attemptOf([s.suiteId, a.address]))[1]).to.equal(256);
      expect((await f.capability.read.attemptOf([s.suiteId, b.address]))[1]).to.equal(0);
      expect(gradeChoices(full, full, 256)).to.equal(256);
    });

    it("grading ignores choice bits beyond the item count", async () => {
      const f = await loadFixture(fixture);
      const [a] = f.nodes;
      const s = await publishSuite(f, { itemCount: 100, passThreshold: 100 });
      const noisy = s.key | (0xffn << 100n);
      await commitAs(f, a, s.suiteId, noisy);
      await time.increaseTo(s.commitEnd);
      await f.capability.write.revealKey([s.suiteId, s.key, s.keySalt]);
      await (await as(f, a)).write.reveal([s.suiteId, noisy, SALT]);
      expect((await f.capability.read.attemptOf([s.suiteId, a.address]))[1]).to.equal(100);
      expect(gradeChoices(noisy, s.key, 100)).to.equal(100);
    });
  });

  describe("src/chain/capability.ts", () => {
    it("choicesToBits / bitsToChoices round-trip; commitments match the contract's", async () => {
      const choices = [1, 0, 1, 1, 0, true, false] as const;
      const bits = choicesToBits([...choices]);
      expect(bits).to.equal(0b0101101n);
      expect(bitsToChoices(bits, 7)).to.deep.equal([1, 0, 1, 1, 0, 1, 0]);
      const salt = newSalt();
      expect(salt).to.match(/^0x[0-9a-f]{64}$/);
      expect(keyCommitment(bits, salt)).to.equal(
        keccak256(`0x${bits.toString(16).padStart(64, "0")}${salt.slice(2)}` as Hex),
      );
      expect(choicesCommitment(bits, salt, "0x00000000000000000000000000000000000000aa")).to.equal(
        keccak256(`0x${bits.toString(16).padStart(64, "0")}${salt.slice(2)}${"aa".padStart(64, "0")}` as Hex),
      );
    });

    it("throws CAPABILITY_INVALID on bad input", () => {
      const bad = [
        () => choicesToBits([]),
        () => choicesToBits(Array(MAX_ITEMS + 1).fill(0)),
        () => choicesToBits([2 as never]),
        () => bitsToChoices(1n, 0),
        () => keyCommitment(1n, "0x12"),
        () => keyCommitment(-1n, SALT),
        () => choicesCommitment(1n << 256n, SALT, ZERO),
        () => gradeChoices(1n, 1n, 257),
      ];
      for (const f of bad) {
        let err: unknown;
        try {
          f();
        } catch (e) {
          err = e;
        }
        expect(isChorusError(err, "CAPABILITY_INVALID"), String(err)).to.equal(true);
      }
    });
  });
});

/** Deployment reverts surface from viem's deployContract; decode the custom error the same way. */
async function expectRevertDeploy(action: Promise<unknown>, errorName: string) {
  let error: unknown;
  try {
    await action;
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${errorName}`).to.not.equal(undefined);
  expect(String((error as { message?: unknown }).message)).to.contain(errorName);
}
