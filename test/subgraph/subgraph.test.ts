/**
 * The subgraph's mappings, run for real: a Chorus deployment on Hardhat's in-process chain goes through
 * staking, calibration, a coordinator's batch settled as two epochs of drawn records (with data sources and
 * clamped scores), source updates and leaving, stake changes, an equivocation proof, an upheld dispute (whose
 * void reverses a round's deltas, clamped, skipping the source that left), an open dispute holding a lock, a
 * coordinator's unpaid sequence voids and a withdrawal; the subgraph is built (`graph codegen` + `graph build`)
 * from that deployments file; every log of the deployment is fed, in block/log order, to the compiled WASM
 * handlers through test/subgraph/graph-host.ts; the resulting entities must equal the contracts' own views and
 * a replay with the TypeScript reference (src/core/eip712.ts and src/protocol/epoch.ts).
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import {
  decodeEventLog,
  encodeAbiParameters,
  getAddress,
  keccak256,
  parseAbiParameters,
  parseEther,
  type Abi,
  type AbiEvent,
  type Address,
  type Hex,
} from "viem";
import { writeDeployments } from "../../deploy/index.js";
import { applyDelta, recordArgs, recordDigest, REP_INITIAL, SOURCE_INITIAL, signRecord, type RoundRecord, type SignedRecord, type SourceDelta } from "../../src/core/index.js";
import { buildSubgraph, SUBGRAPH_DIR, writeSubgraphManifest } from "../../scripts/subgraph-manifest.js";
import { SUBGRAPH_CONTRACTS } from "../../scripts/subgraph-manifest-lib.js";
import { cid, deploySwarm, drawnRecord, nextCommittee, openBatch, settle, signAll, type Batch, type Swarm } from "../kit/chorus-fixture.js";
import { GraphHost, type HostEvent } from "./graph-host.js";

const lower = (a: string) => a.toLowerCase();

interface Scenario {
  s: Swarm;
  epochs: RoundRecord[][];
  /** The round an upheld dispute voided, and which of its sources were still registered then. */
  voided: RoundRecord;
  activeAtVoid: Set<string>;
}

