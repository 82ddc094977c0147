/**
 * Issue 14 items 1-3, tried as an attacker would against real nodes (startNode, HTTP on 127.0.0.1): a staked
 * byzantine coordinator that rewrites what members sign, a byzantine member that pads its replies, an
 * unsigned oversized envelope, free inference for rounds that were never drawn, a replay after a restart,
 * made-up answers to judge, a padded transcript. Each attack is refused or without effect, and an honest
 * round on the same nodes completes. Round ids are the coordinator's sequences (src/round/sequencer.ts); the
 * byzantine coordinator's come from one MemorySequencer, whose batch seeds are the memory chain's block hashes.
 */
import { expect } from "chai";
import http from "node:http";
import { getAddress, isAddressEqual, type Address, type Hex } from "viem";
import { makeRoundId } from "../../src/core/index.js";
import { ChorusError } from "../../src/core/index.js";
import { Coordinator, PEER_PATH, type RoundOutcome } from "../../src/round/coordinator.js";
import { snapshotOf, type CommitteeSnapshot } from "../../src/round/draw.js";
import { signEnvelope, type Envelope } from "../../src/protocol/index.js";
import { DEFAULT_MEMBER_LIMITS } from "../../src/round/member-checks.js";
import type { PeriodWeights } from "../../src/round/ports.js";
import { ARTIFACT_LIMIT_BYTES, REASON_MAX } from "../../src/protocol/index.js";
import { MemorySequencer, type RoundTicket } from "../../src/round/sequencer.js";
import { computeResult, type Transcript } from "../../src/protocol/index.js";
import { countRules } from "../kit/count-rules.js";
import { makeSigners } from "../kit/memory-round.js";
import { TEST_DOMAIN as domain, TEST_RECORDS as records } from "../kit/memory-node.js";
import { memoryBlockHash, rewritingPeers, startPeerSwarm } from "../helpers/peer-swarm.js";
import { closeStarted } from "../helpers/close.js";

