/**
 * The subgraph's mappings, run for real: a Chorus deployment on Hardhat's in-process chain goes through
 * staking, calibration, two settled epochs (with data sources and clamped scores), source updates, unstake,
 * withdraw, an equivocation slash and an upheld dispute; the subgraph is built (`graph codegen` +
 * `graph build`) from that deployments file; every log of the deployment is fed, in block/log order, to
 * the compiled WASM handlers through test/subgraph/graph-host.ts; the resulting entities must equal the
 * contracts' own views and a replay with the TypeScript reference (src/chain/records.ts).
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { decodeEventLog, getAddress, parseEther, type Abi, type AbiEvent, type Address, type Hex } from "viem";
import { writeDeployments } from "../../deploy/index.js";
import { applyDelta, recordArgs, REP_INITIAL, SOURCE_INITIAL, signRecord, type RoundRecord, type SignedRecord } from "../../src/chain/records.js";
import { buildSubgraph, SUBGRAPH_DIR, writeSubgraphManifest } from "../../scripts/subgraph-manifest.js";
import { SUBGRAPH_CONTRACTS } from "../../scripts/subgraph-manifest-lib.js";
import { cid, deploySwarm, makeRecord, settle, signAll, type Swarm } from "../helpers/chorus-fixture.js";
import { GraphHost, type HostEvent } from "./graph-host.js";

const lower = (a: string) => a.toLowerCase();

interface Scenario {
  s: Swarm;
  epochs: RoundRecord[][];
}

/** Drives the contracts through every event the subgraph maps. */
async function runScenario(): Promise<Scenario> {
  const s = await deploySwarm({ nodes: 4, sources: 2 });
  const [n0, n1, n2, n3] = s.nodes;
  const parts = s.nodes.map((n) => n.address);
  const coordinator = n0.address;
  const servedCid = cid("served");
  const [src0, src1] = s.sourceActors.map((a) => a.address);
  // Epoch 1: three rounds, the last one with both sources.
  const e1 = [1n, 2n].map((seq) => makeRecord({ coordinator, seq, participants: parts }));
  e1.push(
    makeRecord({
      coordinator,
      seq: 3n,
      participants: parts,
      winner: n2.address,
      sources: [
        { source: src0, reliability: 20_000, usefulness: -10_000, servedCid },
        { source: src1, reliability: -30_000, usefulness: 40_000, servedCid },
      ],
    }),
  );
  // Epoch 2: eighteen rounds of extreme deltas, so scores reach both clamps within the epoch (nodes start at 250_000).
  const e2: RoundRecord[] = [];
  for (let seq = 4n; seq <= 21n; seq++) {
    e2.push(
      makeRecord({
        coordinator,
        seq,
        participants: [n0.address, n1.address, n2.address, n3.address],
        deltas: [50_000, -50_000, 1_234, -4_321],
        winner: seq % 2n === 0n ? n0.address : n2.address,
        sources: [{ source: src1, reliability: -50_000, usefulness: 50_000, servedCid }],
      }),
    );
  }
  const sign = (records: RoundRecord[]) => Promise.all(records.map((r) => signAll(s.domain, r, s.nodes, s.sourceActors)));
  const signed1: SignedRecord[] = await sign(e1);
  await settle(s, n0.wallet, signed1);
  await settle(s, n0.wallet, await sign(e2));

  // Sources: one updates its endpoint, the other leaves.
  await (await s.as(s.sourceActors[0].wallet)).sources.write.update(["http://127.0.0.1/src/moved", cid("manifest 2")]);
  await (await s.as(s.sourceActors[1].wallet)).sources.write.leave();

  // Stake: n3 adds, then moves most into thawing (and leaves the active set); n1 unstakes and withdraws.
  await s.token.write.transfer([n3.address, parseEther("50")]);
  const c3 = await s.as(n3.wallet);
  await c3.token.write.approve([s.registry.address, parseEther("50")]);
  await c3.registry.write.addStake([parseEther("50")]);
  await c3.registry.write.requestUnstake([parseEther("500")]);
  await c3.registry.write.updateNode(["http://127.0.0.1/n3-moved", cid("meta 2")]);
  const c1 = await s.as(n1.wallet);
  await c1.registry.write.requestUnstake([parseEther("100")]);
  await time.increase(3601);
  await c1.registry.write.withdraw();

  // Disputes: n3 signs two records of round 1 (slashed from staked, then thawing); an upheld dispute
  // against epoch 1's first record slashes its signers n0..n2.
  const a = e1[0];
  const b: RoundRecord = { ...a, transcriptCid: cid("another transcript") };
  await s.disputes.write.proveEquivocation([recordArgs(a), signed1[0].signatures[n3.address], recordArgs(b), await signRecord(n3.account, s.domain, b)]);
  const digests = await Promise.all(e1.map((r) => s.settlement.read.recordDigest([recordArgs(r)])));
  await s.token.write.approve([s.disputes.address, parseEther("100")]);
  const sigs = [n0, n1, n2].map((n) => signed1[0].signatures[n.address]);
  await s.disputes.write.openDispute([1n, digests, 0n, recordArgs(a), sigs, cid("evidence")]);
  await s.disputes.write.uphold([1n]);
  return { s, epochs: [e1, e2] };
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
    }
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

  it("reputation history replays like the TypeScript reference and ends at Settlement.reputationOf", async () => {
    const { s, epochs } = sc;
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
    for (const n of s.nodes) {
      const onChain = Number(await s.settlement.read.reputationOf([n.address]));
      expect(host.get("Node", n.address)!.reputation).to.equal(onChain);
      expect(rep.get(lower(n.address))).to.equal(onChain);
    }
    expect(host.get("Node", s.nodes[0].address)!.reputation).to.equal(1_000_000);
    expect(host.get("Node", s.nodes[1].address)!.reputation).to.equal(0);
  });

  it("sources: scores replay per round and end at SourceRegistry.sourceOf; updates and leaving", async () => {
    const { s, epochs } = sc;
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
    for (const a of s.sourceActors) {
      const onChain = await s.sources.read.sourceOf([a.address]);
      const src = host.get("Source", a.address)!;
      expect(src).to.deep.include({ reliability: onChain.reliability, usefulness: onChain.usefulness, active: onChain.active, endpoint: onChain.endpoint });
      expect(src.manifestCid).to.equal(onChain.manifestCid);
    }
    expect(host.get("Source", s.sourceActors[1].address)!.reliability).to.equal(0);
    expect(host.get("Protocol", "1")).to.deep.include({ sourceCount: 2, activeSourceCount: 1 });
  });

  it("disputes and equivocations", async () => {
    const { s, epochs } = sc;
    const [upheld] = await s.disputes.getEvents.DisputeUpheld({}, { fromBlock: 0n });
    const d = host.get("Dispute", "1")!;
    expect(d).to.deep.include({ status: "Upheld", roundId: lower(epochs[0][0].roundId), round: lower(epochs[0][0].roundId), epoch: "1" });
    expect(d.signers).to.deep.equal(s.nodes.slice(0, 3).map((n) => lower(n.address)));
    expect(d.slashedAmounts).to.deep.equal(upheld.args.amounts);
    const [eq] = host.all("Equivocation");
    const [proven] = await s.disputes.getEvents.EquivocationProven({}, { fromBlock: 0n });
    expect(eq).to.deep.include({ signer: lower(s.nodes[3].address), amount: proven.args.amount, reward: proven.args.reward, roundId: lower(epochs[0][0].roundId) });
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
