import { expect } from "chai";
import { isAddressEqual, type Address, type Hex } from "viem";
import { encodeEpoch } from "../../src/protocol/index.js";
import { recoverServiceSigner } from "../../src/core/index.js";
import { cidToBytes32 } from "../../src/core/index.js";
import { assertJsonLike } from "../../src/core/index.js";
import { recordOf, sourceSignaturesOf } from "../../src/protocol/index.js";
import { answerDigest, commitmentOf, revealMatches } from "../../src/protocol/index.js";
import { Coordinator, type SignedRecord } from "../../src/round/coordinator.js";
import { signEnvelope } from "../../src/protocol/index.js";
import { Member } from "../../src/round/member.js";
import type { Mind, NodeEntry, Retrieval } from "../../src/round/ports.js";
import type { RagEvidence } from "../../src/protocol/index.js";
import { checkEvidence, drawSeed, ragPrompt } from "../../src/protocol/index.js";
import { computeResult, type Transcript } from "../../src/protocol/index.js";
import { loadConfig } from "../../src/config/index.js";
import { countRules } from "../kit/count-rules.js";
import { DirectPeers, MemoryArtifacts, directoryOf, makeSigners } from "../kit/memory-round.js";
import { RAG_DOMAIN, memoryRetrieval, memorySource, type MemorySource } from "../helpers/rag-memory.js";
import { TEST_DOMAIN, TEST_RECORDS } from "../kit/test-domain.js";

const records = { ...TEST_RECORDS, serviceDomain: RAG_DOMAIN };
const domain = TEST_DOMAIN;
const quality = (text: string) => Number(/q(\d)/.exec(text)?.[1] ?? 0);
const prefer = (a: string, b: string): "A" | "B" | "tie" =>
  quality(a) > quality(b) ? "A" : quality(a) < quality(b) ? "B" : "tie";
const PARAMS = { sources: 5, k: 3, reliabilityWeight: 500_000, explorationFloor: 100_000, timeoutMs: 150 };

function world() {
  return [
    memorySource("alpha", "honest", ["Paris is the capital of France.", "France borders Spain and Belgium."]),
    memorySource("beta", "honest", ["The capital of France is Paris, on the Seine."], { reliability: 900_000 }),
    memorySource("forger", "bad-signature", ["Lyon is the capital of France."]),
    memorySource("sloppy", "malformed", ["Paris, France."]),
    memorySource("sleepy", "timeout", ["Paris."]),
  ];
}

/** Answers from the contexts in its prompt (so contexts matter), and records the prompts it got. */
function ragMind(i: number, prompts: Map<number, { role: string; content: string }[]>): Mind {
  return {
    answer: async (q) => {
      prompts.set(i, q.messages);
      const sys = q.messages.find((m) => m.role === "system")?.content ?? "";
      return /Paris/.test(sys) ? `Paris is the capital of France q${i}` : `no idea q${i}`;
    },
    compare: async ({ answerA, answerB }) => ({ outcome: prefer(answerA, answerB) }),
    screen: async () => "GOOD",
  };
}

function swarm(
  n: number,
  opts: { sources?: MemorySource[]; retrievalOf?: (i: number, base: Retrieval) => Retrieval | undefined } = {},
) {
  const signers = makeSigners(n + 1);
  const [coordSigner, ...memberSigners] = signers;
  // The coordinator is a staked node the draw never picks (reputation 0): members read the same directory as
  // the coordinator, as on chain, and recompute its committee from it. Its stake counts in the total, so with n+1
  // equal stakes tau n+1 gives each member exactly one expected seat: every member is drawn, with one seat.
  const nodes: NodeEntry[] = signers.map((s, i) => ({
    address: s.address,
    endpoint: `mem://node${i}`,
    stake: 500n * 10n ** 18n,
    reputation: i === 0 ? 0 : 500_000,
  }));
  const directory = directoryOf(nodes, { tau: n + 1 });
  const artifacts = new MemoryArtifacts();
  const peers = new DirectPeers();
  const prompts = new Map<number, { role: string; content: string }[]>();
  const sources = opts.sources ?? world();
  const members = memberSigners.map((signer, i) => {
    const base = memoryRetrieval(sources);
    const retrieval = opts.retrievalOf ? opts.retrievalOf(i, base) : base;
    const m = new Member({
      domain,
      signer,
      directory,
      artifacts,
      rules: countRules,
      records,
      mind: ragMind(i, prompts),
      retrieval,
      rag: PARAMS,
    });
    peers.handlers.set(`mem://node${i + 1}`, (env) => m.handle(env));
    return m;
  });
  const queued: { roundId: Hex; signed: SignedRecord }[] = [];
  const coordinator = new Coordinator(
    {
      domain,
      signer: coordSigner,
      directory,
      peers,
      artifacts,
      rules: countRules,
      records,
      settle: async (roundId, signed) => void queued.push({ roundId, signed }),
    },
    { committeeSize: 7, answerTimeoutMs: 2000, revealTimeoutMs: 500, judgeTimeoutMs: 500, signTimeoutMs: 500 },
  );
  return { coordinator, members, peers, prompts, sources, queued, memberSigners };
}

