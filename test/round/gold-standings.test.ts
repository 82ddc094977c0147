/**
 * Gold standings in a round (issue 20), in memory: the coordinator puts every member's standing as of the seed
 * block in the transcript, the deltas use it through the production rules, and every member recomputes it from
 * its own reads before it signs. Attacks: a coordinator that forges, omits or re-times the standings; a member
 * that lies about them.
 */
import { expect } from "chai";
import { type Address, type Hex } from "viem";
import { Coordinator, type SignedRecord } from "../../src/round/coordinator.js";
import { Member } from "../../src/round/member.js";
import { checkGoldStandings } from "../../src/round/member-checks.js";
import {
  computeResult,
  goldSnapshot,
  goldStandingOf,
  productionRules,
  type Transcript,
} from "../../src/protocol/index.js";
import type { GoldStandingsPort, NodeEntry } from "../../src/round/ports.js";
import { DirectPeers, MemoryArtifacts, directoryOf, fixedMind, makeSigners } from "../kit/memory-round.js";
import { TEST_DOMAIN, TEST_RECORDS } from "../kit/test-domain.js";

const rules = productionRules({ pairing: "round-robin" });
const quality = (text: string) => Number(/q(\d)/.exec(text)?.[1] ?? 0);
const prefer = (a: string, b: string) => (quality(a) > quality(b) ? "A" : quality(a) < quality(b) ? "B" : "tie");
const ask = { messages: [{ role: "user" as const, content: "Which answer is best?" }], maxTokens: 64, rag: false };

/** A standings port that answers `standings` for every block and records the blocks it was asked about. */
function port(standings: Record<string, number>): GoldStandingsPort & { asked: bigint[] } {
  const asked: bigint[] = [];
  return {
    asked,
    standingsAt: async (block) => {
      asked.push(block);
      return standings;
    },
  };
}

function swarm(
  signers: ReturnType<typeof makeSigners>,
  gold: { coordinator?: GoldStandingsPort; member?: (i: number) => GoldStandingsPort | undefined },
) {
  const [coordSigner, ...memberSigners] = signers;
  const nodes: NodeEntry[] = signers.map((s, i) => ({
    address: s.address,
    endpoint: `mem://node${i}`,
    stake: 500n * 10n ** 18n,
    reputation: i === 0 ? 0 : 500_000,
  }));
  const directory = directoryOf(nodes, { tau: signers.length });
  const artifacts = new MemoryArtifacts();
  const peers = new DirectPeers();
  const errors: string[] = [];
  memberSigners.forEach((signer, i) => {
    const m = new Member({
      domain: TEST_DOMAIN,
      signer,
      directory,
      artifacts,
      rules,
      records: TEST_RECORDS,
      mind: fixedMind(`answer q${i % 10} by ${i}`, prefer),
      gold: gold.member?.(i),
    });
    peers.handlers.set(`mem://node${i + 1}`, async (env) => {
      try {
        return await m.handle(env);
      } catch (err) {
        errors.push((err as { code?: string }).code ?? String(err));
        throw err;
      }
    });
  });
  const queued: { roundId: Hex; signed: SignedRecord }[] = [];
  const coordinator = new Coordinator(
    {
      domain: TEST_DOMAIN,
      signer: coordSigner,
      directory,
      peers,
      artifacts,
      rules,
      records: TEST_RECORDS,
      gold: gold.coordinator,
      settle: async (roundId, signed) => void queued.push({ roundId, signed }),
    },
    { committeeSize: 7, answerTimeoutMs: 2000, revealTimeoutMs: 2000, judgeTimeoutMs: 2000, signTimeoutMs: 2000 },
  );
  return { coordinator, memberSigners, queued, errors };
}

