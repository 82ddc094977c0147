/**
 * The world of the cross-contract invariant test (invariants.property.test.ts): every contract deployed by the
 * real deploy scripts, six node actors (four staked and capable, two newcomers), two sources, a disputer, a
 * slasher holding SLASHER_ROLE, outsiders holding no role; and a model of what the rules say the chain holds
 * (stakes, passes, reputations, source scores, batches and sequences, epochs, disputes), kept independently of the
 * contracts, with the history of stakes and reputations it needs to weigh a committee as the weight period began.
 * `checkInvariants` compares the two and checks the global invariants after every step.
 */
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { maxUint256, parseEther, type Address, type Hex } from "viem";
import { actor, deploySwarm, postAttemptBond, type Actor } from "../kit/chorus-fixture.js";
import { REP_INITIAL, REP_SCALE, SOURCE_INITIAL, type RoundRecord, type SignedRecord } from "../../src/core/index.js";
import { drawCommittee, type Candidate, type Committee } from "../../src/protocol/index.js";

export const MIN_STAKE = parseEther("100");
export const THAW = 3600n;
/** test/kit/fixtures.ts TEST_PARAMS: the window and the arbitration fit in the thawing period. */
export const DISPUTE_WINDOW = 1800n;
export const ARBITRATION = 1800n;
export const DEPOSIT = parseEther("100");
export const BPS = 10_000n;
export const EQUIVOCATION_SLASH_BPS = 5_000n;
export const FALSE_RESULT_SLASH_BPS = 1_000n;
export const REWARD_BPS = 5_000n;
/** Settlement parameters of the deployment (deploy/lib.ts) and constants of Settlement.sol. */
export const PERIOD = 3600n;
export const SEATS = 7;
export const VOID_COST = 16n;
export const MAX_CREDIT = 256n;
export const INITIAL_CREDIT = 16n;
export const VOID_PENALTY = 5_000;
export const VOID_SLASH_BPS = 50n;
export const VOID_FINE_MIN_STAKE_BPS = 500n;
export const MAX_BATCH = 1024n;

/** Deployed once, then restored from a snapshot by loadFixture for every run. */
export async function world() {
  const s = await deploySwarm({ nodes: 4, sources: 2 });
  const newcomers = [await actor(10), await actor(11)];
  const nodes: Actor[] = [...s.nodes, ...newcomers];
  const disputer = await actor(0, "disputer");
  const slasher = await actor(0, "slasher");
  const outsiders = [await actor(0, "outsider"), await actor(1, "outsider"), await actor(2, "outsider")];
  await s.registry.write.grantRole([await s.registry.read.SLASHER_ROLE(), slasher.address]);
  for (const n of nodes) {
    await s.token.write.transfer([n.address, parseEther("3000")]);
    await (await s.as(n.wallet)).token.write.approve([s.registry.address, maxUint256]);
  }
  // calibration attempts are bonded: every node posts enough for many attempts
  for (const n of nodes) await postAttemptBond(s, n, parseEther("500"));
  await s.token.write.transfer([disputer.address, parseEther("5000")]);
  await (await s.as(disputer.wallet)).token.write.approve([s.disputes.address, maxUint256]);
  const handles = await Promise.all(nodes.map((n) => s.as(n.wallet)));
  const roles = {
    minter: await s.token.read.MINTER_ROLE(),
    slasher: await s.registry.read.SLASHER_ROLE(),
    governor: await s.registry.read.GOVERNOR_ROLE(),
    curator: await s.capability.read.CURATOR_ROLE(),
    scorer: await s.sources.read.SCORER_ROLE(),
    arbitrator: await s.disputes.read.ARBITRATOR_ROLE(),
    admin: await s.settlement.read.DEFAULT_ADMIN_ROLE(),
  };
  const holders: Address[] = [
    s.deployer.account.address,
    s.treasury.account.address,
    ...nodes.map((n) => n.address),
    ...s.sourceActors.map((a) => a.address),
    disputer.address,
    slasher.address,
    ...outsiders.map((o) => o.address),
    s.registry.address,
    s.capability.address,
    s.sources.address,
    s.settlement.address,
    s.disputes.address,
  ];
  return {
    ...s,
    nodes,
    handles,
    disputer: { ...disputer, c: await s.as(disputer.wallet) },
    slasher: { ...slasher, c: await s.as(slasher.wallet) },
    outsiders: await Promise.all(outsiders.map(async (o) => ({ ...o, c: await s.as(o.wallet) }))),
    sourceHandles: await Promise.all(s.sourceActors.map((a) => s.as(a.wallet))),
    roles,
    holders,
  };
}
export type World = Awaited<ReturnType<typeof world>>;

