/**
 * Property: random epochs, valid and invalid, applied in sequence. The contract accepts exactly the epochs a
 * model of the rules accepts (bounds, drawn members, seat quorum, consecutive sequences within the reserved
 * batch, the weight period, signatures, packing), a rejected epoch changes nothing, an accepted one moves no score
 * while pending, and at finality each score moves once by the epoch's net delta with clamping, epoch by epoch; every
 * score stays in [0, 1_000_000].
 *
 * The stakes (1500 / 500 / 500 / 500 / 500 with seven expected seats) give shares of exactly 3, 1, 1, 1 and 1 seats,
 * so the model's seats (src/round/committee.ts, from the stakes the model knows) do not hang on the chain's seed,
 * and a run replays from fast-check's seed alone. A sixth node stakes after the period began: it holds no seat.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { concat, parseEther, size, slice, type Address, type Hex } from "viem";
import {
  actor,
  cid,
  deploySwarm,
  finalizeEpochs,
  makeRecord,
  openBatch,
  stakeActor,
  type Actor,
  type Batch,
} from "../kit/chorus-fixture.js";
import {
  applyDelta,
  makeRoundId,
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
} from "../../src/core/index.js";
import { drawCommittee, encodeEpoch, hasQuorum, roundSeed, type Candidate } from "../../src/protocol/index.js";

const NODES = 5;
const SOURCES = 2;
const STAKES = [parseEther("1500"), ...Array<bigint>(NODES - 1).fill(parseEther("500"))];
const TAU = 7;
/** Sequences each of the two coordinators reserves: small, so that some epochs run past the batch. */
const BATCH = 4n;

async function swarm() {
  const s = await deploySwarm({ nodes: NODES, sources: SOURCES, stakes: STAKES });
  // staked (and never capable) after the weight period began: no seat in it
  const late = await actor(0, "late");
  await stakeActor(s, late, parseEther("500"));
  const batches = [await openBatch(s, s.nodes[0], Number(BATCH)), await openBatch(s, s.nodes[1], Number(BATCH))];
  return { ...s, late, batches };
}
type S = Awaited<ReturnType<typeof swarm>>;

interface RecordPlan {
  coordinator: number;
  /** next: the coordinator's next sequence; replay: its last one again; gap: one skipped. */
  seq: "next" | "replay" | "gap";
  /** drawn: the drawn committee; subset: some of it (valid: an omission is proven later); undrawn: plus the late node. */
  members: "drawn" | "subset" | "undrawn";
  memberBits: number;
  /** Every listed member signs, or those picked by signerBits. */
  allSign: boolean;
  signerBits: number;
  winnerPick: number;
  deltas: number[];
  sources: { source: number; reliability: number; usefulness: number }[];
  /** Corrupt one participant signature (a flipped byte). */
  badSignature: boolean;
}

interface EpochPlan {
  records: RecordPlan[];
  /** Cut the packed records short. */
  truncate: boolean;
  /** Name the next weight period (not begun). */
  futurePeriod: boolean;
}

const delta = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: -MAX_REP_DELTA, max: MAX_REP_DELTA }) },
  { weight: 1, arbitrary: fc.constantFrom(-MAX_REP_DELTA - 1, MAX_REP_DELTA + 1, -MAX_REP_DELTA, MAX_REP_DELTA) },
);
/** True one time in `n` (a seeded draw: Math.random would break replays). */
const oneIn = (n: number) => fc.integer({ min: 0, max: n - 1 }).map((x) => x === 0);

const recordPlan: fc.Arbitrary<RecordPlan> = fc.record({
  coordinator: fc.integer({ min: 0, max: 1 }),
  seq: fc.constantFrom<RecordPlan["seq"]>(
    "next",
    "next",
    "next",
    "next",
    "next",
    "next",
    "next",
    "next",
    "replay",
    "gap",
  ),
  members: fc.constantFrom<RecordPlan["members"]>(
    "drawn",
    "drawn",
    "drawn",
    "drawn",
    "drawn",
    "subset",
    "subset",
    "undrawn",
  ),
  memberBits: fc.integer({ min: 1, max: (1 << NODES) - 1 }),
  allSign: fc.integer({ min: 0, max: 3 }).map((x) => x !== 0),
  signerBits: fc.integer({ min: 0, max: (1 << (NODES + 1)) - 1 }),
  winnerPick: fc.nat(),
  deltas: fc.array(delta, { minLength: NODES + 1, maxLength: NODES + 1 }),
  sources: fc.uniqueArray(
    fc.record({ source: fc.integer({ min: 0, max: SOURCES - 1 }), reliability: delta, usefulness: delta }),
    {
      maxLength: SOURCES,
      selector: (x) => x.source,
    },
  ),
  badSignature: oneIn(7),
});

const epochPlan: fc.Arbitrary<EpochPlan> = fc.record({
  records: fc.array(recordPlan, { minLength: 1, maxLength: 3 }),
  truncate: oneIn(10),
  futurePeriod: oneIn(12),
});

