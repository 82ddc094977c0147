/**
 * Property: random batches, valid and invalid, applied in sequence. The contract accepts exactly the batches a
 * model of the rules accepts (bounds, quorum, replay, signatures, packing), a rejected batch changes nothing,
 * an accepted one moves every score by its deltas in record order with clamping, and every score stays in
 * [0, 1_000_000].
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { concat, size, slice, type Address, type Hex } from "viem";
import { cid, deploySwarm, makeRecord, type Actor, type Swarm } from "../helpers/chorus-fixture.js";
import {
  applyDelta,
  encodeEpoch,
  hasQuorum,
  MAX_REP_DELTA,
  RECORD_TYPES,
  recordArgs,
  REP_INITIAL,
  SOURCE_INITIAL,
  REP_SCALE,
  signServiceStatement,
  type RoundRecord,
  type SignedRecord,
  type SourceDelta,
} from "../../src/chain/records.js";

const NODES = 5;
const SOURCES = 2;

async function swarm() {
  return deploySwarm({ nodes: NODES, sources: SOURCES });
}

interface RecordPlan {
  coordinator: number;
  /** 0: the coordinator's next sequence; 1: replays the last settled one (or an earlier one). */
  replay: boolean;
  participants: number[];
  signers: number[];
  winner: number;
  deltas: number[];
  sources: { source: number; reliability: number; usefulness: number }[];
  /** Corrupt one participant signature (a flipped byte). */
  badSignature: boolean;
}

interface BatchPlan {
  records: RecordPlan[];
  /** Cut the packed records short. */
  truncate: boolean;
}

const delta = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -MAX_REP_DELTA, max: MAX_REP_DELTA }) },
  { weight: 1, arbitrary: fc.constantFrom(-MAX_REP_DELTA - 1, MAX_REP_DELTA + 1, -MAX_REP_DELTA, MAX_REP_DELTA) },
);

const recordPlan: fc.Arbitrary<RecordPlan> = fc
  .record({
    coordinator: fc.integer({ min: 0, max: 1 }),
    replay: fc.boolean().map((b) => b && Math.random() < 0.3),
    participants: fc.uniqueArray(fc.integer({ min: 0, max: NODES - 1 }), { minLength: 1, maxLength: NODES }),
    signerBits: fc.integer({ min: 0, max: (1 << NODES) - 1 }),
    winnerPick: fc.nat(),
    deltas: fc.array(delta, { minLength: NODES, maxLength: NODES }),
    sources: fc.uniqueArray(
      fc.record({ source: fc.integer({ min: 0, max: SOURCES - 1 }), reliability: delta, usefulness: delta }),
      { maxLength: SOURCES, selector: (x) => x.source },
    ),
    badSignature: fc.boolean().map((b) => b && Math.random() < 0.15),
  })
  .map((r) => ({
    coordinator: r.coordinator,
    replay: r.replay,
    participants: r.participants,
    // mostly a full committee signs; sometimes a random subset
    signers: r.signerBits % 3 === 0 ? r.participants.filter((p) => (r.signerBits >> p) & 1) : [...r.participants],
    winner: r.participants[r.winnerPick % r.participants.length],
    deltas: r.participants.map((_, i) => r.deltas[i]),
    sources: r.sources,
    badSignature: r.badSignature,
  }));

const batchPlan: fc.Arbitrary<BatchPlan> = fc.record({
  records: fc.array(recordPlan, { minLength: 1, maxLength: 3 }),
  truncate: fc.boolean().map((b) => b && Math.random() < 0.1),
});

class Model {
  reps = new Map<string, number>();
  scores = new Map<string, [number, number]>();
  lastSeq = new Map<string, bigint>();
  epochs = 0n;
  rep = (a: Address) => this.reps.get(a.toLowerCase()) ?? REP_INITIAL;
  score = (a: Address) => this.scores.get(a.toLowerCase()) ?? [SOURCE_INITIAL, SOURCE_INITIAL];
}

