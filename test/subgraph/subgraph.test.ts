/**
 * The subgraph's mappings, run for real: the chain scenario of test/subgraph/scenario.ts (stake, calibration, two
 * epochs settled PENDING, a void of a pending round, disputes, equivocation, sequence voids, then finality of epoch 2
 * and then of epoch 1) is indexed from its deployments file: the subgraph is built (`graph codegen` + `graph build`),
 * every log of the deployment is fed, in block/log order, to the compiled WASM handlers through
 * test/subgraph/graph-host.ts, and the entities, as of three checkpoints (all pending, epoch 2 final, both final),
 * must equal the contracts' own views then (`reputationOf`, `sourceOf`, `epochStatus`), the pending deltas the
 * finality rule of src/chain/finality.ts derives from the events, and a replay of the signed records.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { getAddress, type Hex } from "viem";
import { writeDeployments } from "../../deploy/index.js";
import { finalReputations, netAfterVoids, pendingByNode } from "../../src/chain/finality.js";
import { applyDelta, REP_INITIAL, SOURCE_INITIAL } from "../../src/core/index.js";
import { buildSubgraph, SUBGRAPH_DIR, writeSubgraphManifest } from "../../scripts/subgraph-manifest.js";
import { SUBGRAPH_CONTRACTS } from "../../scripts/subgraph-manifest-lib.js";
import { GraphHost, type HostEvent, type JsValue } from "./graph-host.js";
import { collectEvents, lower, runScenario, type ChainState, type Scenario } from "./scenario.js";

type Entity = Record<string, JsValue>;
/** The entities the pending / final checks read, as of one checkpoint. */
interface Snapshot {
  nodes: Map<string, Entity>;
  sources: Map<string, Entity>;
  epochs: Map<number, Entity>;
  protocol: Entity;
}

function snapshot(host: GraphHost, sc: Scenario): Snapshot {
  const one = (type: string, id: string) => structuredClone(host.get(type, id)!);
  return {
    nodes: new Map(sc.s.nodes.map((n) => [lower(n.address), one("Node", n.address)])),
    sources: new Map(sc.s.sourceActors.map((a) => [lower(a.address), one("Source", a.address)])),
    epochs: new Map(sc.epochs.map((_, e) => [e + 1, one("Epoch", String(e + 1))])),
    protocol: one("Protocol", "1"),
  };
}

/** Pending reliability / usefulness per source over the pending epochs of `chain` (src/chain/finality.ts rule). */
function pendingBySource(chain: ChainState): Map<string, { reliability: number; usefulness: number }> {
  const out = new Map<string, { reliability: number; usefulness: number }>();
  for (const e of chain.epochs.values()) {
    if (e.final) continue;
    for (const [a, d] of netAfterVoids(e.input).sources) {
      const cur = out.get(lower(a)) ?? { reliability: 0, usefulness: 0 };
      out.set(lower(a), { reliability: cur.reliability + d.reliability, usefulness: cur.usefulness + d.usefulness });
    }
  }
  return out;
}