interface PendingNet {
  nodes: Map<string, number>;
  sources: Map<string, [number, number]>;
}

class Model {
  reps = new Map<string, number>();
  scores = new Map<string, [number, number]>();
  /** Accepted epochs' net deltas, in epoch order, until they are made final. */
  pending: PendingNet[] = [];
  lastSeq = new Map<string, bigint>();
  epochs = 0n;
  rep = (a: Address) => this.reps.get(a.toLowerCase()) ?? REP_INITIAL;
  /** Finality of every pending epoch, oldest first: each node and source moves once per epoch, clamped. */
  finalizeAll() {
    for (const p of this.pending) {
      for (const [k, d] of p.nodes) this.reps.set(k, applyDelta(this.reps.get(k) ?? REP_INITIAL, d));
      for (const [k, [rel, use]] of p.sources) {
        const [r0, u0] = this.scores.get(k) ?? [SOURCE_INITIAL, SOURCE_INITIAL];
        this.scores.set(k, [applyDelta(r0, rel), applyDelta(u0, use)]);
      }
    }
    this.pending = [];
  }
  score = (a: Address) => this.scores.get(a.toLowerCase()) ?? [SOURCE_INITIAL, SOURCE_INITIAL];
  clone(): Model {
    const m = new Model();
    m.reps = new Map(this.reps);
    m.scores = new Map(this.scores);
    m.pending = [...this.pending];
    m.lastSeq = new Map(this.lastSeq);
    m.epochs = this.epochs;
    return m;
  }
}

/** The weights the model knows for the period: the stakes it set, the late node at 0, reputations untouched. */
function candidates(s: S): Candidate[] {
  return [
    ...s.nodes.map((n, i) => ({ address: n.address, stake: STAKES[i], reputation: REP_INITIAL })),
    { address: s.late.address, stake: 0n, reputation: REP_INITIAL },
  ];
}
const TOTAL = STAKES.reduce((a, b) => a + b, 0n);

/** Builds the epoch; returns it, whether the rules accept it, and the model after it. */
async function build(s: S, model: Model, plan: EpochPlan) {
  const inBounds = (d: number) => Math.abs(d) <= MAX_REP_DELTA;
  const everyone: Actor[] = [...s.nodes, s.late];
  let valid = !plan.truncate && !plan.futurePeriod;
  const seqs = new Map<string, bigint>();
  const signed: SignedRecord[] = [];
  for (const r of plan.records) {
    const batch: Batch = s.batches[r.coordinator];
    const coordinator = batch.coordinator.address;
    const key = coordinator.toLowerCase();
    const last = seqs.get(key) ?? model.lastSeq.get(key) ?? 0n;
    const seq = r.seq === "replay" && last > 0n ? last : last + (r.seq === "gap" ? 2n : 1n);
    seqs.set(key, seq);
    if (seq !== last + 1n || seq > BATCH) valid = false;
    const seed = roundSeed(batch.seed, makeRoundId(coordinator, seq));
    const committee = drawCommittee(seed, candidates(s), TAU, TOTAL);
    let participants: Address[] = committee.members;
    if (r.members === "subset") {
      participants = committee.members.filter((_, i) => (r.memberBits >> i) & 1);
      if (participants.length === 0) participants = [committee.members[0]];
    } else if (r.members === "undrawn") {
      participants = [...committee.members, s.late.address];
      valid = false;
    }
    const at = (a: Address) => everyone.findIndex((x) => x.address.toLowerCase() === a.toLowerCase());
    const signers = participants.filter((p) => r.allSign || (r.signerBits >> at(p)) & 1);
    const sources: SourceDelta[] = r.sources.map((x) => ({
      source: s.sourceActors[x.source].address,
      reliability: x.reliability,
      usefulness: x.usefulness,
      servedCid: cid(`served ${key} ${seq} ${x.source}`),
    }));
    const record = makeRecord({
      coordinator,
      seq,
      seed,
      period: batch.period,
      participants,
      deltas: participants.map((p) => r.deltas[at(p)]),
      winner: participants[r.winnerPick % participants.length],
      sources,
      label: `${key}-${seq}-${signed.length}`,
    });
    const sr = await signUnchecked(
      s,
      record,
      signers.map((p) => everyone[at(p)]),
    );
    if (r.badSignature && signers.length > 0) {
      const victim = signers[0];
      const sig = sr.signatures[victim];
      sr.signatures[victim] = concat([slice(sig, 0, 5), sig.slice(12, 14) === "ff" ? "0x00" : "0xff", slice(sig, 6)]);
      valid = false;
    }
    if (
      !record.deltas.every(inBounds) ||
      !record.sources.every((x) => inBounds(x.reliability) && inBounds(x.usefulness))
    )
      valid = false;
    // the quorum counts the listed members' seats at the seed
    const seatsOf = (p: Address) => committee.seats.get(p.toLowerCase()) ?? 0n;
    const sum = (xs: Address[]) => xs.reduce((acc, p) => acc + seatsOf(p), 0n);
    if (!hasQuorum(sum(signers), sum(participants))) valid = false;
    signed.push(sr);
  }
  // records of one coordinator must come in increasing sequence: the encoder sorts them, so a replayed
  // sequence inside the epoch appears as a duplicate round id
  const ids = signed.map((x) => x.record.roundId);
  const next = model.clone();
  if (new Set(ids).size !== ids.length) return { valid: false, signed, next, duplicate: true };
  // the contract applies the records in the encoder's order: by round id
  const ordered = [...signed].sort((a, b) => (BigInt(a.record.roundId) < BigInt(b.record.roundId) ? -1 : 1));
  const net: PendingNet = { nodes: new Map(), sources: new Map() };
  for (const { record } of ordered) {
    record.participants.forEach((p, i) =>
      net.nodes.set(p.toLowerCase(), (net.nodes.get(p.toLowerCase()) ?? 0) + record.deltas[i]),
    );
    for (const x of record.sources) {
      const [rel, use] = net.sources.get(x.source.toLowerCase()) ?? [0, 0];
      net.sources.set(x.source.toLowerCase(), [rel + x.reliability, use + x.usefulness]);
    }
  }
  next.pending.push(net);
  for (const [k, v] of seqs) next.lastSeq.set(k, v);
  next.epochs = model.epochs + 1n;
  return { valid, signed, next, duplicate: false };
}

