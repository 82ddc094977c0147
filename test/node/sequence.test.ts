/**
 * Round sequences (issue 12): ids come from batches reserved on chain, settle in order, and a failed round's
 * sequence is voided (RoundsVoided) before a later round of the same coordinator settles.
 */
import { expect } from "chai";
import type { Hex } from "viem";
import { nextSettlementStep, type SequenceState } from "../../src/round/sequencer.js";
import { roundIdParts } from "../../src/core/index.js";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { closeStarted } from "../helpers/close.js";

const state = (
  s: Partial<{ issued: number; running: number[]; queued: number[]; failed: number[] }>,
): SequenceState => ({
  issuedThrough: BigInt(s.issued ?? 0),
  running: new Set((s.running ?? []).map(BigInt)),
  queued: new Set((s.queued ?? []).map(BigInt)),
  failed: new Set((s.failed ?? []).map(BigInt)),
  closedThrough: 0n,
});
const set = (...xs: number[]) => new Set(xs.map(BigInt));

describe("round sequences: settlement order", () => {
  it("settles the queued run after the last closed sequence, voids sequences that will never have a record, waits for running ones", () => {
    expect(nextSettlementStep(0n, set(1, 2, 4), state({ issued: 4, queued: [1, 2, 4], failed: [3] }))).to.deep.equal({
      kind: "settle",
      seqs: [1n, 2n],
    });
    expect(nextSettlementStep(2n, set(4), state({ issued: 4, queued: [4], failed: [3] }))).to.deep.equal({
      kind: "void",
      through: 3n,
    });
    // a sequence issued before a restart (not running, not queued) is voided too; the run stops at a queued one
    expect(nextSettlementStep(2n, set(5), state({ issued: 5 }))).to.deep.equal({ kind: "void", through: 4n });
    // a running round blocks everything after it; so does a completed one not yet in the queue's listing
    expect(nextSettlementStep(0n, set(2), state({ issued: 2, running: [1], queued: [2] }))).to.equal(undefined);
    expect(nextSettlementStep(0n, set(), state({ issued: 1, queued: [1] }))).to.equal(undefined);
    // nothing issued beyond the last closed sequence, or beyond the batch
    expect(nextSettlementStep(3n, set(), state({ issued: 3 }))).to.equal(undefined);
    expect(nextSettlementStep(3n, set(), state({ issued: 9 }), 5n)).to.deep.equal({ kind: "void", through: 5n });
  });
});

describe("round sequences on the in-process chain", function () {
  this.timeout(180_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;
  before(async () => {
    swarm = await startChainSwarm({
      nodes: 4,
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
    });
  });
  after(() => closeStarted(swarm));

  const ask = async (node: number) => {
    const res = await fetch(`${swarm.nodes[node].url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hello" }] }),
    });
    return { status: res.status, body: await res.json() };
  };

  it("a round that fails after taking its sequence is voided, and the next round settles after it", async () => {
    const coord = swarm.nodes[1].coordinator as any;
    const honest = coord.deps.directory;
    coord.deps.directory = {
      ...honest,
      candidates: () => honest.candidates(),
      weightsAt: async () => Promise.reject(new Error("RPC down for the draw")),
    };
    let failed;
    try {
      failed = await ask(1);
    } finally {
      coord.deps.directory = honest;
    }
    expect(failed.status).to.not.equal(200);
    const ok = await ask(1);
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    const { coordinator, seq } = roundIdParts(ok.body.chorus.round_id as Hex);
    expect(seq).to.equal(2n);
    await swarm.nodes[1].submitter.flush();
    const s = swarm.f.settlement;
    expect(await s.read.lastSequence([coordinator])).to.equal(2n);
    const voids = await swarm.f.publicClient.getContractEvents({
      address: s.address,
      abi: s.abi,
      eventName: "RoundsVoided",
      args: { coordinator },
      fromBlock: 0n,
    });
    expect(voids.map((v) => [v.args.fromSeq, v.args.throughSeq, v.args.penalty])).to.deep.equal([[1n, 1n, 0n]]);
    const settled = await swarm.f.publicClient.getContractEvents({
      address: s.address,
      abi: s.abi,
      eventName: "RoundSettled",
      args: { roundId: ok.body.chorus.round_id },
      fromBlock: 0n,
    });
    expect(settled).to.have.length(1);
    const batches = await swarm.f.publicClient.getContractEvents({
      address: s.address,
      abi: s.abi,
      eventName: "BatchOpened",
      args: { coordinator },
      fromBlock: 0n,
    });
    expect(batches.map((b) => [b.args.firstSeq, b.args.lastSeq])).to.deep.equal([[1n, 8n]]);
  });
});
