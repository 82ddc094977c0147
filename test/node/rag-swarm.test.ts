/**
 * RAG rounds end to end: 7 real nodes on the in-process chain and two real data-source nodes (src/source
 * `startSource`, BM25 only) registered in SourceRegistry. One signs under another Settlement domain, so
 * every member skips it as a bad signature. A `rag: true` ask through the gateway uses the honest source;
 * the transcript names the contexts; the epoch settles; the source's reliability and usefulness read back
 * from SourceRegistry moved by exactly the recorded deltas; `chorus audit round` passes.
 */
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { isAddressEqual, type Address, type Hex } from "viem";
import { auditRound } from "../../src/audit/index.js";
import { openChorusChain } from "../../src/chain/index.js";
import { applyDelta, settlementDomain } from "../../src/core/index.js";
import { loadConfig } from "../../src/config/index.js";
import { settledRoundDeltas } from "../../src/chain/round-event.js";
import { cidToBytes32, createMemoryStore } from "../../src/ipfs/index.js";
import { chainRetrieval, settlementDomainOf } from "../../src/node/chain-parts.js";
import type { Mind } from "../../src/round/ports.js";
import type { RagEvidence } from "../../src/protocol/index.js";
import type { Transcript } from "../../src/protocol/index.js";
import { startSource, type RunningSource } from "../../src/source/index.js";
import { LOOPBACK, startChainSwarm } from "../helpers/chain-swarm.js";
import { actor, type Actor } from "../kit/chorus-fixture.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { closeStarted } from "../helpers/close.js";

/** Answers from the contexts in its prompt, so the contexts matter; judges by the q number. */
function ragMind(i: number): Mind {
  return {
    answer: async (q) => {
      const sys = q.messages.find((m) => m.role === "system")?.content ?? "";
      return /Paris/.test(sys) ? `Paris is the capital of France q${i}` : `no idea q${i}`;
    },
    compare: async ({ answerA, answerB }) => ({ outcome: preferHigherQ(answerA, answerB) }),
    screen: async () => "GOOD",
  };
}