/** Builds the batch; returns it, whether the rules accept it, and the model after it. */
async function build(s: Swarm, model: Model, plan: BatchPlan) {
  const inBounds = (d: number) => Math.abs(d) <= MAX_REP_DELTA;
  let valid = !plan.truncate;
  const seqs = new Map<string, bigint>();
  const signed: SignedRecord[] = [];
  const next = new Model();
  next.reps = new Map(model.reps);
  next.scores = new Map(model.scores);
  next.lastSeq = new Map(model.lastSeq);
  next.epochs = model.epochs + 1n;
  for (const r of plan.records) {
    const coordinator = s.nodes[r.coordinator].address;
    const key = coordinator.toLowerCase();
    const last = seqs.get(key) ?? model.lastSeq.get(key) ?? 0n;
    const seq = r.replay && last > 0n ? last : last + 1n;
    seqs.set(key, seq);
    if (seq <= (model.lastSeq.get(key) ?? 0n) || (r.replay && last > 0n)) valid = false;
    const participants = r.participants.map((i) => s.nodes[i].address);
    const sources: SourceDelta[] = r.sources.map((x) => ({
      source: s.sourceActors[x.source].address,
      reliability: x.reliability,
      usefulness: x.usefulness,
      servedCid: cid(`served ${key} ${seq} ${x.source}`),
    }));
    const record = makeRecord({
      coordinator,
      seq,
      participants,
      deltas: r.deltas,
      winner: s.nodes[r.winner].address,
      sources,
      label: `${key}-${seq}-${signed.length}`,
    });
    const signers: Actor[] = r.signers.map((i) => s.nodes[i]);
    const sr = await signUnchecked(s, record, signers);
    if (r.badSignature && r.signers.length > 0) {
      const victim = s.nodes[r.signers[0]].address;
      const sig = sr.signatures[victim]!;
      sr.signatures[victim] = concat([slice(sig, 0, 5), sig.slice(12, 14) === "ff" ? "0x00" : "0xff", slice(sig, 6)]);
      valid = false;
    }
    if (!record.deltas.every(inBounds) || !record.sources.every((x) => inBounds(x.reliability) && inBounds(x.usefulness))) valid = false;
    if (!hasQuorum(BigInt(r.signers.length), BigInt(participants.length))) valid = false;
    signed.push(sr);
    record.participants.forEach((p, i) => next.reps.set(p.toLowerCase(), applyDelta(next.rep(p), record.deltas[i])));
    for (const x of record.sources) {
      const [rel, use] = next.score(x.source);
      next.scores.set(x.source.toLowerCase(), [applyDelta(rel, x.reliability), applyDelta(use, x.usefulness)]);
    }
  }
  for (const [k, v] of seqs) next.lastSeq.set(k, v);
  // records of one coordinator must come in increasing sequence: the encoder sorts them, so a replayed
  // sequence inside the batch appears as a duplicate round id
  const ids = signed.map((x) => x.record.roundId);
  if (new Set(ids).size !== ids.length) return { valid: false, signed, next, duplicate: true };
  return { valid, signed, next, duplicate: false };
}

/** Like signAll, but signs records that break the bounds too (signRecord refuses those). */
async function signUnchecked(s: Swarm, record: RoundRecord, signers: Actor[]): Promise<SignedRecord> {
  const signatures: Record<string, Hex> = {};
  for (const w of signers) {
    signatures[w.address] = await w.account.signTypedData({
      domain: s.domain,
      types: RECORD_TYPES,
      primaryType: "RoundRecord",
      message: recordArgs(record),
    });
  }
  const sourceSignatures: Record<string, Hex> = {};
  for (const x of record.sources) {
    const a = s.sourceActors.find((y) => y.address === x.source)!;
    sourceSignatures[x.source] = await signServiceStatement(a.account, s.domain, { roundId: record.roundId, servedCid: x.servedCid });
  }
  return { record, signatures, sourceSignatures };
}

async function check(s: Swarm, model: Model) {
  const nodes = s.nodes.map((n) => n.address);
  const reps = await s.settlement.read.reputationsOf([nodes]);
  reps.forEach((r, i) => {
    expect(Number(r), `reputation of ${nodes[i]}`).to.equal(model.rep(nodes[i]));
    expect(Number(r) >= 0 && Number(r) <= REP_SCALE).to.equal(true);
  });
  const scores = await s.sources.read.scoresOf([s.sourceActors.map((a) => a.address)]);
  scores.forEach((sc, i) => {
    expect([sc.reliability, sc.usefulness]).to.deep.equal(model.score(s.sourceActors[i].address));
  });
  for (const n of s.nodes.slice(0, 2)) {
    expect(await s.settlement.read.lastSequence([n.address])).to.equal(model.lastSeq.get(n.address.toLowerCase()) ?? 0n);
  }
  expect(await s.settlement.read.epochCount()).to.equal(model.epochs);
}

describe("Settlement (property)", () => {
  it("only valid batches change state; scores follow the clamped deltas and stay in [0, 1_000_000]", async () => {
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(batchPlan, { minLength: 1, maxLength: 4 }), async (plans) => {
        const s = await loadFixture(swarm);
        let model = new Model();
        const settler = s.deployer; // holds no role: give it SETTLER_ROLE so any coordinator's rounds may go in
        await s.settlement.write.grantRole([await s.settlement.read.SETTLER_ROLE(), settler.account.address]);
        for (const plan of plans) {
          const { valid, signed, next, duplicate } = await build(s, model, plan);
          let sent = false;
          if (!duplicate) {
            const e = encodeEpoch(signed, { validate: false });
            const records = plan.truncate ? (slice(e.records, 0, size(e.records) - 1) as Hex) : e.records;
            try {
              await s.settlement.write.settleEpoch([e.nodes, e.sources, records]);
              sent = true;
            } catch {
              sent = false;
            }
          }
          expect(sent, `batch ${JSON.stringify(plan)} was ${sent ? "accepted" : "rejected"}`).to.equal(valid);
          if (sent) {
            model = next;
            accepted++;
          } else rejected++;
          await check(s, model);
        }
      }),
      { numRuns: 40, endOnFailure: true },
    );
    console.log(`      (${accepted} batches accepted, ${rejected} rejected)`);
    expect(accepted, "some batches were valid").to.be.greaterThan(0);
    expect(rejected, "some batches were invalid").to.be.greaterThan(0);
  });
});