export interface NodeModel {
  registered: boolean;
  staked: bigint;
  thawing: bigint;
  thawEnd: bigint;
  validUntil: bigint;
  rep: number;
  /** Stake locked by open disputes (NodeRegistry.lockedOf). */
  locked: bigint;
}

export interface SettledRecord {
  epoch: bigint;
  index: number;
  signed: SignedRecord;
}

/** A coordinator's batch as the rules say Settlement holds it. */
export interface CoordinatorModel {
  lastSeq: bigint;
  batchEnd: bigint;
  period: number;
  seed: Hex;
  credit: bigint;
}

export interface DisputeModel {
  id: bigint;
  roundId: Hex;
  record: SettledRecord;
  signers: Address[];
  /** What opening locked of each signer's stake: what an uphold takes. */
  locked: bigint[];
  /** The configured share of each signer's stake (staked + thawing) when the dispute opened. */
  atOpen: bigint[];
  deadline: bigint;
  status: "Open" | "Upheld" | "Rejected" | "Reclaimed";
}

/**
 * A settled epoch (issue 13, optimistic finality): its deltas stay pending, summed per node and per source (by
 * index), less those of rounds voided meanwhile, until it is made final.
 */
export interface EpochModel {
  settledAt: bigint;
  digests: Hex[];
  period: number;
  final: boolean;
  /** Latest deadline of the disputes opened on it. */
  heldUntil: bigint;
  nodeNet: Map<number, number>;
  sourceNet: Map<number, [number, number]>;
}

/** When the epoch can be made final: its omission window, dispute window and disputes' deadlines are over. */
export const finalAtOf = (e: EpochModel, period: bigint, disputeWindow: bigint): bigint => {
  let at = (BigInt(e.period) + 2n) * period;
  if (e.settledAt + disputeWindow + 1n > at) at = e.settledAt + disputeWindow + 1n;
  return e.heldUntil > at ? e.heldUntil : at;
};

/** What the rules say the chain holds. */
export class Model {
  nodes: NodeModel[] = [];
  sources: { active: boolean; rel: number; use: number }[] = [];
  coordinators = new Map<string, CoordinatorModel>();
  /** Every node's staked amount after each change, with the change's block time (the first entry: the fixture). */
  stakeLog: { t: bigint; staked: bigint[] }[] = [];
  /** Every node's reputation after each change, with the change's block time. */
  repLog: { t: bigint; reps: number[] }[] = [];
  epochs: EpochModel[] = [];
  settled: SettledRecord[] = [];
  disputes: DisputeModel[] = [];
  /** Per `${roundId}:${signer}` (lower case): held by an open dispute, or upheld. */
  signerStatus = new Map<string, "Open" | "Upheld">();
  /** Rounds whose deltas an upheld dispute voided. */
  voided = new Set<string>();
  equivocated = new Set<string>();
  suites = 0n;
  /** Tokens the disputes contract holds: deposits of open disputes. */
  escrow = 0n;
  seq = (a: Address) => this.coordinators.get(a.toLowerCase())?.lastSeq ?? 0n;
  coordinator = (a: Address): CoordinatorModel => {
    const key = a.toLowerCase();
    if (!this.coordinators.has(key))
      this.coordinators.set(key, { lastSeq: 0n, batchEnd: 0n, period: 0, seed: "0x", credit: 0n });
    return this.coordinators.get(key)!;
  };
  /** Logs the nodes' stakes as they are now, changed at block time `t`. */
  logStakes = (t: bigint) => this.stakeLog.push({ t, staked: this.nodes.map((n) => n.staked) });
  /** Logs the nodes' reputations as they are now, changed at block time `t`. */
  logReps = (t: bigint) => this.repLog.push({ t, reps: this.nodes.map((n) => n.rep) });
  /** Staked amounts at the end of second `t` (NodeRegistry.stakesAt). */
  stakesAt(t: bigint): bigint[] {
    let staked = this.stakeLog[0].staked;
    for (const e of this.stakeLog) if (e.t <= t) staked = e.staked;
    return staked;
  }
  /** Reputations when second `t` began: the last change before it. */
  repsBefore(t: bigint): number[] {
    let reps = this.nodes.map(() => REP_INITIAL);
    for (const e of this.repLog) if (e.t < t) reps = e.reps;
    return reps;
  }
}