describe("gold standings in a round (issue 20)", function () {
  this.timeout(60_000);
  const all = makeSigners(8);
  const signers = all.slice(1);
  const lower = (a: Address) => a.toLowerCase();
  // The best answerer (q6) measured wrong by gold, one other measured right; a non-member with a standing too.
  const public_ = {
    [lower(signers[6].address)]: -1_000_000,
    [lower(signers[0].address)]: 800_000,
    "0x00000000000000000000000000000000000000aa": 500_000,
  };

  it("the transcript carries the members' standings as of the seed block, and the deltas use them", async () => {
    const coordPort = port(public_);
    const s = swarm(all, { coordinator: coordPort, member: () => port(public_) });
    const out = await s.coordinator.run(ask);
    const t = out.transcript;
    expect(t.gold?.asOfBlock).to.equal(t.committee.seedBlock.number);
    expect(coordPort.asked).to.deep.equal([BigInt(t.committee.seedBlock.number)]);
    expect(Object.keys(t.gold!.standings).sort()).to.deep.equal(
      [signers[0].address, signers[6].address].sort(), // members only, spelled as the committee spells them
    );
    expect(Object.keys(out.signatures)).to.have.length(7);
    // The deltas are the anchored rule's: the winner measured wrong gains less than without gold.
    const plain = computeResult({ ...t, gold: undefined }, rules);
    expect(t.result.winner).to.equal(signers[6].address);
    expect(t.result.deltas[signers[6].address]).to.be.lessThan(plain.deltas[signers[6].address]);
    expect(t.result.deltas[signers[0].address]).to.be.greaterThan(plain.deltas[signers[0].address]);
  });

  it("without any member standing the transcript has no gold field (byte-identical to a swarm without gold)", async () => {
    const s = swarm(all, {
      coordinator: port({}),
      member: () => port({ "0x00000000000000000000000000000000000000aa": 1 }),
    });
    const out = await s.coordinator.run(ask);
    expect("gold" in out.transcript).to.equal(false);
    expect(Object.keys(out.signatures)).to.have.length(7);
  });

  it("attack: a coordinator that forges standings is refused by every member (PEER_BAD_STANDINGS), nothing settles", async () => {
    const forged = { ...public_, [lower(signers[6].address)]: 1_000_000 }; // its friend measured right
    const s = swarm(all, { coordinator: port(forged), member: () => port(public_) });
    const err = await s.coordinator.run(ask).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, "the round must fail").to.not.equal(undefined);
    expect(s.queued).to.have.length(0);
    expect(s.errors.filter((c) => c === "PEER_BAD_STANDINGS")).to.have.length(7);
  });

  it("attack: a coordinator that omits the standings (to drop the gold rule) is refused by every member", async () => {
    const s = swarm(all, { coordinator: undefined, member: () => port(public_) });
    await s.coordinator.run(ask).catch(() => undefined);
    expect(s.queued).to.have.length(0);
    expect(s.errors.filter((c) => c === "PEER_BAD_STANDINGS")).to.have.length(7);
  });

  it("attack: a member that lies about the standings only withholds its own signature; the quorum settles", async () => {
    const s = swarm(all, { coordinator: port(public_), member: (i) => port(i === 2 ? {} : public_) });
    const out = await s.coordinator.run(ask);
    expect(Object.keys(out.signatures)).to.have.length(6);
    expect(Object.keys(out.signatures)).to.not.include(s.memberSigners[2].address);
    expect(s.errors).to.deep.equal(["PEER_BAD_STANDINGS"]);
    expect(s.queued).to.have.length(1);
  });

  it("attack: a coordinator that picks another cut-off: the transcript does not compute, and members refuse", async () => {
    const s = swarm(all, { coordinator: port(public_), member: () => port(public_) });
    const t = (await s.coordinator.run(ask)).transcript;
    const retimed: Transcript = {
      ...t,
      gold: { ...t.gold!, asOfBlock: String(BigInt(t.committee.seedBlock.number) - 1n) },
    };
    expect(() => computeResult(retimed, rules)).to.throw(/not the round's seed block/);
    expect(() => checkGoldStandings(retimed, goldSnapshot(t.committee.members, public_, t.committee.seedBlock.number)))
      .to.throw(/gold.asOfBlock expected/)
      .with.property("code", "PEER_BAD_STANDINGS");
    // A snapshot naming a non-member, an empty one, or an out-of-range value does not compute either.
    const outsider = {
      ...t,
      gold: { ...t.gold!, standings: { ...t.gold!.standings, "0x00000000000000000000000000000000000000aa": 1 } },
    };
    expect(() => goldStandingOf(outsider)).to.throw(/not a member/);
    expect(() => goldStandingOf({ ...t, gold: { ...t.gold!, standings: {} } })).to.throw(/empty/);
    const huge = { ...t, gold: { ...t.gold!, standings: { [signers[0].address]: 2_000_000 } } };
    expect(() => goldStandingOf(huge)).to.throw(/not in \[-1e6, 1e6\]/);
  });
});