const ask = { messages: [{ role: "user" as const, content: "Why is the sky blue?" }], maxTokens: 32, rag: false };
const round = {
  committeeSize: 5,
  answerTimeoutMs: 3000,
  revealTimeoutMs: 3000,
  judgeTimeoutMs: 3000,
  signTimeoutMs: 3000,
};
type Swarm = Awaited<ReturnType<typeof startPeerSwarm>>;

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; json: { error?: { code: string; message: string; details: Record<string, unknown> } } }> {
  const res = await fetch(`${url}${PEER_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as never };
}

/**
 * A staked node (not drawn: reputation 0) coordinating rounds through a transport that may rewrite them; all its
 * coordinators share `sequencer`, as one node's rounds do (members refuse a round id they already answered).
 */
function byzantineCoordinator(
  s: Swarm,
  signer: ReturnType<typeof makeSigners>[number],
  sequencer: MemorySequencer,
  rewrite: Parameters<typeof rewritingPeers>[0],
) {
  const peers = rewritingPeers(rewrite);
  const coordinator = new Coordinator(
    {
      domain,
      signer,
      directory: s.directory,
      peers,
      artifacts: s.artifacts,
      rules: countRules,
      records,
      sequencer,
      settle: async () => {},
    },
    round,
  );
  return { coordinator, peers };
}

/**
 * A round whose sign step got no valid signature: the coordinator queues no record and fails the round
 * (ROUND_NO_QUORUM at the sign phase, 0 seats signed) instead of returning an unsigned outcome.
 */
async function expectNoSignatures(run: Promise<RoundOutcome>, what: string): Promise<void> {
  const err = await run.then(
    (o) => expect.fail(`${what}: the round completed with ${Object.keys(o.signatures).length} signatures`),
    (e: unknown) => e as ChorusError,
  );
  expect(err.code, `${what}: ${err.message}`).to.equal("ROUND_NO_QUORUM");
  expect(err.details, what).to.deep.include({ phase: "sign", have: 0 });
}

/** A sign-request for a rewritten transcript: its result recomputed, its CID and signature made anew. */
async function resign(
  s: Swarm,
  signer: ReturnType<typeof makeSigners>[number],
  env: Envelope & { attachment?: unknown },
  change: (t: Transcript) => void,
  recompute = true,
  cidOut?: (cid: string) => void,
) {
  const t = structuredClone(env.attachment) as Transcript;
  change(t);
  if (recompute) t.result = computeResult(t, countRules);
  const transcriptCid = await s.artifacts.cidOf(t);
  cidOut?.(transcriptCid);
  return { ...signEnvelope(domain, signer, "sign-request", env.roundId, { transcriptCid }), attachment: t };
}

describe("peer protocol under attack (real nodes on 127.0.0.1)", function () {
  this.timeout(60_000);
  const [evil] = makeSigners(1);
  const evilSeq = new MemorySequencer(evil.address);
  let s: Swarm;
  before(async () => {
    s = await startPeerSwarm(5, { committeeSize: 5, extra: [evil] });
  });
  after(() => closeStarted(s));

  it("item 1: a coordinator that rewrites the candidates' reputations in the transcript gets no signature; the honest round gets all", async () => {
    const honest = byzantineCoordinator(s, evil, evilSeq, async () => undefined);
    const ok = await honest.coordinator.run(ask);
    expect(Object.keys(ok.signatures)).to.have.length(5);
    const cheat = byzantineCoordinator(s, evil, evilSeq, async (env) => {
      if (env.kind !== "sign-request") return undefined;
      return resign(s, evil, env, (t) => {
        t.committee.candidates = t.committee.candidates.map((c, i) => ({ ...c, reputation: i % 2 ? 1 : 1_000_000 }));
      });
    });
    await expectNoSignatures(cheat.coordinator.run(ask), "signatures on the rewritten transcript");
    const refusals = cheat.peers.refusals.filter((r) => r.kind === "sign-request");
    expect(refusals).to.have.length(5);
    for (const r of refusals) {
      expect(r.code).to.equal("PEER_TRANSCRIPT_MISMATCH");
      expect(r.message).to.match(/committee\.candidates\[\d+\]\.reputation differs from what I verified/);
    }
    honest.peers.close();
    cheat.peers.close();
  });

  it("item 1: a transcript whose chain id, registry or query differs from the signed requests is refused naming the field", async () => {
    for (const [field, change] of [
      ["chainId", (t: Transcript) => (t.chainId = 1)],
      ["registry", (t: Transcript) => (t.registry = "0x000000000000000000000000000000000000dead" as Address)],
      ["query", (t: Transcript) => (t.query.messages[0].content = "Why is the sky green?")],
    ] as const) {
      const cheat = byzantineCoordinator(s, evil, evilSeq, async (env) =>
        env.kind === "sign-request" ? resign(s, evil, env, change, false) : undefined,
      );
      await expectNoSignatures(cheat.coordinator.run(ask), field);
      const codes = cheat.peers.refusals.filter((r) => r.kind === "sign-request");
      expect(codes.map((r) => r.code)).to.deep.equal(Array(5).fill("PEER_TRANSCRIPT_MISMATCH"));
      expect(codes[0].message).to.contain(`transcript.${field}`);
      cheat.peers.close();
    }
  });

  it("item 2: a member replying with a 4.5 MB error message or a 4.5 MB extra field in its signed envelope does not fail the round", async () => {
    const liar = s.nodes[4];
    const original = liar.member.handle.bind(liar.member);
    try {
      liar.member.handle = async (raw, o) => {
        const reply = await original(raw, o);
        if (reply.kind === "commit") throw new ChorusError("PEER_BAD_MESSAGE", "x".repeat(4_500_000));
        return reply;
      };
      const out = await s.nodes[0].coordinator.run(ask);
      const ex = out.transcript.excluded.find((e) => e.member === liar.address)!;
      expect(ex.phase).to.equal("answer");
      expect(ex.reason.length).to.be.at.most(REASON_MAX);
      expect(Object.keys(out.signatures)).to.have.length(4);

      liar.member.handle = async (raw, o) =>
        ({ ...(await original(raw, o)), padding: "y".repeat(4_500_000) }) as Envelope;
      const padded = await s.nodes[0].coordinator.run(ask);
      expect(padded.transcript.excluded).to.deep.equal([]);
      expect(Object.keys(padded.signatures)).to.have.length(5);
      expect(JSON.stringify(padded.transcript).length).to.be.below(ARTIFACT_LIMIT_BYTES / 8);
      expect(JSON.stringify(padded.transcript)).not.to.contain("yyyy");
    } finally {
      liar.member.handle = original;
    }
  });

  it("item 2: an unsigned 7.6 MiB envelope is refused from its head, before the body is read or parsed", async () => {
    const calls: unknown[] = [];
    const node = s.nodes[1];
    const original = node.member.handle.bind(node.member);
    node.member.handle = async (raw, o) => (calls.push(raw), original(raw, o));
    try {
      const big = "z".repeat(7_600_000);
      const stranger = makeSigners(1)[0].address;
      // From a node that is not staked: refused on the head (403), whatever the length.
      const r = await post(node.url, {
        kind: "answer-request",
        roundId: makeRoundId(stranger, 1n),
        from: stranger,
        body: { pad: big },
        signature: `0x${"22".repeat(65)}`,
      });
      expect([r.status, r.json.error?.code]).to.deep.equal([413, "HTTP_TOO_LARGE"]);
      // The same without a declared length (chunked): the head decides before the rest is read.
      const chunked = (from: Address) =>
        new Promise<{ status: number; code: string }>((resolve, reject) => {
          const req = http.request(
            `${node.url}${PEER_PATH}`,
            { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } },
            (res) => {
              let text = "";
              res.on("data", (c: Buffer) => (text += c.toString()));
              res.on("end", () => resolve({ status: res.statusCode!, code: JSON.parse(text).error.code }));
            },
          );
          req.on("error", reject);
          req.write(
            JSON.stringify({ kind: "answer-request", roundId: makeRoundId(from, 1n), from, body: {} }).slice(0, -2),
          );
          const chunk = "z".repeat(64 * 1024);
          const pump = (left: number) => {
            if (left <= 0) return req.end('"}');
            if (req.destroyed) return;
            req.write(chunk, () => pump(left - chunk.length));
          };
          pump(7_600_000);
        });
      expect(await chunked(stranger)).to.deep.equal({ status: 403, code: "PEER_NOT_AUTHORIZED" });
      // Claiming a staked coordinator: the answer-request limit (2 MiB) cuts it off while it streams.
      expect(await chunked(s.nodes[2].address)).to.deep.equal({ status: 413, code: "HTTP_TOO_LARGE" });
      expect(calls, "nothing reached the member's handler").to.have.length(0);
      expect((await fetch(`${node.url}/health`)).status).to.equal(200);
    } finally {
      node.member.handle = original;
    }
  });

  it("item 3: a staked node gets no free inference for rounds that were never drawn, and is rate limited", async () => {
    const victim = s.nodes[1];
    const me = getAddress(victim.address);
    const before = s.counts[1].answer;
    const queryDoc = { type: "chorus/query@1" as const, ...ask, coordinator: evil.address, createdAt: Date.now() };
    const queryCid = await s.artifacts.cidOf(queryDoc);
    const weights = await s.directory.weightsAt(1);
    const request = (roundId: Hex, c: CommitteeSnapshot) =>
      signEnvelope(domain, evil, "answer-request", roundId, {
        queryCid,
        query: queryDoc,
        seedBlock: c.seedBlock,
        seed: c.seed,
        period: c.period,
        committeeSize: c.size,
        totalStake: c.totalStake,
        minCommittee: c.minCommittee,
        candidates: c.candidates,
        committee: c.members,
        seats: c.seats,
        answerDeadline: Date.now() + 5000,
      });
    const holds = (c: CommitteeSnapshot, who: Address) => c.members.some((m) => isAddressEqual(m, who));
    const drawnIn = (c: CommitteeSnapshot) => holds(c, me);
    /** The next of the attacker's tickets whose draw under `w` satisfies `want` (bounded search). */
    const ticketWhere = async (
      w: PeriodWeights,
      want: (c: CommitteeSnapshot) => boolean,
    ): Promise<[RoundTicket, CommitteeSnapshot]> => {
      for (let i = 0; i < 200; i++) {
        const t = await evilSeq.next();
        const c = snapshotOf(t, w);
        if (want(c)) return [t, c];
      }
      throw new Error("no such ticket in 200 sequences");
    };
    const refusal = async (env: Envelope) => {
      const r = await post(victim.url, env);
      return {
        status: r.status,
        code: r.json.error?.code,
        message: r.json.error?.message ?? "",
        details: r.json.error?.details ?? {},
      };
    };
    // One expected seat instead of the period's 7: the victim alone claims the seat the draw gives someone else (or nobody).
    const one = { ...weights, tau: 1 };
    let [t, c] = await ticketWhere(one, (x) => !drawnIn(x) || x.members.length > 1);
    let r = await refusal(request(t.roundId, { ...c, members: [me], seats: { [me]: 1 } }));
    expect([r.status, r.code]).to.deep.equal([403, "PEER_NOT_DRAWN"]);
    expect(r.message).to.contain("the committee is not the draw of its candidates");
    // A true draw in which the victim holds a seat, with a made-up round seed: not keccak256(batch seed, round id).
    [t, c] = await ticketWhere(weights, drawnIn);
    r = await refusal(request(t.roundId, { ...c, seed: `0x${"ab".repeat(32)}` }));
    expect([r.status, r.code]).to.deep.equal([403, "PEER_NOT_DRAWN"]);
    expect(r.message).to.contain("round seed is not keccak256(batch seed, round id)");
    // A true draw under one seat in which the victim holds it: a consistent snapshot, but not the period's tau.
    [t, c] = await ticketWhere(one, drawnIn);
    r = await refusal(request(t.roundId, c));
    expect([r.status, r.code]).to.deep.equal([400, "PEER_BAD_COMMITTEE"]);
    expect(r.details).to.deep.include({ field: "committee.size", expected: "7", got: "1" });
    // A true draw over a made-up candidate list: the victim alone, holding every seat.
    const alone = {
      ...weights,
      candidates: weights.candidates.filter((x) => isAddressEqual(x.address, me)),
      totalStake: 10n ** 20n,
    };
    [t, c] = await ticketWhere(alone, drawnIn);
    r = await refusal(request(t.roundId, c));
    expect([r.status, r.code]).to.deep.equal([400, "PEER_BAD_COMMITTEE"]);
    expect(r.details).to.deep.include({ field: "committee.candidates.length", got: "1" });
    // A seed the block does not give: a batch seed made up, the round seed and the draw consistent with it.
    t = await evilSeq.next();
    c = snapshotOf({ ...t, batchSeed: `0x${"cd".repeat(32)}` }, weights);
    expect(drawnIn(c)).to.equal(true);
    r = await refusal(request(t.roundId, c));
    expect([r.status, r.code]).to.deep.equal([400, "PEER_BAD_SEED"]);
    expect(r.details).to.deep.equal({ expected: memoryBlockHash(t.seedBlock), got: `0x${"cd".repeat(32)}` });
    // A seed block that does not exist yet (beyond the member's latest block and its allowed lead).
    t = await evilSeq.next();
    const ahead = s.directory.chain.latest + BigInt(DEFAULT_MEMBER_LIMITS.maxSeedLeadBlocks) + 1n;
    c = snapshotOf({ ...t, seedBlock: ahead, batchSeed: memoryBlockHash(ahead) }, weights);
    r = await refusal(request(t.roundId, c));
    expect([r.status, r.code]).to.deep.equal([400, "PEER_BAD_SEED"]);
    // A judge-request with screen and made-up answers for a round that never was.
    const fakeAnswers = Object.fromEntries(makeSigners(20).map((x) => [x.address, "made up"]));
    r = await refusal(
      signEnvelope(domain, evil, "judge-request", (await evilSeq.next()).roundId, {
        answers: fakeAnswers,
        assignments: {},
        screen: true,
      }),
    );
    expect([r.status, r.code]).to.deep.equal([404, "ROUND_UNKNOWN"]);
    expect(s.counts[1], "no inference for the attacker").to.deep.include({ answer: before, screen: 0 });
    // Over the rate: refused with 429 before the signature is checked. This swarm's latest block is far past the
    // request's seed block, so the first two are refused on their merits (a stale seed), the third for the rate.
    const limited = await startPeerSwarm(2, {
      limits: { answersPerSecond: 0.001, answerBurst: 2 },
      extra: [evil],
      latestBlock: 1000n + BigInt(DEFAULT_MEMBER_LIMITS.maxSeedAgeBlocks) + 1n,
    });
    try {
      const target = getAddress(limited.nodes[1].address);
      const lw = await limited.directory.weightsAt(1);
      const codes = [];
      for (let i = 0; i < 3; i++) {
        const lt = await evilSeq.next();
        const lc = snapshotOf({ ...lt, seedBlock: 1000n, batchSeed: memoryBlockHash(1000n) }, lw);
        expect(holds(lc, target)).to.equal(true);
        codes.push((await post(limited.nodes[1].url, request(lt.roundId, lc))).json.error?.code);
      }
      expect(codes).to.deep.equal(["PEER_BAD_SEED", "PEER_BAD_SEED", "PEER_RATE_LIMITED"]);
    } finally {
      await limited.close();
    }
  });

  it("item 3: an outsider replaying a public answer-request after the member restarted is refused; the round is not answered again", async () => {
    const out = await s.nodes[0].coordinator.run(ask);
    const { kind, roundId, from, body, signature } = out.transcript.requests.answer;
    await s.restart(2);
    const before = s.counts[2].answer;
    const r = await post(s.nodes[2].url, { kind, roundId, from, body, signature });
    expect([r.status, r.json.error?.code]).to.deep.equal([409, "PEER_DUPLICATE"]);
    expect(s.counts[2].answer).to.equal(before);
    // The restarted member still serves honest rounds.
    const again = await s.nodes[0].coordinator.run(ask);
    expect(Object.keys(again.signatures)).to.have.length(5);
  });

  it("item 3: a judge-request with made-up answers is refused, nothing is judged or screened, and the round's state is dropped", async () => {
    const fake = Object.fromEntries(makeSigners(50).map((x) => [x.address, "a made-up answer q9"]));
    const cheat = byzantineCoordinator(s, evil, evilSeq, async (env) => {
      if (env.kind !== "judge-request") return undefined;
      const b = env.body as { answers: Record<string, string>; assignments: Record<string, [Address, Address][]> };
      return signEnvelope(domain, evil, "judge-request", env.roundId, {
        answers: { ...b.answers, ...fake },
        assignments: b.assignments,
        screen: true,
      });
    });
    const before = s.counts.map((c) => ({ ...c }));
    let out: RoundOutcome | undefined;
    await cheat.coordinator.run(ask).then(
      (o) => (out = o),
      () => {},
    );
    const judged = cheat.peers.refusals.filter((r) => r.kind === "judge-request");
    expect(judged.length).to.be.greaterThan(0);
    expect(judged.every((r) => r.code === "PEER_BAD_JUDGE_REQUEST")).to.equal(true);
    for (const [i, c] of s.counts.entries()) {
      expect(c.compare, `node ${i} judged`).to.equal(before[i].compare);
      expect(c.screen, `node ${i} screened`).to.equal(before[i].screen);
    }
    if (out) expect(out.signatures).to.deep.equal({});
    const roundId = judged[0].roundId.toLowerCase();
    for (const n of s.nodes)
      expect(
        (n.member as unknown as { rounds: Map<string, unknown> }).rounds.has(roundId),
        "round state kept",
      ).to.equal(false);
    cheat.peers.close();
  });

  it("item 3: a padded transcript (an unknown field, an oversized reason) is refused and nothing is pinned", async () => {
    for (const pad of [
      (t: Transcript) => Object.assign(t, { padding: "p".repeat(3_000_000) }),
      (t: Transcript) =>
        t.excluded.push({
          member: t.committee.members[0],
          phase: "sign",
          reason: "r".repeat(3_000_000),
          evidence: null,
        }),
    ]) {
      let cid = "";
      const cheat = byzantineCoordinator(s, evil, evilSeq, async (env) => {
        if (env.kind !== "sign-request") return undefined;
        return resign(s, evil, env, pad, false, (c) => (cid = c));
      });
      await expectNoSignatures(cheat.coordinator.run(ask), "padded transcript");
      expect(cheat.peers.refusals.filter((r) => r.kind === "sign-request").map((r) => r.code)).to.deep.equal(
        Array(5).fill("PEER_BAD_TRANSCRIPT"),
      );
      await new Promise((r) => setTimeout(r, 50));
      expect(s.artifacts.blocks.has(cid), "the padded transcript was pinned").to.equal(false);
      cheat.peers.close();
    }
    // And the honest coordinator still gets every signature.
    const ok = await s.nodes[0].coordinator.run(ask);
    expect(Object.keys(ok.signatures)).to.have.length(5);
  });
});
