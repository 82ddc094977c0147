/**
 * Issue 13 item 3 on the in-process chain (real nodes on 127.0.0.1, contracts from the deploy fixture): a
 * sequence the chain closed (here voided: its round failed before any member saw it) is refused by every
 * member, a restarted one included, when its coordinator sends it later; members read the coordinator's last
 * closed sequence from Settlement.lastSequence. The process-level replay test is replay-restart.test.ts.
 */
import { expect } from "chai";
import type { Hex } from "viem";
import { makeRoundId, roundIdParts } from "../../src/core/index.js";
import { PEER_PATH } from "../../src/round/coordinator.js";
import { snapshotOf } from "../../src/round/draw.js";
import { signEnvelope, type PeerDomain } from "../../src/protocol/index.js";
import type { AnswerRequest } from "../../src/protocol/index.js";
import type { DigestSigner } from "../../src/core/index.js";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { closeStarted } from "../helpers/close.js";

describe("a coordinator reusing a sequence the chain closed (in-process chain)", function () {
  this.timeout(120_000);
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

  it("a voided sequence sent after the round that followed it settled is refused by every member (PEER_REPLAYED), a restarted one included", async () => {
    // Sequence 1 fails before its draw (the coordinator's weights read fails): no member sees it; it is voided.
    const coord = swarm.nodes[1].coordinator as any;
    const honest = coord.deps.directory;
    coord.deps.directory = {
      ...honest,
      candidates: () => honest.candidates(),
      weightsAt: async () => Promise.reject(new Error("RPC down for the draw")),
    };
    try {
      expect((await ask(1)).status).to.not.equal(200);
    } finally {
      coord.deps.directory = honest;
    }
    const ok = await ask(1);
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    const { coordinator, seq } = roundIdParts(ok.body.chorus.round_id as Hex);
    expect(seq).to.equal(2n);
    await swarm.nodes[1].submitter.flush();
    expect(await swarm.f.settlement.read.lastSequence([coordinator])).to.equal(2n);
    await swarm.kill(3);
    await swarm.restart(3);

    // The coordinator now sends sequence 1 as a well-formed round: its true draw from the batch's seed, the query
    // of round 2, a fresh deadline (without the check, every member answers it: see the commit that added it).
    const signer = coord.deps.signer as DigestSigner;
    const domain = coord.deps.domain as PeerDomain;
    const transcript = await (
      await fetch(`${swarm.nodes[1].url}/ipfs/${ok.body.chorus.transcript_cid}?format=raw`)
    ).json();
    const body = transcript.requests.answer.body as AnswerRequest;
    const roundId = makeRoundId(coordinator, 1n);
    const seedBlock = BigInt(body.seedBlock.number);
    const c = snapshotOf(
      { roundId, batchSeed: body.seedBlock.hash as Hex, seedBlock, period: body.period },
      await honest.weightsAt(body.period),
    );
    expect(c.members).to.have.length(4);
    const reused = signEnvelope(domain, signer, "answer-request", roundId, {
      ...body,
      seed: c.seed,
      candidates: c.candidates,
      committee: c.members,
      seats: c.seats,
      answerDeadline: Date.now() + 5000,
    });
    for (const i of [0, 2, 3]) {
      const res = await fetch(`${swarm.nodes[i].url}${PEER_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(reused),
      });
      const body = (await res.json()) as { error?: { code: string; details: Record<string, unknown> } };
      expect([res.status, body.error?.code], `node ${i}`).to.deep.equal([409, "PEER_REPLAYED"]);
      expect(body.error?.details).to.deep.include({ seq: "1", closedThrough: "2" });
    }
    // The coordinator's next round (sequence 3) is served by all of them.
    const next = await ask(1);
    expect(next.status, JSON.stringify(next.body)).to.equal(200);
    expect(roundIdParts(next.body.chorus.round_id as Hex).seq).to.equal(3n);
    expect(next.body.chorus.signatures).to.equal(4);
  });
});