const ask = {
  messages: [{ role: "user" as const, content: "What is the capital of France?" }],
  maxTokens: 64,
  rag: true,
};
const evidenceOf = (t: Transcript, member: Address) =>
  (t.reveals.find((r) => isAddressEqual(r.from, member))!.body as { rag: RagEvidence }).rag;

describe("RAG rounds (in memory)", function () {
  this.timeout(20_000);

  it("members use the sources, skip the bad ones with their reason, and put the top contexts into the prompt", async () => {
    const s = swarm(7);
    const out = await s.coordinator.run(ask);
    expect(out.transcript.excluded).to.deep.equal([]);
    expect(out.winnerAnswer).to.equal("Paris is the capital of France q6");
    const [alpha, beta, forger, sloppy, sleepy] = s.sources.map((x) => x.info.address);
    for (const signer of s.memberSigners) {
      const ev = evidenceOf(out.transcript, signer.address);
      if (ev.retrieval !== "sources") throw new Error("expected retrieval evidence");
      expect(ev.served.map((x) => x.served.source).sort()).to.deep.equal([alpha, beta].sort());
      const reasons = Object.fromEntries(ev.skipped.map((k) => [k.source, k.reason]));
      expect(reasons).to.deep.equal({ [forger]: "bad-signature", [sloppy]: "malformed", [sleepy]: "timeout" });
      expect(ev.used).to.have.length(3);
      // beta is more reliable on chain, so its context leads the rerank.
      expect(ev.used[0].source).to.equal(beta);
    }
    // The prompt holds the used contexts as a system message just before the question.
    const prompt = s.prompts.get(0)!;
    expect(prompt.map((m) => m.role)).to.deep.equal(["system", "user"]);
    expect(prompt[0].content).to.include("The capital of France is Paris, on the Seine.");
    expect(prompt[0].content).to.include("Paris is the capital of France.");
    // Source deltas: only the sources used, with positive deltas, a served document and its source's signature.
    const sources = out.result.sources!;
    expect(sources.map((x) => x.source).sort()).to.deep.equal([alpha, beta].sort());
    for (const x of sources) {
      expect(x.reliability).to.be.greaterThan(0).and.at.most(50_000);
      expect(x.usefulness).to.be.within(-50_000, 50_000);
      const who = await recoverServiceSigner(
        RAG_DOMAIN,
        { roundId: out.roundId, servedCid: cidToBytes32(x.servedCid) },
        x.signature,
      );
      expect(who).to.equal(x.source);
    }
    // What goes to IPFS holds no floats (the artifact store refuses them).
    expect(() => assertJsonLike(out.transcript)).to.not.throw();
    // Everyone recomputes the same result, source deltas included.
    expect(computeResult(out.transcript, countRules, { serviceDomain: RAG_DOMAIN })).to.deep.equal(out.result);
    expect(Object.keys(out.signatures)).to.have.length(7);
  });

  it("the record carries the source deltas and the sources' signatures, and encodes for settlement", async () => {
    const s = swarm(7);
    const out = await s.coordinator.run(ask);
    const record = recordOf(out.transcript, out.transcriptCid);
    expect(record.sources.map((x) => x.source)).to.deep.equal(out.result.sources!.map((x) => x.source));
    expect(record.sources[0].servedCid).to.equal(cidToBytes32(out.result.sources![0].servedCid));
    const sigs = sourceSignaturesOf(out.transcript);
    const epoch = encodeEpoch([{ record, signatures: out.signatures, sourceSignatures: sigs }]);
    expect(epoch.sources).to.have.length(2);
    expect(() => encodeEpoch([{ record, signatures: out.signatures }])).to.throw(/no service statement signature/);
  });

  it("the commitment covers the contexts: changing them after committing excludes the member", async () => {
    const s = swarm(7);
    const cheat = s.memberSigners[6];
    s.peers.faults.set("mem://node7", {
      kinds: ["reveal-request"],
      mode: "tamper",
      tamper: (reply) => {
        const rag = structuredClone(reply.body.rag);
        rag.used = rag.used.slice(1);
        return signEnvelope(domain, cheat, "reveal", reply.roundId, { ...reply.body, rag });
      },
    });
    const out = await s.coordinator.run(ask);
    const ex = out.transcript.excluded.find((e) => e.member === cheat.address)!;
    expect(ex).to.include({ phase: "reveal", reason: "reveal does not match commitment" });
    expect(out.result.sources).to.be.an("array").that.is.not.empty;
    // The same answer with other evidence has another digest.
    const body = (ex.evidence as any).body;
    expect(answerDigest(body.answer, body.rag)).to.not.equal(answerDigest(body.answer));
    expect(
      revealMatches(
        out.roundId,
        cheat.address,
        commitmentOf(out.roundId, cheat.address, body.answer, body.salt),
        body.answer,
        body.salt,
        body.rag,
      ),
    ).to.equal(false);
  });

  it("a member whose evidence does not check (sources signed under another domain) is excluded like a bad reveal", async () => {
    const other = { ...RAG_DOMAIN, verifyingContract: "0x0000000000000000000000000000000000000bad" as Address };
    const s = swarm(7, { retrievalOf: (i, base) => (i === 2 ? memoryRetrieval(world(), { domain: other }) : base) });
    const out = await s.coordinator.run(ask);
    const ex = out.transcript.excluded.find((e) => e.member === s.memberSigners[2].address)!;
    expect(ex.phase).to.equal("reveal");
    expect(ex.reason).to.match(/retrieval evidence of .* \(bad-signature\)/);
    expect(out.transcript.reveals).to.have.length(6);
  });

  it("a node without retrieval answers from its model and says so; a round with no usable source settles no source", async () => {
    const s = swarm(7, { retrievalOf: (i, base) => (i === 0 ? undefined : base) });
    const out = await s.coordinator.run(ask);
    expect(evidenceOf(out.transcript, s.memberSigners[0].address)).to.deep.equal({
      retrieval: "none",
      reason: "this node has no retrieval configured; it answered from its model alone",
    });
    expect(s.prompts.get(0)!.map((m) => m.role)).to.deep.equal(["user"]);

    const bad = swarm(7, { sources: world().filter((x) => x.behaviour !== "honest") });
    const none = await bad.coordinator.run(ask);
    expect(none.result.sources).to.deep.equal([]);
    expect(none.winnerAnswer).to.equal("no idea q6");
    expect(recordOf(none.transcript, none.transcriptCid).sources).to.deep.equal([]);
  });

  it("a tampered context in a transcript is detected", async () => {
    const s = swarm(7);
    const out = await s.coordinator.run(ask);
    const member = s.memberSigners[3];
    const tamper = (t: Transcript) => {
      const r = t.reveals.find((x) => x.from === member.address)!;
      (r.body as any).rag.served[0].served.contexts[0].text = "Marseille is the capital of France.";
      return r;
    };
    // As it is: the reveal's signature no longer holds.
    let t = structuredClone(out.transcript);
    tamper(t);
    expect(() => computeResult(t, countRules, { serviceDomain: RAG_DOMAIN })).to.throw(/bad reveal message/);
    // Re-signed by the member itself: the commitment does not match.
    t = structuredClone(out.transcript);
    const r = tamper(t);
    t.reveals[t.reveals.indexOf(r)] = signEnvelope(domain, member, "reveal", out.roundId, r.body);
    expect(() => computeResult(t, countRules, { serviceDomain: RAG_DOMAIN })).to.throw(/does not match its commitment/);
    // The evidence itself: the served document no longer hashes to the CID its source signed.
    const ev = structuredClone(evidenceOf(out.transcript, member.address));
    const ctx = {
      roundId: out.roundId,
      queryCid: out.queryCid,
      seed: out.transcript.committee.seed,
      member: member.address,
      domain: RAG_DOMAIN,
    };
    expect(checkEvidence(ctx, ev)).to.have.length(3);
    if (ev.retrieval !== "sources") throw new Error("expected retrieval evidence");
    ev.served[0].served.contexts[0].text = "Marseille is the capital of France.";
    expect(() => checkEvidence(ctx, ev)).to.throw(/\(malformed\): served document hashes to/);
    // A draw that is not the member's seeded one, and contexts that are not the rerank.
    const ev2 = structuredClone(evidenceOf(out.transcript, member.address));
    expect(() => checkEvidence({ ...ctx, member: s.memberSigners[4].address }, ev2)).to.not.throw(); // all 5 drawn either way
    const small = { ...ev2, params: { ...(ev2 as any).params, sources: 2 } } as RagEvidence;
    expect(() => checkEvidence(ctx, small)).to.throw(/not in its seeded draw|neither served nor skipped/);
    const reordered = structuredClone(ev2) as Extract<RagEvidence, { retrieval: "sources" }>;
    reordered.used.reverse();
    expect(() => checkEvidence(ctx, reordered)).to.throw(/not the rerank/);
    expect(() => checkEvidence({ ...ctx, domain: undefined }, ev2)).to.throw(/Settlement domain/);
  });

  it("a member that cannot list the sources answers from its model and says why", async () => {
    const s = swarm(7, {
      retrievalOf: (i, base) =>
        i === 1 ? { ...base, sources: async () => Promise.reject(new Error("RPC down")) } : base,
    });
    const out = await s.coordinator.run(ask);
    expect(evidenceOf(out.transcript, s.memberSigners[1].address)).to.deep.equal({
      retrieval: "none",
      reason: "cannot list the data sources at block 1000: RPC down",
    });
    expect(out.transcript.excluded).to.deep.equal([]);
  });

  it("retrieval settings are validated: configuration keys and a member's own", () => {
    const c = loadConfig({ env: {} });
    expect(c.rag).to.deep.equal({
      sources: 3,
      contexts: 4,
      reliabilityWeight: 0.5,
      explorationFloor: 100_000,
      timeoutMs: 5000,
    });
    expect(loadConfig({ env: { CHORUS_RAG_CONTEXTS: "2", CHORUS_RAG_TIMEOUT_MS: "800" } }).rag).to.include({
      contexts: 2,
      timeoutMs: 800,
    });
    expect(() => loadConfig({ env: { CHORUS_RAG_SOURCES: "40" } })).to.throw(/rag\.sources.*CHORUS_RAG_SOURCES/);
    const [signer] = makeSigners(1);
    const deps = {
      domain,
      signer,
      directory: directoryOf([]),
      artifacts: new MemoryArtifacts(),
      rules: countRules,
      records,
      mind: ragMind(0, new Map()),
    };
    expect(() => new Member({ ...deps, rag: { ...PARAMS, reliabilityWeight: 0.5 } })).to.throw(
      /retrieval settings reliabilityWeight/,
    );
    expect(() => new Member({ ...deps, rag: { ...PARAMS, timeoutMs: 0 } })).to.throw(/retrieval settings timeoutMs/);
  });

  it("the draw seed is per member and the prompt puts contexts before the last user message", () => {
    const seed: Hex = `0x${"11".repeat(32)}`;
    const [a, b] = makeSigners(2);
    expect(drawSeed(seed, a.address)).to.not.equal(drawSeed(seed, b.address));
    const msgs = ragPrompt(
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Capital of France?" },
      ],
      [{ source: a.address, id: "x#0", text: "Paris.", relevance: 1 }],
    );
    expect(msgs.map((m) => m.role)).to.deep.equal(["system", "user", "assistant", "system", "user"]);
    expect(msgs[3].content).to.match(/\[1\] \(source 0x[0-9a-fA-F]{40}, x#0\)\nParis\./);
  });
});
