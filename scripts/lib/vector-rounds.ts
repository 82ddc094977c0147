/**
 * Whole-round transcripts for docs/vectors/transcripts/: real rounds of the real round protocol in memory
 * (coordinator, members, production consensus rules; seeded keys), in the situations a re-implementation must
 * get right: unequal stakes and reputations, members excluded in the answer and judge phases, screens,
 * identical answers (ties), unparsable verdicts, a round without separation, and a RAG round with source deltas.
 * Rounds carry salts, clocks and round ids, so a transcript is generated once (`npm run vectors -- --transcripts`)
 * and kept; the vectors' expected outputs are recomputed from the stored transcript every time.
 */
import { keccak256, toHex } from "viem";
import { Coordinator } from "../../src/round/coordinator.js";
import { Member } from "../../src/round/member.js";
import type { Mind, NodeEntry } from "../../src/round/ports.js";
import { createSigner } from "../../src/core/index.js";
import type { Transcript } from "../../src/protocol/index.js";
import { productionRules } from "../../src/protocol/index.js";
import type { PairingMode } from "../../src/consensus/index.js";
import type { SettlementDomain } from "../../src/core/index.js";
import { chainRecords } from "../../src/node/chain-parts.js";
import { DirectPeers, MemoryArtifacts, directoryOf } from "../../test/kit/memory-round.js";
import { RAG_DOMAIN, memoryRetrieval, memorySource } from "../../test/helpers/rag-memory.js";
import { TEST_DOMAIN } from "../../test/kit/test-domain.js";

const domain = TEST_DOMAIN;
const quality = (text: string) => Number(/q(\d)/.exec(text)?.[1] ?? 0);

interface Spec {
  name: string;
  description: string;
  rules: { pairing?: PairingMode; screen?: boolean };
  /** Stake (tokens) and reputation of each member. */
  members: {
    stake: number;
    reputation: number;
    answer: string;
    judge: "prefer" | "tie" | "garbled";
    screenBad?: string;
    hangAt?: "answer-request" | "judge-request";
  }[];
  rag?: boolean;
  /** Gold standings by member index (issue 20): the transcript carries them, the deltas use them. */
  gold?: Record<number, number>;
}

function mindOf(spec: Spec["members"][number], i: number): Mind {
  return {
    answer: async (q) => {
      const sys = q.messages.find((m) => m.role === "system")?.content ?? "";
      return spec.answer.replace("{ctx}", /Paris/.test(sys) ? "Paris is the capital of France" : "no idea");
    },
    compare: async ({ answerA, answerB }) => {
      if (spec.judge === "garbled")
        return { outcome: "tie", raw: `Once upon a time a fox judged ${i}.`, parsed: false };
      if (spec.judge === "tie") return { outcome: "tie", raw: "VERDICT: tie", parsed: true };
      const o = quality(answerA) > quality(answerB) ? "A" : quality(answerA) < quality(answerB) ? "B" : "tie";
      return { outcome: o, raw: `VERDICT: ${o}`, parsed: true };
    },
    screen: async ({ answer }) => (spec.screenBad && answer.includes(spec.screenBad) ? "BAD" : "GOOD"),
  };
}