/** Drives the contracts through every event the subgraph maps. */
async function runScenario(): Promise<Scenario> {
  const s = await deploySwarm({ nodes: 4, sources: 2 });
  const [n0, n1, n2, n3] = s.nodes;
  const parts = s.nodes.map((n) => n.address);
  const servedCid = cid("served");
  const [src0, src1] = s.sourceActors.map((a) => a.address);
  // One batch of n0 covers both epochs; with 4 equal stakes and 7 seats every node holds a seat in each round.
  const batch: Batch = await openBatch(s, n0, 21);
  const next = async (deltas?: number[], sources: SourceDelta[] = [], winner?: Address) => {
    expect((await nextCommittee(s, batch)).committee.members).to.have.length(4);
    const r = await drawnRecord(s, batch, { participants: parts, deltas, sources });
    if (winner) r.winner = winner;
    return r;
  };
  // Epoch 1: three rounds, the last one with both sources. Its deltas are the ones the upheld dispute reverses:
  // after epoch 2, n0 sits at 1_000_000 and n1 at 0 and src0 at 0 / 1_000_000, so the reversal clamps at both bounds.
  const e1 = [await next(), await next()];
  e1.push(
    await next(
      [-20_000, 30_000, 1_000, -2_000],
      [
        { source: src0, reliability: 20_000, usefulness: -10_000, servedCid },
        { source: src1, reliability: -30_000, usefulness: 40_000, servedCid },
      ],
      n2.address,
    ),
  );
  // Epoch 2: eighteen rounds of extreme deltas, so scores reach both clamps within the epoch (nodes start at 250_000).
  const e2: RoundRecord[] = [];
  for (let i = 0; i < 18; i++) {
    const winner = i % 2 === 0 ? n0.address : n2.address;
    e2.push(await next([50_000, -50_000, 1_234, -4_321], [{ source: src0, reliability: -50_000, usefulness: 50_000, servedCid }], winner));
  }
  const sign = (records: RoundRecord[]) => Promise.all(records.map((r) => signAll(s.domain, r, s.nodes, s.sourceActors)));
  const signed1: SignedRecord[] = await sign(e1);
  await settle(s, n0.wallet, signed1);
  await settle(s, n0.wallet, await sign(e2));

  // Sources: one updates its endpoint, the other leaves (so the void below skips it).
  await (await s.as(s.sourceActors[0].wallet)).sources.write.update(["http://127.0.0.1/src/moved", cid("manifest 2")]);
  await (await s.as(s.sourceActors[1].wallet)).sources.write.leave();

  // Stake: n3 adds, then moves most into thawing (and leaves the active set); n1 requests an unstake.
  await s.token.write.transfer([n3.address, parseEther("50")]);
  const c3 = await s.as(n3.wallet);
  await c3.token.write.approve([s.registry.address, parseEther("50")]);
  await c3.registry.write.addStake([parseEther("50")]);
  await c3.registry.write.requestUnstake([parseEther("500")]);
  await c3.registry.write.updateNode(["http://127.0.0.1/n3-moved", cid("meta 2")]);
  const c1 = await s.as(n1.wallet);
  await c1.registry.write.requestUnstake([parseEther("100")]);

  // Disputes, all within the 1800 s window of epoch 1. n3 signed a conflicting record of round 1 (same seed and
  // period): the deployer, who committed to the proof first, proves it (slashed from staked, then thawing).
  const digests = e1.map((r) => recordDigest(s.domain, r));
  const a = e1[0];
  const b: RoundRecord = { ...a, transcriptCid: cid("another transcript") };
  const salt = cid("prover salt");
  const prover = s.deployer.account.address;
  await s.disputes.write.commitEquivocationProof([
    keccak256(encodeAbiParameters(parseAbiParameters("address, bytes32, bytes32, bytes32"), [prover, digests[0], recordDigest(s.domain, b), salt])),
  ]);
  const settled = { epoch: 1n, epochDigests: digests, index: 0n, record: recordArgs(a) };
  await s.disputes.write.proveEquivocation([settled, signed1[0].signatures[n3.address], recordArgs(b), await signRecord(n3.account, s.domain, b), salt]);
  // Dispute 1 against epoch 1's third record names n0 and n1, n2 is added, and the arbitrator upholds it: the
  // round is voided. Dispute 2 against the second record names n0 and stays open, holding n0's stake locked.
  await s.token.write.approve([s.disputes.address, parseEther("200")]);
  const voided = e1[2];
  const sigs = (i: number, who: typeof s.nodes) => who.map((n) => signed1[i].signatures[n.address]);
  await s.disputes.write.openDispute([1n, digests, 2n, recordArgs(voided), sigs(2, [n0, n1]), cid("evidence")]);
  await s.disputes.write.addSigners([1n, recordArgs(voided), sigs(2, [n2])]);
  await s.disputes.write.uphold([1n, recordArgs(voided)]);
  const activeAtVoid = new Set([lower(src0)]);
  await s.disputes.write.openDispute([1n, digests, 1n, recordArgs(e1[1]), sigs(1, [n0]), cid("evidence 2")]);

  // n2 reserves three sequences and abandons them by opening another batch: its initial credit pays one void,
  // the other two cost reputation and stake.
  await openBatch(s, n2, 3);
  await openBatch(s, n2, 1);

  // The thawing period passes: n1 withdraws.
  await time.increase(3601);
  await c1.registry.write.withdraw();
  return { s, epochs: [e1, e2], voided, activeAtVoid };
}

