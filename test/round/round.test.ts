import { expect } from "chai";
import { type Address, type Hex } from "viem";
import { Coordinator, type SignedRecord } from "../../src/round/coordinator.js";
import { Member } from "../../src/round/member.js";
import { signEnvelope } from "../../src/protocol/index.js";
import { newRoundId } from "../kit/round-id.js";
import { countRules } from "../kit/count-rules.js";
import { DirectPeers, MemoryArtifacts, directoryOf, fixedMind, makeSigners } from "../kit/memory-round.js";
import type { NodeEntry } from "../../src/round/ports.js";
import { TEST_DOMAIN, TEST_RECORDS } from "../kit/test-domain.js";

const records = TEST_RECORDS;
const domain = TEST_DOMAIN;
const quality = (text: string) => Number(/q(\d)/.exec(text)?.[1] ?? 0);
const prefer = (a: string, b: string) => (quality(a) > quality(b) ? "A" : quality(a) < quality(b) ? "B" : "tie");

function swarm(n: number) {
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
  const members = memberSigners.map((signer, i) => {
    const m = new Member({
      domain,
      signer,
      directory,
      artifacts,
      rules: countRules,
      records,
      mind: fixedMind(`answer q${i % 10} by ${i}`, prefer),
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
    { committeeSize: 7, answerTimeoutMs: 300, revealTimeoutMs: 300, judgeTimeoutMs: 300, signTimeoutMs: 300 },
  );
  return { coordinator, members, peers, nodes, artifacts, queued, coordSigner, memberSigners };
}

const ask = { messages: [{ role: "user" as const, content: "Why is the sky blue?" }], maxTokens: 64, rag: false };

describe("round protocol (in memory)", () => {
  it("a query gets the best answer as winner, a transcript on the store, and a quorum of record signatures", async () => {
    const s = swarm(7);
    const out = await s.coordinator.run(ask);
    expect(out.winnerAnswer).to.equal("answer q6 by 6");
    expect(out.transcript.committee.members).to.have.length(7);
    expect(out.transcript.excluded).to.deep.equal([]);
    expect(await s.artifacts.getJson(out.transcriptCid)).to.deep.equal(JSON.parse(JSON.stringify(out.transcript)));
    expect(Object.keys(out.signatures)).to.have.length(7);
    expect(s.queued.map((q) => q.roundId)).to.deep.equal([out.roundId]);
  });

  it("a reveal that does not match its commitment is excluded and kept as evidence", async () => {
    const s = swarm(7);
    const cheat = s.memberSigners[6];
    s.peers.faults.set("mem://node7", {
      kinds: ["reveal-request"],
      mode: "tamper",
      tamper: (reply) =>
        signEnvelope(domain, cheat, "reveal", reply.roundId, { ...reply.body, answer: "a copied answer q9" }),
    });
    const out = await s.coordinator.run(ask);
    const ex = out.transcript.excluded.find((e) => e.member === cheat.address)!;
    expect(ex.phase).to.equal("reveal");
    expect(ex.reason).to.equal("reveal does not match commitment");
    expect((ex.evidence as any).body.answer).to.equal("a copied answer q9");
    expect(out.winnerAnswer).to.equal("answer q5 by 5");
  });

  it("a member that times out is excluded and the round completes with 2/3", async () => {
    const s = swarm(7);
    s.peers.faults.set("mem://node2", { kinds: ["answer-request"], mode: "hang" });
    s.peers.faults.set("mem://node3", { kinds: ["judge-request"], mode: "error" });
    const out = await s.coordinator.run(ask);
    const phases = out.transcript.excluded.map((e) => [e.member, e.phase]);
    expect(phases).to.deep.include([s.memberSigners[1].address, "answer"]);
    expect(phases).to.deep.include([s.memberSigners[2].address, "judge"]);
    expect(out.transcript.reveals).to.have.length(6);
  });

  it("fewer than 2/3 answering fails the round with ROUND_NO_QUORUM naming who dropped out", async () => {
    const s = swarm(7);
    for (const i of [1, 2, 3]) s.peers.faults.set(`mem://node${i}`, { kinds: ["answer-request"], mode: "error" });
    let err: any;
    await s.coordinator.run(ask).catch((e) => (err = e));
    expect(err.code).to.equal("ROUND_NO_QUORUM");
    expect(err.message).to.match(
      /members holding only 4 of 7 committee seats completed the commit step; a round needs 5/,
    );
  });

  it("members reject messages from a non-staked sender and replays of another round's messages", async () => {
    const s = swarm(7);
    const out = await s.coordinator.run(ask);
    const member = s.members[0];
    // A stranger (not in the directory) coordinating a round.
    const [stranger] = makeSigners(1);
    const strangerRound = newRoundId(stranger.address);
    const req = signEnvelope(domain, stranger, "answer-request", strangerRound, {
      ...(out.transcript.requests.answer.body as object),
    });
    let err: any;
    await member.handle(req).catch((e) => (err = e));
    expect(err.code).to.equal("PEER_NOT_AUTHORIZED");
    // The same answer request again (a replay) is refused.
    err = undefined;
    await member.handle(out.transcript.requests.answer).catch((e) => (err = e));
    expect(err.code).to.equal("PEER_DUPLICATE");
    // A message moved to another round id is refused before its signature is even checked: that round is unknown.
    err = undefined;
    const moved = { ...out.transcript.requests.judge, roundId: `${out.roundId.slice(0, 62)}ffff` };
    await member.handle(moved).catch((e) => (err = e));
    expect(err.code).to.equal("ROUND_UNKNOWN");
    // Moved to a round the member knows, it no longer matches its signature.
    err = undefined;
    const known = {
      ...out.transcript.requests.answer,
      kind: "judge-request",
      body: out.transcript.requests.judge.body,
    };
    await member.handle(known).catch((e) => (err = e));
    expect(err.code).to.equal("PEER_BAD_SIGNATURE");
  });
});

describe("peer envelope digest", () => {
  it("the native-keccak EIP-712 digest equals viem's hashTypedData for random messages", async () => {
    const { envelopeDigest, envelopeDigestReference } = await import("../../src/protocol/index.js");
    const fc = (await import("fast-check")).default;
    fc.assert(
      fc.property(
        fc.string(),
        fc.stringMatching(/^0x[0-9a-f]{64}$/),
        fc.stringMatching(/^0x[0-9a-f]{40}$/),
        fc.jsonValue(),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (kind, roundId, from, body, chainId) => {
          const d = { chainId, registry: from as Address };
          expect(envelopeDigest(d, kind, roundId as Hex, from as Address, body)).to.equal(
            envelopeDigestReference(d, kind, roundId as Hex, from as Address, body),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
