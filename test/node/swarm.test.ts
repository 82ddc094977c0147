import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { newRoundId } from "../kit/round-id.js";
import OpenAI from "openai";
import { type Hex } from "viem";
import { cidToBytes32 } from "../../src/ipfs/index.js";
import { settledRoundDeltas } from "../../src/chain/round-event.js";
import { signEnvelope } from "../../src/protocol/index.js";
import { createSigner } from "../../src/core/index.js";
import { generatePrivateKey } from "viem/accounts";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { closeStarted } from "../helpers/close.js";

describe("swarm: 7 nodes on 127.0.0.1 with the in-process chain", function () {
  this.timeout(180_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;
  const slow = new Set<number>();

  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => {
        const base = fixedMind(`answer q${i} from node ${i}`, preferHigherQ);
        return {
          ...base,
          answer: async (q, o) => {
            if (slow.has(i)) await new Promise((r) => setTimeout(r, 5000));
            return base.answer(q, o);
          },
        };
      },
      timeoutMs: 1500,
    });
  });
  after(() => closeStarted(swarm));

  const ask = async (node = 0) => {
    const res = await fetch(`${swarm.nodes[node].url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Tell me about the sea." }] }),
    });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };

  it("a query gets a winner; after the epoch its transcript CID is the settled record's and reputations moved", async () => {
    const body = await ask(0);
    expect(body.choices[0].message.content).to.equal("answer q6 from node 6");
    const c = body.chorus;
    expect(c.committee_size).to.equal(7);
    expect(c.settlement).to.equal("pending");
    const before = await swarm.f.settlement.read.reputationOf([swarm.f.nodes[6].address]);
    await swarm.nodes[0].submitter.flush();
    const events = await swarm.f.settlement.getEvents.RoundSettled({ roundId: c.round_id as Hex }, { fromBlock: 0n });
    expect(events).to.have.length(1);
    expect(events[0].args.transcriptCid).to.equal(cidToBytes32(c.transcript_cid));
    const [epoch] = await swarm.f.settlement.getEvents.EpochSettled({}, { blockHash: events[0].blockHash });
    expect(settledRoundDeltas(events[0].args.deltas!, { nodes: epoch.args.nodes! }).winner.toLowerCase()).to.equal(
      swarm.f.nodes[6].address.toLowerCase(),
    );
    expect(await swarm.nodes[0].queue.status(c.round_id)).to.equal("settled");
    // pending until no round of the epoch can be voided; then the coordinator's finalizer makes it final
    expect(await swarm.f.settlement.read.reputationOf([swarm.f.nodes[6].address])).to.equal(before);
    const [, , finalAt] = await swarm.f.settlement.read.epochStatus([epoch.args.epoch!]);
    await time.increaseTo(finalAt);
    await swarm.nodes[0].finalizer!.tick();
    expect(swarm.nodes[0].finalizer!.finalized).to.include(Number(epoch.args.epoch));
    const after = await swarm.f.settlement.read.reputationOf([swarm.f.nodes[6].address]);
    expect(after > before, `winner reputation ${before} -> ${after}`).to.equal(true);
    // The transcript is served over the trustless gateway by the coordinator.
    const raw = await fetch(`${swarm.nodes[0].url}/ipfs/${c.transcript_cid}?format=raw`);
    expect(raw.status).to.equal(200);
    expect(JSON.parse(await raw.text()).roundId).to.equal(c.round_id);
  });

  it("a reveal that does not match its commitment is excluded and kept as evidence", async () => {
    const cheat = swarm.nodes[5].member as any;
    const original = cheat.onReveal.bind(cheat);
    cheat.onReveal = (env: any, req: any) => {
      const reply = original(env, req);
      return signEnvelope(cheat.deps.domain, cheat.deps.signer, "reveal", reply.roundId, {
        ...reply.body,
        answer: "a copied answer q9",
      });
    };
    try {
      const body = await ask(1);
      const ex = body.chorus.excluded.find(
        (e: any) => e.member.toLowerCase() === swarm.f.nodes[5].address.toLowerCase(),
      );
      expect(ex).to.deep.include({ phase: "reveal", reason: "reveal does not match commitment" });
      expect(body.choices[0].message.content).to.equal("answer q6 from node 6");
    } finally {
      cheat.onReveal = original;
    }
  });

  it("a node that times out is excluded and the round still completes", async () => {
    slow.add(2);
    try {
      const body = await ask(0);
      expect(body.chorus.answered).to.equal(6);
      const ex = body.chorus.excluded.find(
        (e: any) => e.member.toLowerCase() === swarm.f.nodes[2].address.toLowerCase(),
      );
      expect(ex.phase).to.equal("answer");
      expect(ex.reason).to.match(/unreachable|timed out|aborted/i);
    } finally {
      slow.delete(2);
    }
  });

  it("a non-member's request and a replayed request are rejected", async () => {
    const stranger = createSigner(generatePrivateKey());
    const roundId = newRoundId(stranger.address);
    const domain = { chainId: 31337, registry: swarm.f.registry.address };
    const forged = signEnvelope(domain, stranger, "answer-request", roundId, {
      queryCid: "bagaaiera",
      query: {
        type: "chorus/query@1",
        messages: [{ role: "user", content: "hi" }],
        maxTokens: 8,
        coordinator: stranger.address,
        createdAt: 1,
        rag: false,
      },
      seedBlock: { number: "1", hash: `0x${"11".repeat(32)}` },
      seed: `0x${"22".repeat(32)}`,
      period: 1,
      committeeSize: 7,
      totalStake: "0",
      minCommittee: 1,
      candidates: [],
      committee: swarm.f.nodes.map((n) => n.address),
      seats: {},
      answerDeadline: Date.now() + 1000,
    });
    const post = (url: string, env: unknown) =>
      fetch(`${url}/peer/v1/message`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(env),
      });
    const r1 = await post(swarm.nodes[3].url, forged);
    expect(r1.status).to.equal(403);
    expect((await r1.json()).error.message).to.match(/not an active node with a valid capability pass/);

    const body = await ask(4);
    const transcript = await (
      await fetch(`${swarm.nodes[4].url}/ipfs/${body.chorus.transcript_cid}?format=raw`)
    ).json();
    // In wire order (kind, roundId, from first), as a peer sends it; the stored transcript's keys are sorted.
    const { kind, roundId: id, from, body: requestBody, signature } = transcript.requests.answer;
    const r2 = await post(swarm.nodes[3].url, { kind, roundId: id, from, body: requestBody, signature });
    expect(r2.status).to.equal(409);
  });

  it("the openai npm client gets an answer from the gateway", async () => {
    const client = new OpenAI({ baseURL: `${swarm.nodes[2].url}/v1`, apiKey: "not-needed" });
    const completion = await client.chat.completions.create({
      model: "chorus-swarm",
      messages: [{ role: "user", content: "Once upon a time" }],
    });
    expect(completion.choices[0].message.content).to.match(/^answer q\d from node \d$/);
    expect((completion as any).chorus.transcript_cid).to.be.a("string");
  });
});
