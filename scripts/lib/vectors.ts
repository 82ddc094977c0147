/**
 * Test vectors of the protocol (docs/protocol.md, docs/vectors/): for each rule, inputs in plain JSON and the
 * outputs this implementation computes from them. `npm run vectors` writes them (scripts/vectors.ts);
 * test/consensus/vectors.test.ts recomputes every output from the stored inputs and compares, so a change of
 * behaviour fails the test, and another implementation can test itself against the same files.
 *
 * JSON conventions: bigints (stakes, seats, shares) are decimal strings; every IEEE-754 double an output holds
 * is given twice, as the JSON number (shortest round-trip spelling) and as its 16 hex digits (big-endian bits)
 * under a key ending in `Bits`, so "equal" means equal bit for bit.
 */
import { keccak256 as viemKeccak, toHex, type Address, type Hex } from "viem";
import {
  aggregate,
  assignPairs,
  judgeWeights,
  reputationDeltas,
  schedulePairs,
  SeededRandom,
  seededOrder,
  type Judgment,
  type Member,
  type PairingMode,
  type Screen,
} from "../../src/consensus/index.js";
import { recordDigest, settlementDomain, type RoundRecord } from "../../src/core/index.js";
import { canonicalBytes, canonicalHash, cidOfCanonical } from "../../src/core/index.js";
import { answerDigest, commitmentOf } from "../../src/protocol/index.js";
import { drawCommittee, roundSeed, seatsOf, shareOf } from "../../src/protocol/index.js";
import { envelopeDigest } from "../../src/protocol/index.js";
import { createSigner } from "../../src/core/index.js";
import { computeResult, type Transcript } from "../../src/protocol/index.js";
import { recordOf } from "../../src/protocol/index.js";
import { productionRules } from "../../src/protocol/index.js";
import type { SettlementDomain } from "../../src/core/index.js";

/** The 16 hex digits of a double's IEEE-754 bits, big-endian. */
export function bitsOf(x: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b.toString("hex");
}

const mapBits = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, bitsOf(v)]));

/** n lower-case addresses derived from a label (keccak256 of "<label>:<i>", last 20 bytes), sorted. */
export function addresses(label: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `0x${viemKeccak(toHex(`${label}:${i}`)).slice(-40)}`).sort();
}

type Json = unknown;
interface Case {
  name: string;
  input: Json;
}
export interface VectorFile {
  rule: string;
  spec: string;
  cases: { name: string; input: Json; expected: Json }[];
}

// ----------------------------------------------------------------------------------------------- compute

type MemberIn = { address: string; stake: string; reputation: number };
const members = (ms: MemberIn[]): Member[] =>
  ms.map((m) => ({ address: m.address, stake: BigInt(m.stake), reputation: m.reputation }));