describe("RAG swarm: 7 nodes and 2 data sources on 127.0.0.1 with the in-process chain", function () {
  this.timeout(240_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;
  let dir: string;
  const sources: RunningSource[] = [];
  const stores = [createMemoryStore(), createMemoryStore()];
  let roundId: Hex;
  let honest: Actor;
  let forger: Actor;

  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      minds: ragMind,
      timeoutMs: 5000,
      parts: (_i, chain) => ({
        retrieval: chainRetrieval(chain, settlementDomainOf(chain), { allowPrivate: LOOPBACK }),
        rag: { sources: 2, k: 2, reliabilityWeight: 500_000, explorationFloor: 100_000, timeoutMs: 3000 },
      }),
    });
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-rag-swarm-"));
    await writeFile(
      path.join(dir, "france.md"),
      "# Capital\n\nParis is the capital of France. It lies on the Seine.\n\n# Food\n\nFrance is known for bread and cheese.",
    );
    honest = await actor(0, "rag-swarm-source");
    forger = await actor(1, "rag-swarm-source");
    const elsewhere = settlementDomain(swarm.f.domain.chainId, "0x000000000000000000000000000000000000dEaD");
    for (const [i, [a, d]] of (
      [
        [honest, swarm.f.domain],
        [forger, elsewhere],
      ] as const
    ).entries()) {
      const src = await startSource({
        corpusDir: dir,
        account: a.account,
        store: stores[i],
        domain: d,
        embedder: null,
      });
      sources.push(src);
      // registering pulls the source's bond
      const bond = await swarm.f.sources.read.minBond();
      await swarm.f.token.write.transfer([a.address, bond]);
      await (await swarm.f.as(a.wallet)).token.write.approve([swarm.f.sources.address, bond]);
      await (await swarm.f.as(a.wallet)).sources.write.register([src.url, cidToBytes32(src.manifestCid)]);
    }
  });
  after(async () => {
    await closeStarted(swarm);
    for (const s of sources) await s.close();
    for (const s of stores) await s.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("a rag query uses the honest source, skips the forger, settles, and moves the source's scores on chain by the recorded deltas", async () => {
    const scores = async (a: Address) => {
      const s = await swarm.f.sources.read.sourceOf([a]);
      return { reliability: s.reliability, usefulness: s.usefulness };
    };
    const before = await scores(honest.address);
    const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        messages: [{ role: "user", content: "What is the capital of France?" }],
        chorus: { rag: true },
      }),
    });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).to.equal(200);
    expect(body.choices[0].message.content).to.equal("Paris is the capital of France q6");
    const c = body.chorus;
    expect(c.excluded).to.deep.equal([]);
    // The chorus object names the sources and the contexts each member (and the winner) used.
    expect(c.rag.sources).to.deep.equal([honest.address.toLowerCase()]);
    expect(c.rag.members).to.have.length(c.answered);
    expect(c.rag.winner_contexts.length).to.be.greaterThan(0);
    expect(c.rag.winner_contexts[0].id).to.match(/^france\.md#/);
    expect(c.rag.members.every((m: { retrieval: string }) => m.retrieval === "sources")).to.equal(true);

    // The transcript names the contexts each member used, from which source, and the skipped forger.
    const t = await swarm.storeOf(0).getJson<Transcript>(c.transcript_cid);
    expect(t.query.rag).to.equal(true);
    for (const r of t.reveals) {
      const ev = (r.body as { rag: RagEvidence }).rag;
      if (ev.retrieval !== "sources") throw new Error(`member ${r.from} did not retrieve`);
      expect(ev.used.length).to.be.greaterThan(0);
      expect(ev.used.every((u) => isAddressEqual(u.source as Address, honest.address))).to.equal(true);
      expect(ev.used[0].id).to.match(/^france\.md#/);
      expect(ev.skipped).to.deep.equal([
        { source: forger.address, reason: "bad-signature", detail: ev.skipped[0].detail },
      ]);
    }
    const recorded = t.result.sources!;
    expect(recorded.map((s) => s.source)).to.deep.equal([honest.address]);
    const [delta] = recorded;
    expect(delta.reliability).to.be.greaterThan(0);

    // Settle the epoch; the chain applied exactly the recorded deltas.
    await swarm.nodes[0].submitter.flush();
    expect(await swarm.nodes[0].queue.status(c.round_id)).to.equal("settled");
    const [ev] = await swarm.f.settlement.getEvents.RoundSettled({ roundId: c.round_id as Hex }, { fromBlock: 0n });
    const [epoch] = await swarm.f.settlement.getEvents.EpochSettled({}, { blockHash: ev.blockHash });
    const settled = settledRoundDeltas(ev.args.deltas!, { nodes: epoch.args.nodes!, sources: epoch.args.sources! });
    expect(settled.sources).to.deep.equal([
      { source: honest.address, reliability: delta.reliability, usefulness: delta.usefulness },
    ]);
    // pending until the epoch is final: then the scores move by the epoch's net (this one round's deltas)
    expect(await scores(honest.address)).to.deep.equal(before);
    const [, , finalAt] = await swarm.f.settlement.read.epochStatus([epoch.args.epoch!]);
    await time.increaseTo(finalAt);
    await swarm.nodes[0].finalizer!.tick();
    expect(swarm.nodes[0].finalizer!.lastError).to.equal(undefined);
    const after = await scores(honest.address);
    expect(after).to.deep.equal({
      reliability: applyDelta(before.reliability, delta.reliability),
      usefulness: applyDelta(before.usefulness, delta.usefulness),
    });
    expect(after.reliability).to.be.greaterThan(before.reliability);
    expect(await scores(forger.address)).to.deep.equal({ reliability: 500_000, usefulness: 500_000 });

    // chorus audit round re-derives all of it from chain + IPFS.
    const { main } = await import("../../src/cli/main.js");
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      [
        "node",
        "chorus",
        "--network",
        "custom",
        "--rpc-url",
        swarm.rpc.url,
        "--deployments",
        swarm.deploymentsFile,
        "--gateway",
        swarm.nodes[0].url,
        "audit",
        "round",
        c.round_id,
        "--json",
      ],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      {},
    );
    expect(err, err.join("\n")).to.deep.equal([]);
    const report = JSON.parse(out.join("\n"));
    expect(report.mismatches, JSON.stringify(report.mismatches)).to.deep.equal([]);
    expect(code).to.equal(0);
    const names = report.checks.map((x: { what: string }) => x.what);
    expect(names).to.include("source deltas on chain are the recomputed ones");
    expect(names).to.include("every member's data sources are SourceRegistry's at the seed block");
    expect(names).to.include("every source signature is its source's, over the served document the transcript names");
    roundId = c.round_id;
  });

  it("the audit detects a served context changed in the transcript and a member that listed other sources", async () => {
    const config = loadConfig({
      env: {},
      overrides: { network: "custom", chain: { rpcUrl: swarm.rpc.url, deploymentsFile: swarm.deploymentsFile } },
    });
    const chain = await openChorusChain(config);
    const scratch = createMemoryStore();
    const audit = (tamper: (t: any) => void) =>
      auditRound(
        {
          chain,
          rules: swarmRules,
          getJson: async (cid) => {
            const t = structuredClone(await swarm.storeOf(0).getJson(cid));
            tamper(t);
            return t;
          },
          cidOf: async (v) => (await scratch.cidOf(v)).toString(),
        },
        roundId,
      );
    let r = await audit(
      (t) => (t.reveals[0].body.rag.served[0].served.contexts[0].text = "Lyon is the capital of France."),
    );
    const failed = r.mismatches.map((m) => m.what);
    expect(failed).to.include("transcript content hashes to the CID RoundSettled names");
    expect(failed).to.include("every signed message verifies; every reveal matches its commitment");
    r = await audit((t) => (t.reveals[1].body.rag.listed[0].usefulness = 1_000_000));
    expect(r.mismatches.map((m) => m.what)).to.include(
      "every member's data sources are SourceRegistry's at the seed block",
    );
    await scratch.close();
  });
});