/**
 * The committee weights of weight period `period` as the rules define them, from the model alone: stake and total
 * stake at the end of the second before the period began, 0 below the minimum stake or without a pass valid at
 * the start (the pass as it stands: passes only ever extend), reputation when the period began.
 */
export function modelWeights(w: World, m: Model, period: number): { candidates: Candidate[]; total: bigint } {
  const start = BigInt(period) * PERIOD;
  const stakes = m.stakesAt(start - 1n);
  const reps = m.repsBefore(start);
  const total = stakes.reduce((a, b) => a + b, 0n);
  const candidates = w.nodes.map((n, i) => ({
    address: n.address,
    stake: stakes[i] >= MIN_STAKE && m.nodes[i].validUntil > start ? stakes[i] : 0n,
    reputation: reps[i],
  }));
  return { candidates, total };
}

/** The committee of the round seeded `seed` in weight period `period`, drawn from the model's weights. */
export function modelCommittee(w: World, m: Model, seed: Hex, period: number): Committee {
  const { candidates, total } = modelWeights(w, m, period);
  return drawCommittee(seed, candidates, SEATS, total);
}

/** The model of a fresh world: read once from the fixture's starting state, then evolved by the rules alone. */
export async function initialModel(w: World): Promise<Model> {
  const m = new Model();
  for (const n of w.nodes) {
    const info = await w.registry.read.nodeInfo([n.address]);
    const pass = await w.capability.read.passOf([n.address]);
    m.nodes.push({
      registered: info.registered,
      staked: info.staked,
      thawing: info.thawing,
      thawEnd: info.thawEnd,
      validUntil: pass.validUntil,
      rep: REP_INITIAL,
      locked: 0n,
    });
  }
  m.sources = w.sourceActors.map(() => ({ active: true, rel: SOURCE_INITIAL, use: SOURCE_INITIAL }));
  m.logStakes(0n);
  m.suites = await w.capability.read.suiteCount();
  return m;
}

export const now = async () => BigInt(await time.latest());

/**
 * Moves time past any of `deadlines` that fall in the next few seconds, so that the next transaction's
 * timestamp is on a known side of each: afterwards a deadline <= now has passed, any other has not.
 */
export async function clearOf(deadlines: bigint[]): Promise<bigint> {
  for (;;) {
    const t = await now();
    if (!deadlines.some((d) => d > t && d <= t + 5n)) return t;
    await time.increase(6);
  }
}

export const eligible = (n: NodeModel, t: bigint) => n.registered && n.staked >= MIN_STAKE && n.validUntil > t;

/** Runs a transaction; returns null on success, else the revert message. */
export async function attempt(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return String((e as { message?: unknown }).message);
  }
}