/** Each rule's function from JSON input to JSON output. */
export const COMPUTE: Record<string, (input: any) => Json> = {
  prng(input: { seed: string; count: number; below: number[]; shuffle: number }) {
    const a = new SeededRandom(input.seed);
    const uint32 = Array.from({ length: input.count }, () => a.nextUint32());
    const b = new SeededRandom(input.seed);
    const below = input.below.map((n) => b.below(n));
    const shuffle = new SeededRandom(input.seed).shuffle(Array.from({ length: input.shuffle }, (_, i) => i));
    return { uint32, below, shuffle };
  },
  pairing(input: { n: number; seed: string; mode: PairingMode }) {
    const order = seededOrder(input.n, input.seed);
    return { order, pairs: schedulePairs(input.n, { mode: input.mode, order }) };
  },
  assign(input: { pairs: [string, string][]; judges: string[]; seed: string }) {
    return assignPairs(input.pairs, input.judges, input.seed);
  },
  weights(input: { members: MemberIn[]; maxShare?: number }) {
    const w = judgeWeights(members(input.members), input.maxShare === undefined ? {} : { maxShare: input.maxShare });
    return { weights: w, weightsBits: mapBits(w) };
  },
  aggregate(input: { answers: string[]; judgments: Judgment[]; screens?: Screen[]; weights: Record<string, number> }) {
    const r = aggregate(input);
    return {
      scores: r.scores,
      scoresBits: mapBits(r.scores),
      ranking: r.ranking,
      tiers: r.tiers,
      winner: r.winner,
      screenedOut: r.screenedOut,
      iterations: r.iterations,
    };
  },
  reputation(input: {
    members: MemberIn[];
    ranking: string[];
    tiers?: string[][];
    judgments: Judgment[];
    assigned?: Record<string, number>;
    leaveOut?: { weights: Record<string, number>; screens?: Screen[] };
  }) {
    return { deltas: reputationDeltas({ ...input, members: members(input.members) }) };
  },
  committee(input: { batchSeed: Hex; roundId: Hex; tau: number; totalStake: string; candidates: MemberIn[] }) {
    const seed = roundSeed(input.batchSeed, input.roundId);
    const total = BigInt(input.totalStake);
    const perCandidate = input.candidates.map((c) => {
      const share = shareOf(input.tau, BigInt(c.stake), total, c.reputation);
      return {
        address: c.address,
        share: share.toString(),
        seats: seatsOf(share, seed, c.address as Address).toString(),
      };
    });
    const drawn = drawCommittee(
      seed,
      members(input.candidates).map((m) => ({ ...m, address: m.address as Address })),
      input.tau,
      total,
    );
    return {
      seed,
      perCandidate,
      members: drawn.members,
      seats: Object.fromEntries([...drawn.seats].map(([a, s]) => [a, s.toString()])),
      totalSeats: drawn.totalSeats.toString(),
    };
  },
  commitment(input: { roundId: Hex; member: Address; answer: string; salt: Hex; rag?: unknown }) {
    return {
      digest: answerDigest(input.answer, input.rag),
      commitment: commitmentOf(input.roundId, input.member, input.answer, input.salt, input.rag),
    };
  },
  canonical(input: { value: unknown }) {
    const bytes = canonicalBytes(input.value);
    return {
      utf8: Buffer.from(bytes).toString("utf8"),
      keccak256: canonicalHash(input.value),
      cid: cidOfCanonical(bytes),
    };
  },
  envelope(input: { chainId: number; registry: Address; kind: string; roundId: Hex; privateKey: Hex; body: unknown }) {
    const signer = createSigner(input.privateKey);
    const digest = envelopeDigest(
      { chainId: input.chainId, registry: input.registry },
      input.kind,
      input.roundId,
      signer.address,
      input.body,
    );
    return { from: signer.address, bodyHash: canonicalHash(input.body), digest, signature: signer.signDigest(digest) };
  },
  record(input: {
    chainId: number;
    settlement: Address;
    record: Omit<RoundRecord, "deltas"> & { deltas: number[] };
    privateKey: Hex;
  }) {
    const digest = recordDigest(settlementDomain(input.chainId, input.settlement), input.record);
    return { digest, signature: createSigner(input.privateKey).signDigest(digest) };
  },
  transcript(input: {
    rules: { pairing?: PairingMode; screen?: boolean };
    serviceDomain?: SettlementDomain;
    transcript: Transcript;
  }) {
    const t = input.transcript;
    const result = computeResult(t, productionRules(input.rules), { serviceDomain: input.serviceDomain });
    const cid = cidOfCanonical(canonicalBytes(t));
    const record = recordOf({ ...t, result }, cid);
    const domain = settlementDomain(t.chainId, input.serviceDomain?.verifyingContract ?? t.registry);
    return { transcriptCid: cid, result, record, recordDigest: recordDigest(domain, record) };
  },
};

// ------------------------------------------------------------------------------------------------ inputs

const SEED = "0x6b1e8cd2b1b2b50f9b1f7d8a0a4d2c54dc3b1f0e2f0d8b8b77e5c0a4a0e2a9c1";

function judgmentsOf(
  judges: string[],
  answers: string[],
  order: string[],
  opts: { flip?: string[]; tie?: string[]; garbled?: string[] } = {},
): Judgment[] {
  // Judges compare every ordered pair of the others' answers; they prefer the answer earlier in `order`.
  const out: Judgment[] = [];
  const rank = (a: string) => order.indexOf(a);
  for (const judge of judges)
    for (const a of answers)
      for (const b of answers) {
        if (a === b || a === judge || b === judge) continue;
        let outcome: Judgment["outcome"] = rank(a) < rank(b) ? "A" : "B";
        if (opts.flip?.includes(judge)) outcome = outcome === "A" ? "B" : "A";
        if (opts.tie?.includes(judge)) outcome = "tie";
        if (opts.garbled?.includes(judge)) outcome = "unparsable";
        out.push({ judge, a, b, outcome });
      }
  return out;
}