/** Every log of the deployment's subgraph contracts as host triggers, in block and log order. */
async function collectEvents(s: Swarm): Promise<HostEvent[]> {
  const byAddress = new Map<string, { name: string; abi: Abi }>();
  for (const name of SUBGRAPH_CONTRACTS) {
    const c = s.deployments.contracts[name];
    byAddress.set(lower(c.address), { name, abi: c.abi as Abi });
  }
  const logs = await s.publicClient.getLogs({ fromBlock: BigInt(s.deployments.startBlock), toBlock: "latest" });
  const blocks = new Map<bigint, bigint>();
  const txs = new Map<string, { from: Address; to: Address | null; index: number }>();
  const out: HostEvent[] = [];
  for (const log of logs) {
    const ds = byAddress.get(lower(log.address));
    if (!ds) continue;
    const decoded = decodeEventLog({ abi: ds.abi, data: log.data, topics: log.topics });
    const abi = ds.abi.find((x) => x.type === "event" && x.name === decoded.eventName) as AbiEvent;
    if (!blocks.has(log.blockNumber!)) blocks.set(log.blockNumber!, (await s.publicClient.getBlock({ blockNumber: log.blockNumber! })).timestamp);
    if (!txs.has(log.transactionHash!)) {
      const tx = await s.publicClient.getTransaction({ hash: log.transactionHash! });
      txs.set(log.transactionHash!, { from: tx.from, to: tx.to ?? null, index: tx.transactionIndex ?? 0 });
    }
    const tx = txs.get(log.transactionHash!)!;
    out.push({
      dataSource: ds.name,
      abi,
      args: decoded.args as unknown as Record<string, unknown>,
      address: log.address,
      logIndex: log.logIndex!,
      blockNumber: log.blockNumber!,
      blockHash: log.blockHash!,
      timestamp: blocks.get(log.blockNumber!)!,
      txHash: log.transactionHash!,
      txIndex: tx.index,
      from: tx.from,
      to: tx.to,
    });
  }
  return out.sort((x, y) => (x.blockNumber === y.blockNumber ? x.logIndex - y.logIndex : x.blockNumber < y.blockNumber ? -1 : 1));
}

