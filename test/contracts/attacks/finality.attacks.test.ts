/**
 * Issue 13, item 1: optimistic finality, attacked. Settled deltas stay pending until no round of the epoch can be
 * voided; an upheld dispute (or a proven omission) removes a forged round's deltas exactly; nobody can make an epoch
 * final early, with other tables, or without its voided rounds; weights never read pending reputation.
 * Against contracts deployed by the real deploy scripts.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther, type Address } from "viem";
import { expectRevert } from "../../helpers/revert.js";
import {
  actor,
  cid,
  deploySwarm,
  drawnRecord,
  finalizeEpochs,
  finalizeInputOf,
  openBatch,
  settle,
  signAll,
  type Actor,
} from "../../kit/chorus-fixture.js";
import {
  applyDelta,
  recordArgs,
  recordDigest,
  REP_INITIAL,
  type RoundRecord,
  type SignedRecord,
} from "../../../src/core/index.js";
import { finalReputations, netAfterVoids } from "../../../src/chain/finality.js";

async function fixture() {
  const s = await deploySwarm({ nodes: 4 });
  const coordinator = s.nodes[0];
  const batch = await openBatch(s, coordinator, 8);
  // round 1 is honest; round 2 is the forgery: it pays every member the largest delta
  const honest = await drawnRecord(s, batch, { label: "honest" });
  const forged = await drawnRecord(s, batch, { label: "forged" });
  forged.deltas = forged.participants.map(() => 50_000);
  const signed: SignedRecord[] = [await signAll(s.domain, honest, s.nodes), await signAll(s.domain, forged, s.nodes)];
  await settle(s, coordinator.wallet, signed);
  const digests = signed.map((x) => recordDigest(s.domain, x.record));
  const watcher = await actor(5, "watcher");
  await s.token.write.transfer([watcher.address, parseEther("1000")]);
  const w = await s.as(watcher.wallet);
  await w.token.write.approve([s.disputes.address, parseEther("1000")]);
  return { ...s, coordinator, honest, forged, signed, digests, watcher, w };
}
type F = Awaited<ReturnType<typeof fixture>>;

const repsOf = async (f: F, nodes: readonly Address[]) => (await f.settlement.read.reputationsOf([nodes])).map(Number);
const statusOf = async (f: F, epoch: bigint) => {
  const [settled, isFinal, finalAt, voided] = await f.settlement.read.epochStatus([epoch]);
  return { settled, isFinal, finalAt: Number(finalAt), voided: Number(voided) };
};
const openOn = (f: F, index: number, by: Actor[]) =>
  f.w.disputes.write.openDispute([
    1n,
    f.digests,
    BigInt(index),
    recordArgs(index === 0 ? f.honest : f.forged),
    by.map((n) => f.signed[index].signatures[n.address]),
    cid("evidence"),
  ]);

describe("attacks: optimistic finality (issue 13)", function () {
  this.timeout(120_000);

  it("settled deltas are pending: reputation, weights and scores do not move until the epoch is final", async () => {
    const f = await loadFixture(fixture);
    const nodes = f.nodes.map((n) => n.address);
    expect(await repsOf(f, nodes)).to.deep.equal(nodes.map(() => REP_INITIAL));
    // the forged +50_000 cannot buy seats while pending: a later period's weights read final reputation
    const period = (await f.settlement.read.currentPeriod()) + 1;
    await time.increaseTo(BigInt(period) * (await f.settlement.read.periodLength()));
    for (const n of nodes) {
      const [rep, known] = await f.settlement.read.reputationAt([n, period]);
      expect([Number(rep), known]).to.deep.equal([REP_INITIAL, true]);
    }
    const st = await statusOf(f, 1n);
    expect(st.settled && !st.isFinal && st.finalAt > 0).to.equal(true);
  });

  it("the forgery stays? no: an upheld dispute voids the round, and finality applies exactly the honest round", async () => {
    const f = await loadFixture(fixture);
    await openOn(f, 1, f.nodes.slice(0, 3));
    await f.disputes.write.uphold([1n, recordArgs(f.forged)]);
    const input = await finalizeInputOf(f, 1);
    expect(input.voidedRoundIds).to.deep.equal([f.forged.roundId]);
    await finalizeEpochs(f, { sender: f.watcher.wallet });
    // exactly as if the forged round had never settled: the honest round's deltas from the initial reputation
    const expected = f.honest.participants.map((_, i) => applyDelta(REP_INITIAL, f.honest.deltas[i]));
    expect(await repsOf(f, f.honest.participants)).to.deep.equal(expected);
    // and the pure rule the audit and explorer use agrees with the chain
    const net = netAfterVoids(input).nodes;
    const before = new Map(input.deltas.nodes.map((n) => [n, REP_INITIAL]));
    expect(f.honest.participants.map((p) => finalReputations(before, net).get(p))).to.deep.equal(expected);
    const [fin] = await f.settlement.getEvents.EpochFinalized({ epoch: 1n }, { fromBlock: 0n });
    expect(fin.args.voidedRounds).to.equal(1n);
  });

  it("finality cannot come early: not before the omission window and the dispute window close", async () => {
    const f = await loadFixture(fixture);
    const input = await finalizeInputOf(f, 1);
    const { finalAt } = await statusOf(f, 1n);
    const attempt = () => f.w.settlement.simulate.finalizeEpoch([1n, input.deltas, input.voided]);
    const now = await time.latest();
    // (a call runs at the latest block's time)
    await expectRevert(attempt(), "SettlementEpochNotReady", [1n, BigInt(now), BigInt(finalAt)]);
    await time.increaseTo(finalAt - 1);
    await expectRevert(attempt(), "SettlementEpochNotReady", [1n, BigInt(finalAt - 1), BigInt(finalAt)]);
    await time.increaseTo(finalAt);
    await f.w.settlement.write.finalizeEpoch([1n, input.deltas, input.voided]);
  });

  it("a dispute opened at the end of the window holds the epoch until its deadline, so an uphold still voids", async () => {
    const f = await loadFixture(fixture);
    const [, settledAt] = await f.settlement.read.epochInfo([1n]);
    const p = await f.disputes.read.params();
    await time.increaseTo(Number(settledAt + p.disputeWindow) - 1);
    await openOn(f, 1, f.nodes.slice(0, 1));
    const [d] = [await f.disputes.read.dispute([1n])];
    expect((await statusOf(f, 1n)).finalAt).to.be.at.least(Number(d.deadline));
    // past the window, before the deadline: not final, and the arbitrator can still void the forgery
    await time.increaseTo(Number(d.deadline) - 3);
    const input = await finalizeInputOf(f, 1);
    await expectRevert(
      f.w.settlement.simulate.finalizeEpoch([1n, input.deltas, input.voided]),
      "SettlementEpochNotReady",
    );
    await f.disputes.write.addSigners([
      1n,
      recordArgs(f.forged),
      f.nodes.slice(1, 3).map((n) => f.signed[1].signatures[n.address]),
    ]);
    await f.disputes.write.uphold([1n, recordArgs(f.forged)]);
    await finalizeEpochs(f);
    expect(await repsOf(f, f.honest.participants)).to.deep.equal(
      f.honest.participants.map((_, i) => applyDelta(REP_INITIAL, f.honest.deltas[i])),
    );
  });

  it("a finalizer cannot hand in other tables, leave out a voided round, or finalize twice", async () => {
    const f = await loadFixture(fixture);
    await openOn(f, 1, f.nodes.slice(0, 3));
    await f.disputes.write.uphold([1n, recordArgs(f.forged)]);
    const input = await finalizeInputOf(f, 1);
    await time.increaseTo((await statusOf(f, 1n)).finalAt);
    const fin = (deltas: typeof input.deltas, voided: typeof input.voided) =>
      f.w.settlement.simulate.finalizeEpoch([1n, deltas, voided]);
    // tables that favour the finalizer's friend
    const inflated = { ...input.deltas, deltas: input.deltas.deltas.map((d, i) => (i === 0 ? d + 50_000 : d)) };
    await expectRevert(fin(inflated, input.voided), "SettlementDeltasMismatch");
    // the forged round's deltas kept in (its void left out), or another "voided" round made up
    await expectRevert(fin(input.deltas, []), "SettlementVoidedMismatch", [1n, 0n, 1n]);
    const madeUp = { ...input.voided[0], deltas: input.voided[0].deltas.map(() => -50_000) };
    await expectRevert(fin(input.deltas, [madeUp]), "SettlementVoidedMismatch", [1n, 1n, 1n]);
    await f.w.settlement.write.finalizeEpoch([1n, input.deltas, input.voided]);
    await expectRevert(fin(input.deltas, input.voided), "SettlementEpochNotPending", [1n]);
    await expectRevert(f.w.settlement.simulate.finalizeEpoch([9n, input.deltas, []]), "SettlementEpochNotPending", [
      9n,
    ]);
  });

  it("a final epoch can no longer be voided: disputes and omission proofs are closed by then", async () => {
    const f = await loadFixture(fixture);
    await finalizeEpochs(f);
    await expectRevert(
      f.w.disputes.simulate.openDispute([
        1n,
        f.digests,
        1n,
        recordArgs(f.forged),
        [f.signed[1].signatures[f.nodes[0].address]],
        cid("late"),
      ]),
      "DisputesWindowClosed",
    );
    await expectRevert(
      f.w.omissions.simulate.proveOmission([1n, f.digests, 1n, recordArgs(f.forged), f.watcher.address]),
      "OmissionsWindowClosed",
    );
    expect(await repsOf(f, f.forged.participants)).to.deep.equal(
      f.forged.participants.map((p) => {
        const hi = f.honest.deltas[f.honest.participants.indexOf(p)] ?? 0;
        return applyDelta(REP_INITIAL, hi + 50_000);
      }),
    );
  });

  it("a void cannot be replayed into another epoch's finality (voids are per epoch, in order)", async () => {
    const f = await loadFixture(fixture);
    await openOn(f, 1, f.nodes.slice(0, 3));
    await f.disputes.write.uphold([1n, recordArgs(f.forged)]);
    // a second epoch of the same coordinator: its finality takes no void
    const batch = await openBatch(f, f.coordinator, 2);
    const next: RoundRecord = await drawnRecord(f, batch, { label: "next" });
    await settle(f, f.coordinator.wallet, [await signAll(f.domain, next, f.nodes)]);
    const e1 = await finalizeInputOf(f, 1);
    const e2 = await finalizeInputOf(f, 2);
    expect(e2.voided).to.deep.equal([]);
    await time.increaseTo((await statusOf(f, 2n)).finalAt);
    await expectRevert(f.w.settlement.simulate.finalizeEpoch([2n, e2.deltas, e1.voided]), "SettlementVoidedMismatch", [
      2n,
      1n,
      0n,
    ]);
    expect(await finalizeEpochs(f)).to.deep.equal([1, 2]);
  });
});