/** Like signAll, but signs records that break the bounds too (signRecord refuses those). */
async function signUnchecked(s: S, record: RoundRecord, signers: Actor[]): Promise<SignedRecord> {
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
    sourceSignatures[x.source] = await signServiceStatement(a.account, s.domain, {
      roundId: record.roundId,
      servedCid: x.servedCid,
    });
  }
  return { record, signatures, sourceSignatures };
}

async function check(s: S, model: Model) {
  const nodes = [...s.nodes, s.late].map((n) => n.address);
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
    expect(await s.settlement.read.lastSequence([n.address])).to.equal(
      model.lastSeq.get(n.address.toLowerCase()) ?? 0n,
    );
  }
  expect(await s.settlement.read.epochCount()).to.equal(model.epochs);
}

describe("Settlement (property)", () => {
  it("the model's seats are the contract's: 3, 1, 1, 1, 1 and none for the late node", async () => {
    const s = await loadFixture(swarm);
    for (const b of s.batches) {
      const seed = roundSeed(b.seed, makeRoundId(b.coordinator.address, 1n));
      const committee = drawCommittee(seed, candidates(s), TAU, TOTAL);
      expect(committee.members).to.have.length(NODES);
      for (const [i, a] of [...s.nodes, s.late].entries()) {
        const seats = await s.settlement.read.seatsOf([a.address, seed, b.period, false]);
        expect(seats, `seats of ${i}`).to.equal(committee.seats.get(a.address.toLowerCase()) ?? 0n);
        expect(seats).to.equal(i === 0 ? 3n : i < NODES ? 1n : 0n);
      }
    }
  });

  it("only valid epochs change state; at finality scores follow the clamped net deltas and stay in [0, 1_000_000]", async () => {
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(epochPlan, { minLength: 1, maxLength: 4 }), async (plans) => {
        const s = await loadFixture(swarm);
        let model = new Model();
        const settler = s.deployer; // holds no role: give it SETTLER_ROLE so any coordinator's rounds may go in
        await s.settlement.write.grantRole([await s.settlement.read.SETTLER_ROLE(), settler.account.address]);
        for (const plan of plans) {
          const { valid, signed, next, duplicate } = await build(s, model, plan);
          let sent = false;
          if (!duplicate) {
            const e = encodeEpoch(signed, { validate: false });
            const records = plan.truncate ? slice(e.records, 0, size(e.records) - 1) : e.records;
            const period = s.batches[0].period + (plan.futurePeriod ? 1 : 0);
            try {
              await s.settlement.write.settleEpoch([period, e.nodes, e.sources, records]);
              sent = true;
            } catch {
              sent = false;
            }
          }
          expect(sent, `epoch ${JSON.stringify(plan)} was ${sent ? "accepted" : "rejected"}`).to.equal(valid);
          if (sent) {
            model = next;
            accepted++;
          } else rejected++;
          await check(s, model);
        }
        // finality, once no round can be voided: every pending epoch's net takes effect
        await finalizeEpochs(s);
        model.finalizeAll();
        await check(s, model);
      }),
      { numRuns: 40, endOnFailure: true },
    );
    console.log(`      (${accepted} epochs accepted, ${rejected} rejected)`);
    expect(accepted, "some epochs were valid").to.be.greaterThan(0);
    expect(rejected, "some epochs were invalid").to.be.greaterThan(0);
  });
});
