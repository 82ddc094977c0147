/**
 * Liveness against a byzantine signer (issue 12, item 6): one member of every committee answers the sign request
 * with a well-formed record signature that is not its own over the record (its envelope is properly signed, so
 * only checking the record signature catches it). Before the coordinator verified record signatures, such a
 * signature went into the settled epoch and Settlement reverted the whole epoch (SettlementBadSignature): one
 * byzantine member blocked settlement. Now it is excluded at the sign phase with evidence, and every round settles.
 */
import { expect } from "chai";
import { keccak256, toHex, type Hex } from "viem";
import { signEnvelope, type Envelope } from "../../src/protocol/index.js";
import { createSigner } from "../../src/core/index.js";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { fixedMind } from "../kit/memory-round.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { closeStarted } from "../helpers/close.js";

const BYZANTINE = 4;

describe("liveness: a member returning a wrong record signature (HTTP swarm on the in-process chain)", function () {
  this.timeout(180_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;

  before(async () => {
    swarm = await startChainSwarm({
      nodes: 5,
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
      epochRounds: 20,
    });
    const member = swarm.nodes[BYZANTINE].member;
    const signer = createSigner(keccak256(toHex(`chorus-test-node-${BYZANTINE}`)));
    const domain = { chainId: swarm.f.publicClient.chain.id, registry: swarm.f.registry.address };
    const honest = member.handle.bind(member);
    // Node 4 signs some other digest with its own key: a valid signature, just not over this round's record.
    member.handle = async (raw, opts) => {
      const reply = await honest(raw, opts);
      if (reply.kind !== "record-signature") return reply;
      return signEnvelope(domain, signer, "record-signature", reply.roundId, {
        signature: signer.signDigest(keccak256(toHex(`not the record ${reply.roundId}`))),
      });
    };
  });

  after(() => closeStarted(swarm));

  it("every round settles on chain; the bad signer is excluded at the sign phase with its signed reply as evidence", async () => {
    const rounds: { id: Hex; gateway: number }[] = [];
    for (let k = 0; k < 4; k++) {
      const gateway = k % 4; // honest coordinators 0..3
      const res = await fetch(`${swarm.nodes[gateway].url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: `question ${k}` }] }),
      });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).to.equal(200);
      expect(body.chorus.committee_size).to.equal(5);
      expect(body.chorus.signatures, "the bad signature is not kept").to.equal(4);
      const signEx = (body.chorus.excluded as { member: string; phase: string; reason: string }[]).filter(
        (e) => e.phase === "sign",
      );
      expect(signEx.map((e) => e.member)).to.deep.equal([swarm.f.nodes[BYZANTINE].address]);
      expect(signEx[0].reason).to.match(/^record signature recovers to 0x[0-9a-fA-F]{40}, not the member$/);
      rounds.push({ id: body.chorus.round_id, gateway });
    }
    for (const g of [0, 1, 2, 3]) await swarm.nodes[g].submitter.flush();
    for (const r of rounds) {
      expect(await swarm.f.settlement.read.isClosed([r.id]), `round ${r.id} closed`).to.equal(true);
      expect(await swarm.f.settlement.read.isVoided([r.id])).to.equal(false);
      const logs = await swarm.f.publicClient.getContractEvents({
        address: swarm.f.settlement.address,
        abi: swarm.f.settlement.abi,
        eventName: "RoundSettled",
        args: { roundId: r.id },
        fromBlock: 0n,
      });
      expect(logs, `RoundSettled for ${r.id}`).to.have.length(1);
      expect(swarm.nodes[r.gateway].submitter.lastError).to.equal(undefined);
      expect(await swarm.nodes[r.gateway].queue.status(r.id)).to.equal("settled");
    }
    // The evidence: the byzantine member's own signed reply, whose record signature recovers to someone else.
    const entry = await swarm.nodes[rounds[0].gateway].queue.get(rounds[0].id);
    expect(entry?.status).to.equal("settled");
    const queued = entry as unknown as {
      record: {
        signExcluded: { member: string; phase: string; reason: string; evidence: Envelope }[];
        signatures: Record<string, Hex>;
      };
    };
    const [ex] = queued.record.signExcluded;
    expect(ex.member).to.equal(swarm.f.nodes[BYZANTINE].address);
    expect(ex.evidence.from).to.equal(swarm.f.nodes[BYZANTINE].address);
    expect(ex.reason).to.match(/^record signature recovers to 0x[0-9a-fA-F]{40}, not the member$/);
    expect(Object.keys(queued.record.signatures).map((a) => a.toLowerCase())).to.not.include(
      swarm.f.nodes[BYZANTINE].address.toLowerCase(),
    );
  });
});