/** The subgraph's pending and final values at a checkpoint equal the chain's then. */
function expectMatches(snap: Snapshot, chain: ChainState, label: string): void {
  const pendingNodes = pendingByNode([...chain.epochs.values()].filter((e) => !e.final).map((e) => e.input));
  for (const [addr, node] of snap.nodes) {
    expect(node.reputation, `${label}: reputation of ${addr}`).to.equal(chain.reputation.get(addr));
    expect(node.pendingReputationDelta, `${label}: pending delta of ${addr}`).to.equal(
      pendingNodes.get(getAddress(addr)) ?? 0,
    );
  }
  const pendingSources = pendingBySource(chain);
  for (const [addr, src] of snap.sources) {
    const on = chain.sources.get(addr)!;
    expect(src, `${label}: source ${addr}`).to.deep.include({
      reliability: on.reliability,
      usefulness: on.usefulness,
      active: on.active,
    });
    const p = pendingSources.get(addr) ?? { reliability: 0, usefulness: 0 };
    expect(
      { r: src.pendingReliabilityDelta, u: src.pendingUsefulnessDelta },
      `${label}: pending of ${addr}`,
    ).to.deep.equal({ r: p.reliability, u: p.usefulness });
  }
  for (const [n, e] of chain.epochs) {
    const epoch = snap.epochs.get(n)!;
    const net = netAfterVoids(e.input);
    expect(epoch.status, `${label}: epoch ${n}`).to.equal(e.final ? "FINAL" : "PENDING");
    expect(epoch.voidedRoundCount).to.equal(e.voidedRounds);
    expect(epoch.voidedRounds).to.deep.equal(e.input.voidedRoundIds.map(lower));
    expect(epoch.nodes).to.deep.equal(e.input.deltas.nodes.map(lower));
    expect(epoch.deltas).to.deep.equal(e.input.deltas.deltas);
    expect(epoch.deltasAfterVoids).to.deep.equal(e.input.deltas.nodes.map((a) => net.nodes.get(getAddress(a))));
    expect(epoch.sources).to.deep.equal(e.input.deltas.sources.map(lower));
    expect(epoch.reliabilityDeltas).to.deep.equal(e.input.deltas.reliability);
    expect(epoch.usefulnessDeltas).to.deep.equal(e.input.deltas.usefulness);
    expect(epoch.reliabilityAfterVoids).to.deep.equal(
      e.input.deltas.sources.map((a) => net.sources.get(getAddress(a))!.reliability),
    );
    expect(epoch.usefulnessAfterVoids).to.deep.equal(
      e.input.deltas.sources.map((a) => net.sources.get(getAddress(a))!.usefulness),
    );
    if (!e.final)
      for (const f of ["finalizedAt", "reputations", "finalizer"])
        expect(epoch[f] ?? null, `${label}: epoch ${n} ${f}`).to.equal(null);
  }
  const finals = [...chain.epochs.values()].filter((e) => e.final).length;
  expect(snap.protocol).to.deep.include({
    epochCount: chain.epochs.size,
    finalEpochCount: finals,
    pendingEpochCount: chain.epochs.size - finals,
  });
}

const newHost = () =>
  new GraphHost(
    path.join(SUBGRAPH_DIR, "build"),
    SUBGRAPH_CONTRACTS,
    readFileSync(path.join(SUBGRAPH_DIR, "schema.graphql"), "utf8"),
  );

/** A fresh host fed `events`, each through `edit` (which may change an event, or drop it by returning null). */
function replay(events: HostEvent[], edit: (e: HostEvent) => HostEvent | null): GraphHost {
  const fresh = newHost();
  for (const e of events) {
    const x = edit(e);
    if (x) fresh.trigger(x);
  }
  return fresh;
}

const messages = (h: GraphHost) => h.logs.map((l) => l.message).join("\n");