describe("subgraph mappings (compiled WASM on a test host, real chain events)", function () {
  this.timeout(300_000);
  let sc: Scenario;
  let host: GraphHost;
  let events: HostEvent[];
  let dir: string;

  before(async () => {
    sc = await runScenario();
    dir = mkdtempSync(path.join(tmpdir(), "chorus-subgraph-"));
    const file = await writeDeployments(sc.s.deployments, dir);
    const inputs = await writeSubgraphManifest({ deployments: file });
    expect(inputs.network).to.equal("hardhat");
    const settlementAddress = getAddress(sc.s.deployments.contracts.Settlement.address);
    expect(inputs.contracts.Settlement.address).to.equal(settlementAddress);
    const manifest = readFileSync(path.join(SUBGRAPH_DIR, "subgraph.yaml"), "utf8");
    expect(manifest).to.include(`address: "${settlementAddress}"`);
    expect(manifest).to.include(`startBlock: ${sc.s.deployments.contracts.Disputes.blockNumber}`);
    await buildSubgraph({ quiet: true });
    host = new GraphHost(path.join(SUBGRAPH_DIR, "build"), SUBGRAPH_CONTRACTS, readFileSync(path.join(SUBGRAPH_DIR, "schema.graphql"), "utf8"));
    events = await collectEvents(sc.s);
    for (const e of events) host.trigger(e);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("handles every event kind of the scenario without an error log", () => {
    const names = new Set(events.map((e) => e.abi.name));
    for (const n of ["NodeStaked", "StakeAdded", "NodeUpdated", "UnstakeRequested", "StakeWithdrawn", "NodeSlashed", "NodeActivated", "NodeDeactivated"]) {
      expect(names, n).to.include(n);
    }
    for (const n of ["SuitePublished", "ChoicesCommitted", "SuiteKeyRevealed", "CapabilityGraded", "RoundSettled", "EpochSettled"]) expect(names, n).to.include(n);
    for (const n of ["SourceRegistered", "SourceUpdated", "SourceLeft", "SourceScoresUpdated", "EquivocationProven", "DisputeOpened", "DisputeUpheld"]) {
      expect(names, n).to.include(n);
    }
    for (const n of ["BatchOpened", "RoundVoided", "RoundsVoided", "SignersAdded", "StakeLocked", "StakeUnlocked"]) expect(names, n).to.include(n);
    expect(host.logs.filter((l) => l.level <= 2)).to.deep.equal([]);
  });

  it("nodes: stake, thawing, activity, slashes, endpoint and capability equal the contracts' views", async () => {
    const { s } = sc;
    for (const n of s.nodes) {
      const node = host.get("Node", n.address)!;
      const info = await s.registry.read.nodeInfo([n.address]);
      expect(node.staked, n.address).to.equal(info.staked);
      expect(node.thawing).to.equal(info.thawing);
      expect(node.thawEnd).to.equal(BigInt(info.thawEnd));
      expect(node.endpoint).to.equal(info.endpoint);
      expect(node.metadataCid).to.equal(info.metadataCid);
      expect(node.active).to.equal(await s.registry.read.isActive([n.address]));
      const pass = await s.capability.read.passOf([n.address]);
      expect(node.capableUntil).to.equal(BigInt(pass.validUntil));
      expect(node.capabilityScore).to.equal(pass.score);
      expect(node.capabilitySuite).to.equal(pass.suiteId.toString());
      expect(node.locked, `locked ${n.address}`).to.equal(await s.registry.read.lockedOf([n.address]));
    }
    expect(host.get("Node", s.nodes[0].address)!.locked).to.be.greaterThan(0n); // held by the open dispute
    const slashes = await s.registry.getEvents.NodeSlashed({}, { fromBlock: 0n });
    const n3 = host.get("Node", s.nodes[3].address)!;
    expect(n3.slashed).to.equal(slashes.filter((x) => lower(x.args.node!) === lower(s.nodes[3].address)).reduce((t, x) => t + x.args.amount!, 0n));
    expect(n3.staked).to.equal(0n); // the equivocation slash emptied staked stake and reached into thawing
    const p = host.get("Protocol", "1")!;
    expect((p.totalStaked as bigint) + (p.totalThawing as bigint)).to.equal(await s.registry.read.totalHeld());
    expect(p.totalSlashed).to.equal(slashes.reduce((t, x) => t + x.args.amount!, 0n));
    expect(p.activeNodeCount).to.equal(Number(await s.registry.read.activeCount()));
    expect(p.minStake).to.equal(await s.registry.read.minStake());
    expect(p.nodeCount).to.equal(4);
    const kinds = host.all("StakeChange").map((c) => c.kind);
    for (const k of ["Staked", "Added", "UnstakeRequested", "Withdrawn", "Slashed"]) expect(kinds).to.include(k);
  });

  it("rounds and epochs: ids, winners, transcripts and epoch tables", async () => {
    const { s, epochs } = sc;
    expect(host.get("Protocol", "1")!.epochCount).to.equal(Number(await s.settlement.read.epochCount()));
    expect(host.all("Round")).to.have.length(epochs.reduce((n, e) => n + e.length, 0));
    epochs.forEach((records, e) => {
      const epoch = host.get("Epoch", String(e + 1))!;
      expect(epoch.rounds).to.deep.equal(records.map((r) => lower(r.roundId)));
      records.forEach((r, i) => {
        const round = host.get("Round", r.roundId)!;
        expect(round.epoch).to.equal(String(e + 1));
        expect(round.indexInEpoch).to.equal(i);
        expect(round.winner).to.equal(lower(r.winner));
        expect(round.transcriptCid).to.equal(r.transcriptCid);
        expect(round.coordinator).to.equal(lower(s.nodes[0].address));
        expect(round.sequence).to.equal(BigInt(r.roundId) & ((1n << 96n) - 1n));
        expect(round.participantCount).to.equal(r.participants.length);
      });
    });
  });

  it("reputation history replays like the TypeScript reference, voids included, and ends at Settlement.reputationOf", async () => {
    const { s, epochs, voided } = sc;
    const rep = new Map(s.nodes.map((n) => [lower(n.address), REP_INITIAL]));
    let clamped = 0;
    for (const [e, records] of epochs.entries()) {
      for (const r of records) {
        r.participants.forEach((p, j) => {
          const c = host.get("ReputationChange", r.roundId + p.slice(2))!;
          const before = rep.get(lower(p))!;
          const after = applyDelta(before, r.deltas[j]);
          expect(c, `${r.roundId} ${p}`).to.deep.include({ delta: r.deltas[j], reputationBefore: before, reputationAfter: after, epoch: String(e + 1) });
          expect(c.won).to.equal(lower(p) === lower(r.winner));
          if (before + r.deltas[j] !== after) clamped++;
          rep.set(lower(p), after);
        });
      }
    }
    expect(clamped).to.be.greaterThan(0);
    // n0 and n1 sit at the bounds before the void: before reversing it, as after, the subgraph must match.
    expect(rep.get(lower(s.nodes[0].address))).to.equal(1_000_000);
    expect(rep.get(lower(s.nodes[1].address))).to.equal(0);
    // The upheld dispute voids the round as Settlement.voidSettledRound does: minus each delta in record order,
    // clamped, then the coordinator's penalty (none for an uphold).
    const [roundVoided] = await s.settlement.getEvents.RoundVoided({}, { fromBlock: 0n });
    expect(roundVoided.args).to.deep.include({ roundId: voided.roundId, epoch: 1n, penalty: 0n });
    let reverseClamped = 0;
    voided.participants.forEach((p, j) => {
      const before = rep.get(lower(p))!;
      const after = applyDelta(before, -voided.deltas[j]);
      if (before - voided.deltas[j] !== after) reverseClamped++;
      rep.set(lower(p), after);
    });
    expect(reverseClamped).to.equal(2); // n0 at the upper bound, n1 at the lower one
    // Then n2's unpaid sequence voids cost it reputation.
    const seqVoids = await s.settlement.getEvents.RoundsVoided({}, { fromBlock: 0n });
    expect(seqVoids.map((v) => v.args.penalty)).to.deep.equal([10_000n]);
    for (const v of seqVoids) rep.set(lower(v.args.coordinator!), applyDelta(rep.get(lower(v.args.coordinator!))!, -Number(v.args.penalty)));
    expect(host.all("SequenceVoid").map((v) => v.penalty)).to.deep.equal([10_000n]);
    const [rv] = host.all("RoundVoid");
    expect(rv).to.deep.include({ roundId: lower(voided.roundId), round: lower(voided.roundId), penalty: 0n, epoch: 1n });
    for (const records of epochs) for (const r of records) expect(host.get("Round", r.roundId)!.voided, r.roundId).to.equal(r === voided);
    expect(host.get("Protocol", "1")!.voidedRoundCount).to.equal(1);
    for (const n of s.nodes) {
      const onChain = Number(await s.settlement.read.reputationOf([n.address]));
      expect(host.get("Node", n.address)!.reputation).to.equal(onChain);
      expect(rep.get(lower(n.address))).to.equal(onChain);
    }
    expect(host.get("Node", s.nodes[0].address)!.reputation).to.equal(1_000_000);
    expect(host.get("Node", s.nodes[1].address)!.reputation).to.equal(0);
  });

  it("sources: scores replay per round, the void reverses the registered ones, and end at SourceRegistry.sourceOf", async () => {
    const { s, epochs, voided, activeAtVoid } = sc;
    const scores = new Map(s.sourceActors.map((a) => [lower(a.address), { r: SOURCE_INITIAL, u: SOURCE_INITIAL }]));
    let changes = 0;
    for (const records of epochs) {
      for (const r of records) {
        for (const d of r.sources) {
          const c = host.get("SourceScoreChange", r.roundId + d.source.slice(2))!;
          const cur = scores.get(lower(d.source))!;
          const next = { r: applyDelta(cur.r, d.reliability), u: applyDelta(cur.u, d.usefulness) };
          expect(c).to.deep.include({ reliabilityBefore: cur.r, reliabilityAfter: next.r, usefulnessBefore: cur.u, usefulnessAfter: next.u });
          scores.set(lower(d.source), next);
          changes++;
        }
      }
    }
    expect(host.all("SourceScoreChange")).to.have.length(changes);
    expect(host.get("Round", voided.roundId)!.sources).to.deep.equal(voided.sources.map((d) => lower(d.source)));
    // The void reverses each source still registered (clamped); the one that left keeps its scores.
    let reverseClamped = 0;
    for (const d of voided.sources) {
      if (!activeAtVoid.has(lower(d.source))) continue;
      const cur = scores.get(lower(d.source))!;
      const next = { r: applyDelta(cur.r, -d.reliability), u: applyDelta(cur.u, -d.usefulness) };
      if (next.r !== cur.r - d.reliability) reverseClamped++;
      if (next.u !== cur.u - d.usefulness) reverseClamped++;
      scores.set(lower(d.source), next);
    }
    expect(reverseClamped).to.equal(2); // src0 sits at 0 / 1_000_000
    for (const a of s.sourceActors) {
      const onChain = await s.sources.read.sourceOf([a.address]);
      const src = host.get("Source", a.address)!;
      expect(src).to.deep.include({ reliability: onChain.reliability, usefulness: onChain.usefulness, active: onChain.active, endpoint: onChain.endpoint });
      expect(src.manifestCid).to.equal(onChain.manifestCid);
      expect({ r: src.reliability, u: src.usefulness }).to.deep.equal(scores.get(lower(a.address)));
    }
    expect(host.get("Source", s.sourceActors[0].address)).to.deep.include({ reliability: 0, usefulness: 1_000_000 });
    expect(host.get("Source", s.sourceActors[1].address)).to.deep.include({ reliability: 470_000, usefulness: 540_000 });
    expect(host.get("Protocol", "1")).to.deep.include({ sourceCount: 2, activeSourceCount: 1 });
  });

  it("disputes (signers added, upheld, open) and equivocations", async () => {
    const { s, epochs, voided } = sc;
    const [upheld] = await s.disputes.getEvents.DisputeUpheld({}, { fromBlock: 0n });
    const d = host.get("Dispute", "1")!;
    expect(d).to.deep.include({ status: "Upheld", roundId: lower(voided.roundId), round: lower(voided.roundId), epoch: "1" });
    expect(d.signers).to.deep.equal(s.nodes.slice(0, 3).map((n) => lower(n.address)));
    expect(d.signers).to.deep.equal(upheld.args.signers!.map(lower));
    expect(d.slashedAmounts).to.deep.equal(upheld.args.amounts);
    expect((upheld.args.amounts as bigint[]).every((x) => x > 0n)).to.equal(true);
    const open = host.get("Dispute", "2")!;
    expect(open).to.deep.include({ status: "Open", roundId: lower(epochs[0][1].roundId), epoch: "1" });
    expect(open.signers).to.deep.equal([lower(s.nodes[0].address)]);
    expect(host.get("Protocol", "1")!.disputeCount).to.equal(Number(await s.disputes.read.disputeCount()));
    const [eq] = host.all("Equivocation");
    const [proven] = await s.disputes.getEvents.EquivocationProven({}, { fromBlock: 0n });
    expect(eq).to.deep.include({ signer: lower(s.nodes[3].address), amount: proven.args.amount, reward: proven.args.reward, roundId: lower(epochs[0][0].roundId) });
    expect(proven.args.reward).to.be.greaterThan(0n); // the prover committed first
  });

  it("a tampered void report (scores the reversal does not lead to) is logged as an error and the registry's value kept", () => {
    const voidTx = events.find((e) => e.abi.name === "RoundVoided")!.txHash;
    const fresh = new GraphHost(path.join(SUBGRAPH_DIR, "build"), SUBGRAPH_CONTRACTS, readFileSync(path.join(SUBGRAPH_DIR, "schema.graphql"), "utf8"));
    let tampered: Hex | undefined;
    for (const e of events) {
      if (e.abi.name === "SourceScoresUpdated" && e.txHash === voidTx) {
        const rel = [...(e.args.reliability as number[])];
        rel[0] += 1;
        tampered = (e.args.sources as Hex[])[0];
        fresh.trigger({ ...e, args: { ...e.args, reliability: rel } });
      } else fresh.trigger(e);
      if (e.txHash === voidTx && e.abi.name === "RoundVoided") break;
    }
    expect(tampered).to.not.equal(undefined);
    expect(fresh.logs.map((l) => l.message).join("\n")).to.match(/RoundVoided 0x[0-9a-f]+: source 0x[0-9a-f]+ reversed to 0\/1000000 but the registry reports 1\/1000000/);
    expect(fresh.get("Source", tampered!)!.reliability).to.equal(1);
  });

  it("a tampered EpochSettled (a reputation the rounds do not lead to) is logged as an error", () => {
    const epoch = events.find((e) => e.abi.name === "EpochSettled")!;
    const rounds = events.filter((e) => e.abi.name === "RoundSettled" && e.txHash === epoch.txHash);
    const fresh = new GraphHost(path.join(SUBGRAPH_DIR, "build"), SUBGRAPH_CONTRACTS, readFileSync(path.join(SUBGRAPH_DIR, "schema.graphql"), "utf8"));
    for (const r of rounds) fresh.trigger(r);
    const reps = [...(epoch.args.reputations as number[])];
    reps[0] += 1;
    fresh.trigger({ ...epoch, args: { ...epoch.args, reputations: reps } });
    expect(fresh.logs.map((l) => l.message).join("\n")).to.match(/replayed to reputation \d+ but the contract reports \d+/);
    expect(fresh.get("Node", (epoch.args.nodes as Hex[])[0])!.reputation).to.equal(reps[0]);
  });
});