/** The rule vectors' inputs (deterministic). */
export function ruleCases(): Record<string, { spec: string; cases: Case[] }> {
  const six = addresses("chorus-vectors", 6);
  const eight = addresses("chorus-vectors-8", 8);
  const m = (address: string, stake: string, reputation: number): MemberIn => ({ address, stake, reputation });
  const ether = (n: number) => (BigInt(n) * 10n ** 18n).toString();
  const fortytwo6 = schedulePairs(6, { seed: SEED }).map(([a, b]) => [six[a], six[b]] as [string, string]);
  const ones = (ids: string[]) => Object.fromEntries(ids.map((j) => [j, 1]));
  const mixedWeights = judgeWeights(
    six.map((a, i) => ({ address: a, stake: BigInt(ether(100 * (i + 1))), reputation: 100_000 * (i + 1) })),
  );
  return {
    prng: {
      spec: "docs/protocol.md#2-the-seeded-generator",
      cases: [
        { name: "empty seed", input: { seed: "", count: 10, below: [1, 2, 3, 7, 1000, 4294967296], shuffle: 10 } },
        { name: "order seed", input: { seed: `order:${SEED}`, count: 17, below: [5, 5, 5, 6, 7], shuffle: 7 } },
        {
          name: "assign seed, bigint spelling",
          input: { seed: "assign:0xff", count: 9, below: [3, 2, 1], shuffle: 3 },
        },
      ],
    },
    pairing: {
      spec: "docs/protocol.md#4-pairing",
      cases: [0, 1, 2, 3, 4, 5, 6, 7, 10, 15]
        .map((n) => ({ name: `fortytwo n=${n}`, input: { n, seed: SEED, mode: "fortytwo" } }))
        .concat([{ name: "round-robin n=4", input: { n: 4, seed: SEED, mode: "round-robin" } }]),
    },
    assign: {
      spec: "docs/protocol.md#5-assignment",
      cases: [
        { name: "6 answers, 6 judges (fortytwo)", input: { pairs: fortytwo6, judges: six, seed: SEED } },
        {
          name: "6 answers, 5 judges (one answerer does not judge), listed out of order",
          input: { pairs: fortytwo6, judges: [six[4], six[0], six[2], six[1], six[3]], seed: SEED },
        },
        {
          name: "3 answers, 2 judges: a pair every judge answered in stays unassigned",
          input: {
            pairs: [
              [six[0], six[1]],
              [six[1], six[0]],
              [six[0], six[2]],
            ],
            judges: [six[0], six[1]],
            seed: SEED,
          },
        },
      ],
    },
    weights: {
      spec: "docs/protocol.md#6-judge-weights",
      cases: [
        {
          name: "equal stakes, reputation only",
          input: { members: six.map((a, i) => m(a, ether(1000), 100_000 * (i + 1))) },
        },
        {
          name: "unequal stakes, even count: the median is the lower middle",
          input: { members: six.map((a, i) => m(a, ether([100, 200, 300, 500, 800, 2000][i]), 400_000)) },
        },
        {
          name: "a whale among eight, capped at 25%",
          input: { members: eight.map((a, i) => m(a, ether(i === 0 ? 100_000 : 1000), i === 0 ? 1_000_000 : 300_000)) },
        },
        {
          name: "four judges: the cap cannot hold, all get the smallest",
          input: { members: six.slice(0, 4).map((a, i) => m(a, ether(1000), 200_000 * (i + 1))) },
        },
        {
          name: "zero reputation and zero stake weigh 0",
          input: { members: six.map((a, i) => m(a, i === 1 ? "0" : ether(500 + i), i === 2 ? 0 : 250_000 + i)) },
        },
        {
          name: "mixed, maxShare 0.3",
          input: { members: six.map((a, i) => m(a, ether(100 * (i + 1)), 100_000 * (i + 1))), maxShare: 0.3 },
        },
      ],
    },
    aggregate: {
      spec: "docs/protocol.md#7-bradley-terry",
      cases: [
        {
          name: "every judge agrees, unit weights",
          input: { answers: six, judgments: judgmentsOf(six, six, six), weights: ones(six) },
        },
        {
          name: "one judge flips, production weights",
          input: { answers: six, judgments: judgmentsOf(six, six, six, { flip: [six[5]] }), weights: mixedWeights },
        },
        {
          name: "ties and unparsable verdicts",
          input: {
            answers: six.slice(0, 4),
            judgments: judgmentsOf(six.slice(0, 4), six.slice(0, 4), six, { tie: [six[1]], garbled: [six[2]] }),
            weights: ones(six.slice(0, 4)),
          },
        },
        {
          name: "screens: a weighted BAD majority ranks an answer after the GOOD ones",
          input: {
            answers: six.slice(0, 4),
            judgments: judgmentsOf(six.slice(0, 4), six.slice(0, 4), six),
            screens: [
              { judge: six[1], answer: six[0], verdict: "BAD" },
              { judge: six[2], answer: six[0], verdict: "BAD" },
              { judge: six[3], answer: six[0], verdict: "GOOD" },
              { judge: six[0], answer: six[3], verdict: "BAD" },
              { judge: six[1], answer: six[3], verdict: "GOOD" },
            ],
            weights: ones(six.slice(0, 4)),
          },
        },
        {
          name: "disconnected graph and an answer nobody compared",
          input: {
            answers: six.slice(0, 5),
            judgments: [
              { judge: six[4], a: six[0], b: six[1], outcome: "A" },
              { judge: six[4], a: six[2], b: six[3], outcome: "B" },
            ],
            weights: ones(six),
          },
        },
        {
          name: "all ties: one tier",
          input: {
            answers: six.slice(0, 4),
            judgments: judgmentsOf(six.slice(0, 4), six.slice(0, 4), six, { tie: six }),
            weights: ones(six.slice(0, 4)),
          },
        },
        {
          name: "a weight-0 judge changes nothing",
          input: {
            answers: six.slice(0, 3),
            judgments: [
              ...judgmentsOf([six[0]], six.slice(0, 3), six),
              ...judgmentsOf([six[1]], six.slice(0, 3), six, { flip: [six[1]] }),
            ],
            weights: { [six[0]]: 1, [six[1]]: 0 },
          },
        },
      ],
    },
    reputation: {
      spec: "docs/protocol.md#9-reputation-deltas",
      cases: [
        {
          name: "answer targets only, distinct places",
          input: {
            members: six.slice(0, 5).map((a) => m(a, ether(1), 500_000)),
            ranking: six.slice(0, 5),
            judgments: [],
          },
        },
        {
          name: "tiers share the mean place",
          input: {
            members: six.slice(0, 4).map((a) => m(a, ether(1), 500_000)),
            ranking: six.slice(0, 4),
            tiers: [[six[0], six[1], six[2]], [six[3]]],
            judgments: [],
          },
        },
        {
          name: "judges: agree, disagree, tie, unparsable, missing (assigned)",
          input: {
            members: six.map((a, i) => m(a, ether(1), 100_000 * i)),
            ranking: six.slice(0, 3),
            judgments: [
              { judge: six[3], a: six[0], b: six[1], outcome: "A" },
              { judge: six[3], a: six[2], b: six[1], outcome: "B" },
              { judge: six[4], a: six[0], b: six[1], outcome: "B" },
              { judge: six[4], a: six[1], b: six[2], outcome: "tie" },
              { judge: six[5], a: six[0], b: six[2], outcome: "unparsable" },
              { judge: six[0], a: six[1], b: six[2], outcome: "A" },
            ],
            assigned: { [six[3]]: 2, [six[4]]: 2, [six[5]]: 1, [six[0]]: 3, [six[1]]: 2 },
          },
        },
        {
          name: "leave-own-judgments-out against a clique",
          input: (() => {
            const [a, b, h1, h2, h3, x1] = six;
            const x2 = eight[0];
            const js: Judgment[] = [
              ...[h1, h2, h3].map((judge) => ({ judge, a, b, outcome: "A" as const })),
              ...[x1, x2].flatMap((judge) => [
                { judge, a: b, b: a, outcome: "A" as const },
                { judge, a, b, outcome: "B" as const },
              ]),
            ];
            const w = ones([h1, h2, h3, x1, x2]);
            const r = aggregate({ answers: [a, b], judgments: js, weights: w });
            return {
              members: [h1, h2, h3, x1, x2].map((x) => m(x, ether(1), 300_000)),
              ranking: r.ranking,
              tiers: r.tiers,
              judgments: js,
              leaveOut: { weights: w },
            };
          })(),
        },
        {
          name: "no separation: nobody who took part moves, an absent member does",
          input: {
            members: [...six.slice(0, 3).map((a) => m(a, ether(1), 250_000)), m(six[5], ether(1), 600_000)],
            ranking: six.slice(0, 3),
            tiers: [six.slice(0, 3)],
            judgments: judgmentsOf(six.slice(0, 3), six.slice(0, 3), six, { tie: six }),
          },
        },
        {
          name: "a lone answer is no separation",
          input: { members: [m(six[0], ether(1), 0)], ranking: [six[0]], judgments: [] },
        },
      ],
    },
    committee: {
      spec: "docs/protocol.md#1-committee-draw",
      cases: [
        {
          name: "eight candidates, unequal stakes and reputations, tau 7",
          input: {
            batchSeed: viemKeccak(toHex("batch")),
            roundId: `0x${"ab".repeat(20)}${"00".repeat(11)}2a`,
            tau: 7,
            totalStake: ether(100 + 200 + 300 + 400 + 500 + 600 + 700 + 5000 + 1234),
            candidates: eight.map((a, i) =>
              m(
                a,
                ether([100, 200, 300, 400, 500, 600, 700, 5000][i]),
                [250_000, 1_000_000, 0, 120_000, 300_000, 250_000, 249_999, 500_000][i],
              ),
            ),
          },
        },
      ],
    },
    commitment: {
      spec: "docs/protocol.md#11-commitments",
      cases: [
        {
          name: "plain answer",
          input: {
            roundId: `0x${"11".repeat(32)}`,
            member: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            answer: "Paris is the capital of France.",
            salt: `0x${"22".repeat(32)}`,
          },
        },
        {
          name: "unicode answer",
          input: {
            roundId: `0x${"11".repeat(32)}`,
            member: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            answer: "Le renard brun — « rapide » 🦊",
            salt: `0x${"33".repeat(32)}`,
          },
        },
        {
          name: "RAG answer commits to its evidence",
          input: {
            roundId: `0x${"11".repeat(32)}`,
            member: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            answer: "Paris.",
            salt: `0x${"44".repeat(32)}`,
            rag: { retrieval: "none", reason: "no sources listed" },
          },
        },
      ],
    },
    canonical: {
      spec: "docs/protocol.md#10-canonical-encoding",
      cases: [
        {
          name: "sorted keys, integers, a float, unicode",
          input: { value: { z: 1, a: [true, null, 'é\n"q"'], m: { b: -7, a: 0.5 }, big: 9007199254740991, f: 1e21 } },
        },
        {
          name: "a judgments body",
          input: {
            value: {
              judgments: [{ a: six[0], b: six[1], outcome: "unparsable", raw: "Once upon a time" }],
              screens: [],
            },
          },
        },
      ],
    },
    envelope: {
      spec: "docs/protocol.md#12-envelopes-eip-712-peermessage",
      cases: [
        {
          name: "a commit",
          input: {
            chainId: 31337,
            registry: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
            kind: "commit",
            roundId: `0x${"ab".repeat(32)}`,
            privateKey: viemKeccak(toHex("chorus-vectors-key-1")),
            body: { commitment: `0x${"cd".repeat(32)}` },
          },
        },
        {
          name: "judgments with an unparsable verdict",
          input: {
            chainId: 1,
            registry: "0x0000000000000000000000000000000000000001",
            kind: "judgments",
            roundId: `0x${"01".repeat(32)}`,
            privateKey: viemKeccak(toHex("chorus-vectors-key-2")),
            body: { judgments: [{ a: six[0], b: six[1], outcome: "unparsable", raw: "??" }], screens: [] },
          },
        },
      ],
    },
    record: {
      spec: "docs/protocol.md#13-the-round-record-eip-712-roundrecord",
      cases: [
        {
          name: "a record with a source",
          input: {
            chainId: 31337,
            settlement: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            privateKey: viemKeccak(toHex("chorus-vectors-key-1")),
            record: {
              roundId: `0x${"ab".repeat(32)}`,
              seed: `0x${"cd".repeat(32)}`,
              period: 7,
              queryCid: `0x${"01".repeat(32)}`,
              transcriptCid: `0x${"02".repeat(32)}`,
              winner: six[1],
              participants: six.slice(0, 3),
              deltas: [50_000, -1234, 0],
              sources: [
                { source: eight[0], reliability: -20_000, usefulness: 3_000, servedCid: `0x${"03".repeat(32)}` },
              ],
            },
          },
        },
      ],
    },
  };
}

/** A rule's vector file from its inputs. */
export function vectorFile(rule: string, spec: string, cases: Case[]): VectorFile {
  return {
    rule,
    spec,
    cases: cases.map((c) => ({
      name: c.name,
      input: c.input,
      expected: JSON.parse(JSON.stringify(COMPUTE[rule](c.input))),
    })),
  };
}