describe("subgraph mappings (compiled WASM on a test host, real chain events)", function () {
  this.timeout(300_000);
  let sc: Scenario;
  let host: GraphHost;
  let events: HostEvent[];
  let dir: string;
  const snaps: Partial<Record<"pending" | "half" | "final", Snapshot>> = {};

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
    host = newHost();
    events = await collectEvents(sc.s);
    // Index up to each checkpoint's block and take the entities as of then.
    let next = 0;
    for (const key of ["pending", "half", "final"] as const) {
      while (next < events.length && events[next].blockNumber <= sc[key].block) host.trigger(events[next++]);
      snaps[key] = snapshot(host, sc);
    }
    expect(next).to.equal(events.length);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("handles every event kind of the scenario without an error log", () => {
    const names = new Set(events.map((e) => e.abi.name));
    for (const n of [
      "NodeStaked",
      "StakeAdded",
      "NodeUpdated",
      "UnstakeRequested",
      "StakeWithdrawn",
      "NodeSlashed",
      "NodeActivated",
      "NodeDeactivated",
    ]) {
      expect(names, n).to.include(n);
    }
    for (const n of [
      "SuitePublished",
      "ChoicesCommitted",
      "SuiteKeyRevealed",
      "CapabilityGraded",
      "RoundSettled",
      "EpochSettled",
      "EpochFinalized",
    ]) {
      expect(names, n).to.include(n);
    }
    for (const n of [
      "SourceRegistered",
      "SourceUpdated",
      "SourceLeft",
      "SourceScoresUpdated",
      "SourceSkipped",
      "EquivocationProven",
      "DisputeOpened",
      "DisputeUpheld",
    ]) {
      expect(names, n).to.include(n);
    }
    for (const n of ["BatchOpened", "RoundVoided", "RoundsVoided", "SignersAdded", "StakeLocked", "StakeUnlocked"])
      expect(names, n).to.include(n);
    expect(host.logs.filter((l) => l.level <= 2)).to.deep.equal([]);
  });

  it("nodes: stake, thawing, activity, slashes, endpoint and capability equal the contracts' views", async () => {
    const { s } = sc;
    for (const n of s.nodes) {
      const node = host.get("Node", n.address)!;
      const info = await s.registry.read.nodeInfo([n.address]);
      expect(node.staked, n.address).to.equal(info.staked);
      expect(node.thawing).to.equal(info.thawing);
      expect(node.thawEnd).to.equal(info.thawEnd);
      expect(node.endpoint).to.equal(info.endpoint);
      expect(node.metadataCid).to.equal(info.metadataCid);
      expect(node.active).to.equal(await s.registry.read.isActive([n.address]));
      const pass = await s.capability.read.passOf([n.address]);
      expect(node.capableUntil).to.equal(pass.validUntil);
      expect(node.capabilityScore).to.equal(pass.score);
      expect(node.capabilitySuite).to.equal(pass.suiteId.toString());
      expect(node.locked, `locked ${n.address}`).to.equal(await s.registry.read.lockedOf([n.address]));
    }
    expect(host.get("Node", s.nodes[0].address)!.locked).to.be.greaterThan(0n); // held by the open dispute
    const slashes = await s.registry.getEvents.NodeSlashed({}, { fromBlock: 0n });
    const n3 = host.get("Node", s.nodes[3].address)!;
    expect(n3.slashed).to.equal(
      slashes.filter((x) => lower(x.args.node!) === lower(s.nodes[3].address)).reduce((t, x) => t + x.args.amount!, 0n),
    );
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

  it("pending: before finality, reputations and scores are the chain's final ones and the pending deltas its pending nets", () => {
    const { s, epochs, voided } = sc;
    const snap = snaps.pending!;
    expectMatches(snap, sc.pending, "all pending");
    // Independent of the events: the signed records of both epochs, less the voided round, summed per node.
    const sum = new Map<string, number>();
    for (const records of epochs) {
      for (const r of records)
        if (r !== voided) r.participants.forEach((p, j) => sum.set(lower(p), (sum.get(lower(p)) ?? 0) + r.deltas[j]));
    }
    for (const n of s.nodes)
      expect(snap.nodes.get(lower(n.address))!.pendingReputationDelta).to.equal(sum.get(lower(n.address)));
    // Nothing moved yet but n2's sequence-void penalty (taken at once); the upheld dispute's void took no penalty.
    const reps = s.nodes.map((n) => snap.nodes.get(lower(n.address))!.reputation);
    expect(reps).to.deep.equal([REP_INITIAL, REP_INITIAL, REP_INITIAL - 10_000, REP_INITIAL]);
    for (const a of s.sourceActors)
      expect(snap.sources.get(lower(a.address))).to.deep.include({
        reliability: SOURCE_INITIAL,
        usefulness: SOURCE_INITIAL,
      });
    // The void took the round's deltas out of the pending sums: src1 was scored only by the voided round.
    expect(snap.sources.get(lower(s.sourceActors[1].address))).to.deep.include({
      pendingReliabilityDelta: 0,
      pendingUsefulnessDelta: 0,
    });
    expect(snap.epochs.get(1)!.voidedRounds).to.deep.equal([lower(voided.roundId)]);
  });

  it("half final: epoch 2 final, epoch 1 still pending (held by the open dispute)", () => {
    expectMatches(snaps.half!, sc.half, "epoch 2 final");
    expect(sc.half.epochs.get(1)!.final).to.equal(false);
    const e2 = snaps.half!.epochs.get(2)!;
    expect(e2.finalizedAt).to.be.a("bigint");
    expect(e2.finalizer).to.equal(lower(sc.s.deployer.account.address));
  });

  it("final: every node and source score equals the chain's, and a replay of the finality rule", async () => {
    const { s } = sc;
    expectMatches(snaps.final!, sc.final, "both final");
    // The rule (src/chain/finality.ts): penalties at once, then each epoch, in finality order, moves each node once
    // by its net after voids, clamped.
    let rep = new Map(s.nodes.map((n) => [getAddress(n.address), REP_INITIAL]));
    const seqVoids = await s.settlement.getEvents.RoundsVoided({}, { fromBlock: 0n });
    expect(seqVoids.map((v) => v.args.penalty)).to.deep.equal([10_000n]);
    expect(host.all("SequenceVoid").map((v) => v.penalty)).to.deep.equal([10_000n]);
    for (const v of seqVoids)
      rep.set(
        getAddress(v.args.coordinator!),
        applyDelta(rep.get(getAddress(v.args.coordinator!))!, -Number(v.args.penalty)),
      );
    let clamped = 0;
    const finalized = await s.settlement.getEvents.EpochFinalized({}, { fromBlock: 0n });
    expect(finalized.map((f) => f.args.epoch)).to.deep.equal([2n, 1n]);
    for (const f of finalized) {
      const n = Number(f.args.epoch);
      const net = netAfterVoids(sc.final.epochs.get(n)!.input).nodes;
      const next = finalReputations(rep, net);
      for (const [a, d] of net) if (rep.get(a)! + d !== next.get(a)) clamped++;
      rep = new Map([...rep, ...next]);
      const epoch = host.get("Epoch", String(n))!;
      expect(epoch.reputations).to.deep.equal(f.args.nodes!.map((a) => next.get(getAddress(a))));
      expect(epoch.reputations).to.deep.equal(f.args.reputations);
      expect(epoch).to.deep.include({
        voidedRoundCount: Number(f.args.voidedRounds),
        finalizedTransactionHash: f.transactionHash,
        finalizer: lower(f.args.finalizer!),
      });
    }
    expect(clamped).to.be.greaterThanOrEqual(2); // epoch 2 takes n0 over 1_000_000 and n1 under 0
    for (const n of s.nodes) {
      expect(host.get("Node", n.address)!.reputation).to.equal(rep.get(getAddress(n.address)));
      expect(rep.get(getAddress(n.address))).to.equal(sc.final.reputation.get(lower(n.address)));
    }
    expect(host.get("Node", s.nodes[0].address)!.reputation).to.equal(1_000_000); // the voided -20_000 never took effect
    expect(host.get("Node", s.nodes[1].address)!.reputation).to.equal(0);
    // Sources: src0 clamped by epoch 2 at 0 / 1_000_000 and left there by epoch 1 (its only deltas there were voided);
    // src1 left before epoch 1 became final: skipped, never scored.
    expect(host.get("Source", s.sourceActors[0].address)).to.deep.include({ reliability: 0, usefulness: 1_000_000 });
    expect(host.get("Source", s.sourceActors[1].address)).to.deep.include({
      reliability: SOURCE_INITIAL,
      usefulness: SOURCE_INITIAL,
      active: false,
    });
    expect(host.all("SourceSkip").map((k) => ({ epoch: k.epoch, source: k.source }))).to.deep.equal([
      { epoch: 1n, source: lower(s.sourceActors[1].address) },
    ]);
    expect(host.get("Protocol", "1")).to.deep.include({ sourceCount: 2, activeSourceCount: 1 });
  });

  it("per-round entries: each delta as signed, marked voided for the voided round only", async () => {
    const { s, epochs, voided } = sc;
    let changes = 0;
    for (const [e, records] of epochs.entries()) {
      for (const r of records) {
        r.participants.forEach((p, j) => {
          const c = host.get("ReputationChange", r.roundId + p.slice(2))!;
          expect(c, `${r.roundId} ${p}`).to.deep.include({
            delta: r.deltas[j],
            epoch: String(e + 1),
            voided: r === voided,
            won: lower(p) === lower(r.winner),
          });
        });
        for (const d of r.sources) {
          const c = host.get("SourceScoreChange", r.roundId + d.source.slice(2))!;
          expect(c).to.deep.include({
            reliabilityDelta: d.reliability,
            usefulnessDelta: d.usefulness,
            voided: r === voided,
            epoch: String(e + 1),
          });
          changes++;
        }
        const round = host.get("Round", r.roundId)!;
        expect(round.voided, r.roundId).to.equal(r === voided);
        expect(round.sources).to.deep.equal(r.sources.map((d) => lower(d.source)));
      }
    }
    expect(host.all("SourceScoreChange")).to.have.length(changes);
    expect(host.get("Round", voided.roundId)!.voidedAt).to.be.a("bigint");
    const [roundVoided] = await s.settlement.getEvents.RoundVoided({}, { fromBlock: 0n });
    expect(roundVoided.args).to.deep.include({ roundId: voided.roundId, epoch: 1n, penalty: 0n });
    const [rv] = host.all("RoundVoid");
    expect(rv).to.deep.include({
      roundId: lower(voided.roundId),
      round: lower(voided.roundId),
      penalty: 0n,
      epoch: 1n,
    });
    expect(host.get("Protocol", "1")!.voidedRoundCount).to.equal(1);
  });

  it("disputes (signers added, upheld, open) and equivocations", async () => {
    const { s, epochs, voided } = sc;
    const [upheld] = await s.disputes.getEvents.DisputeUpheld({}, { fromBlock: 0n });
    const d = host.get("Dispute", "1")!;
    expect(d).to.deep.include({
      status: "Upheld",
      roundId: lower(voided.roundId),
      round: lower(voided.roundId),
      epoch: "1",
    });
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
    expect(eq).to.deep.include({
      signer: lower(s.nodes[3].address),
      amount: proven.args.amount,
      reward: proven.args.reward,
      roundId: lower(epochs[0][0].roundId),
    });
    expect(proven.args.reward).to.be.greaterThan(0n); // the prover committed first
  });

  it("a tampered EpochFinalized (a reputation the rule does not lead to) is logged as an error and the event's value kept", () => {
    const target = events.find((e) => e.abi.name === "EpochFinalized")!;
    const reps = [...(target.args.reputations as number[])];
    reps[0] += 1;
    const fresh = replay(events, (e) => (e === target ? { ...e, args: { ...e.args, reputations: reps } } : e));
    expect(messages(fresh)).to.match(
      /epoch 2: node 0x[0-9a-f]+ replayed to reputation \d+ but the contract reports \d+/,
    );
    expect(fresh.get("Epoch", "2")!.reputations).to.deep.equal(reps);
  });

  it("a tampered SourceScoresUpdated at finality is logged as an error and the registry's value kept", () => {
    const target = events.find((e) => e.abi.name === "SourceScoresUpdated")!;
    const rel = [...(target.args.reliability as number[])];
    rel[0] += 1;
    const source = (target.args.sources as Hex[])[0];
    const upTo = events.filter((e) => e.blockNumber <= target.blockNumber); // through epoch 2's finality
    const fresh = replay(upTo, (e) => (e === target ? { ...e, args: { ...e.args, reliability: rel } } : e));
    expect(messages(fresh)).to.match(
      /epoch 2: source 0x[0-9a-f]+ replayed to 0\/1000000 but the registry reports 1\/1000000/,
    );
    expect(fresh.get("Source", source)!.reliability).to.equal(1);
  });

  it("a tampered EpochSettled (net deltas the rounds do not sum to) is logged as an error", () => {
    const target = events.find((e) => e.abi.name === "EpochSettled")!;
    const deltas = [...(target.args.deltas as number[])];
    deltas[0] += 1;
    const fresh = replay(events, (e) => (e === target ? { ...e, args: { ...e.args, deltas } } : e));
    expect(messages(fresh)).to.match(
      /epoch 1: node 0x[0-9a-f]+ rounds sum to -?\d+ but EpochSettled reports a net delta of -?\d+/,
    );
  });

  it("a dropped RoundVoided leaves the voided deltas pending, and finality then logs the mismatch", () => {
    const fresh = replay(events, (e) => (e.abi.name === "RoundVoided" ? null : e));
    const log = messages(fresh);
    expect(log).to.match(/EpochFinalized 1: 1 voided rounds, but 0 RoundVoided were seen/);
    expect(log).to.match(/epoch 1: node 0x[0-9a-f]+ replayed to reputation \d+ but the contract reports \d+/);
    expect(log).to.match(/epoch 1: source 0x[0-9a-f]+ replayed to \d+\/\d+ but the registry reports \d+\/\d+/);
  });
});