export const ROUND_SPECS: Spec[] = [
  {
    name: "unequal-stakes-exclusions",
    description:
      "6 members with unequal stakes and reputations; one misses the answer deadline (excluded, answer phase), one the judge deadline (its assigned verdicts are missing); Fortytwo pairing.",
    rules: {},
    members: [
      { stake: 100, reputation: 250_000, answer: "answer q1", judge: "prefer", hangAt: "answer-request" },
      { stake: 200, reputation: 400_000, answer: "answer q5", judge: "prefer" },
      { stake: 300, reputation: 600_000, answer: "answer q3", judge: "prefer", hangAt: "judge-request" },
      { stake: 500, reputation: 150_000, answer: "answer q7", judge: "prefer" },
      { stake: 800, reputation: 900_000, answer: "answer q2", judge: "prefer" },
      { stake: 2000, reputation: 300_000, answer: "answer q9", judge: "prefer" },
    ],
  },
  {
    name: "screens-ties-unparsable",
    description:
      "5 members with screens on: two give the same answer (their pair ties), one judge's model gives no readable verdict (unparsable, raw kept), one screens an answer BAD.",
    rules: { screen: true, pairing: "round-robin" },
    members: [
      { stake: 1000, reputation: 250_000, answer: "answer q4", judge: "prefer" },
      { stake: 1000, reputation: 300_000, answer: "answer q4", judge: "prefer", screenBad: "q6" },
      { stake: 1000, reputation: 350_000, answer: "answer q6", judge: "garbled" },
      { stake: 1500, reputation: 200_000, answer: "answer q2", judge: "prefer" },
      { stake: 500, reputation: 500_000, answer: "answer q8", judge: "prefer" },
    ],
  },
  {
    name: "no-separation",
    description: "5 members, identical answers, every verdict a tie: one tier, and no member that took part moves.",
    rules: {},
    members: [0, 1, 2, 3, 4].map((i) => ({
      stake: 1000,
      reputation: 250_000 + 50_000 * i,
      answer: "the same answer",
      judge: "tie" as const,
    })),
  },
  {
    name: "rag-sources",
    description:
      "A RAG round of 5 members over two honest data sources and a forger; sources get reliability and usefulness deltas.",
    rules: {},
    rag: true,
    members: [0, 1, 2, 3, 4].map((i) => ({
      stake: 1000,
      reputation: 300_000,
      answer: `{ctx} q${i}`,
      judge: "prefer" as const,
    })),
  },
  {
    name: "gold-standings",
    description:
      "5 members, 3 of them with gold standings as of the seed block (issue 20): the transcript's gold field carries them and every delta moves towards (C + 3 G) / 4; the best answer's member was measured wrong by gold, so it gains less than the consensus alone would give.",
    rules: { pairing: "round-robin" },
    members: [
      { stake: 1000, reputation: 250_000, answer: "answer q2", judge: "prefer" },
      { stake: 1000, reputation: 400_000, answer: "answer q4", judge: "prefer" },
      { stake: 1500, reputation: 300_000, answer: "answer q6", judge: "prefer" },
      { stake: 500, reputation: 600_000, answer: "answer q8", judge: "prefer" },
      { stake: 1000, reputation: 350_000, answer: "answer q9", judge: "prefer" },
    ],
    gold: { 1: 900_000, 3: 0, 4: -800_000 },
  },
];

/** Runs one spec's round; resolves with its transcript (and the Settlement domain sources signed under). */
export async function runSpec(spec: Spec): Promise<{ transcript: Transcript; serviceDomain?: SettlementDomain }> {
  const n = spec.members.length;
  const signers = Array.from({ length: n + 1 }, (_, i) =>
    createSigner(keccak256(toHex(`chorus-vectors-${spec.name}-${i}`))),
  );
  const nodes: NodeEntry[] = signers.map((s, i) => ({
    address: s.address,
    endpoint: `mem://node${i}`,
    stake: BigInt(i === 0 ? 1000 : spec.members[i - 1].stake) * 10n ** 18n,
    reputation: i === 0 ? 0 : spec.members[i - 1].reputation,
  }));
  const directory = directoryOf(nodes, { tau: 64 });
  const peers = new DirectPeers();
  const rules = productionRules(spec.rules);
  const records = chainRecords(RAG_DOMAIN);
  const sources = [
    memorySource("alpha", "honest", ["Paris is the capital of France.", "France borders Spain and Belgium."]),
    memorySource("beta", "honest", ["The capital of France is Paris, on the Seine."], { reliability: 900_000 }),
    memorySource("forger", "bad-signature", ["Lyon is the capital of France."]),
  ];
  const rag = { sources: 3, k: 2, reliabilityWeight: 500_000, explorationFloor: 100_000, timeoutMs: 500 };
  const standings = Object.fromEntries(
    Object.entries(spec.gold ?? {}).map(([k, v]) => [signers[Number(k) + 1].address.toLowerCase(), v]),
  );
  const gold = spec.gold ? { gold: { standingsAt: () => Promise.resolve(standings) } } : {};
  spec.members.forEach((m, k) => {
    const member = new Member({
      domain,
      signer: signers[k + 1],
      directory,
      artifacts: new MemoryArtifacts(),
      rules,
      records,
      mind: mindOf(m, k),
      ...gold,
      ...(spec.rag ? { retrieval: memoryRetrieval(sources), rag } : {}),
    });
    const endpoint = `mem://node${k + 1}`;
    peers.handlers.set(endpoint, (env) => member.handle(env));
    if (m.hangAt) peers.faults.set(endpoint, { kinds: [m.hangAt], mode: "hang" });
  });
  const coordinator = new Coordinator(
    {
      domain,
      signer: signers[0],
      directory,
      peers,
      artifacts: new MemoryArtifacts(),
      rules,
      records,
      ...gold,
      settle: async () => {},
    },
    { committeeSize: 64, answerTimeoutMs: 1500, revealTimeoutMs: 800, judgeTimeoutMs: 800, signTimeoutMs: 800 },
  );
  const out = await coordinator.run({
    messages: [{ role: "user", content: spec.rag ? "What is the capital of France?" : "Which answer is best?" }],
    maxTokens: 64,
    rag: spec.rag ?? false,
  });
  return {
    transcript: JSON.parse(JSON.stringify(out.transcript)) as Transcript,
    ...(spec.rag ? { serviceDomain: RAG_DOMAIN } : {}),
  };
}