/** Asserts that the outcome is what the rules expect: success (null) or a revert with that custom error. */
export function expectOutcome(what: string, got: string | null, expected: string | null): void {
  if (expected === null) {
    expect(
      got === null ? null : (/custom error '([A-Za-z]+)/.exec(got)?.[1] ?? got.slice(0, 400)),
      `${what}: expected success`,
    ).to.equal(null);
  } else {
    expect(got, `${what}: expected a revert with ${expected}, but it succeeded`).to.not.equal(null);
    expect(got, `${what}: expected ${expected}`).to.match(new RegExp(`custom error '${expected}\\(`));
  }
}

/** The global invariants, and the contracts' state against the model. */
export async function checkInvariants(w: World, m: Model): Promise<void> {
  // token conservation: every token is held by a known account or contract
  let sum = 0n;
  for (const h of w.holders) sum += await w.token.read.balanceOf([h]);
  expect(sum, "sum of balances = total supply").to.equal(await w.token.read.totalSupply());

  // registry accounting: tokens held = total held = sum of staked + thawing
  let held = 0n;
  for (const [i, n] of w.nodes.entries()) {
    const info = await w.registry.read.nodeInfo([n.address]);
    const mn = m.nodes[i];
    expect([info.registered, info.staked, info.thawing], `node ${i} stake`).to.deep.equal([
      mn.registered,
      mn.staked,
      mn.thawing,
    ]);
    expect(info.active, `node ${i} active`).to.equal(mn.registered && mn.staked >= MIN_STAKE);
    held += info.staked + info.thawing;
  }
  expect(await w.registry.read.totalHeld(), "totalHeld").to.equal(held);
  expect(await w.token.read.balanceOf([w.registry.address]), "registry balance").to.equal(held);
  expect(await w.token.read.balanceOf([w.disputes.address]), "disputes escrow").to.equal(m.escrow);
  expect(await w.token.read.balanceOf([w.settlement.address]), "settlement holds nothing").to.equal(0n);
  // bonds: the capability registry holds exactly the nodes' free and locked bonds, the source registry the sources'
  let bonds = 0n;
  for (const n of w.nodes) {
    const [free, locked] = await w.capability.read.bondOf([n.address]);
    bonds += free + locked;
  }
  expect(await w.token.read.balanceOf([w.capability.address]), "capability registry holds the bonds").to.equal(bonds);
  let sourceBonds = 0n;
  for (const a of w.sourceActors) sourceBonds += (await w.sources.read.bondOf([a.address])).amount;
  expect(await w.token.read.balanceOf([w.sources.address]), "source registry holds the bonds").to.equal(sourceBonds);

  // capability: passes as graded
  const t = await now();
  for (const [i, n] of w.nodes.entries()) {
    expect((await w.capability.read.passOf([n.address])).validUntil, `pass of node ${i}`).to.equal(
      m.nodes[i].validUntil,
    );
    expect(await w.capability.read.isCapable([n.address])).to.equal(m.nodes[i].validUntil > t);
  }

  // reputation and source scores: as the model moved them, within [0, 1_000_000]
  const reps = await w.settlement.read.reputationsOf([w.nodes.map((n) => n.address)]);
  reps.forEach((r, i) => {
    expect(Number(r), `reputation of node ${i}`).to.equal(m.nodes[i].rep);
    expect(r >= 0n && r <= BigInt(REP_SCALE)).to.equal(true);
  });
  const scores = await w.sources.read.scoresOf([w.sourceActors.map((a) => a.address)]);
  scores.forEach((sc, i) => {
    expect([sc.active, sc.reliability, sc.usefulness], `source ${i}`).to.deep.equal([
      m.sources[i].active,
      m.sources[i].rel,
      m.sources[i].use,
    ]);
    expect(sc.reliability <= REP_SCALE && sc.usefulness <= REP_SCALE).to.equal(true);
  });

  // settlement: batches, sequences, epochs; a settled round is closed
  for (const n of w.nodes) {
    const [lastSeq, batchEnd, , period, seed, credit] = await w.settlement.read.batchOf([n.address]);
    const c = m.coordinators.get(n.address.toLowerCase());
    expect(lastSeq, "last sequence").to.equal(m.seq(n.address));
    if (c)
      expect([batchEnd, period, seed, BigInt(credit)], `batch of ${n.address}`).to.deep.equal([
        c.batchEnd,
        c.period,
        c.seed,
        c.credit,
      ]);
    else expect(batchEnd, `no batch of ${n.address}`).to.equal(0n);
  }
  expect(await w.settlement.read.epochCount()).to.equal(BigInt(m.epochs.length));
  for (const r of m.settled.slice(-3))
    expect(await w.settlement.read.isClosed([r.signed.record.roundId])).to.equal(true);

  // disputes
  expect(await w.disputes.read.disputeCount()).to.equal(BigInt(m.disputes.length));
  for (const d of m.disputes.slice(-3)) {
    const got = await w.disputes.read.dispute([d.id]);
    expect(["None", "Open", "Upheld", "Rejected", "Reclaimed"][got.status], `dispute ${d.id}`).to.equal(d.status);
  }
}

export type { RoundRecord };
