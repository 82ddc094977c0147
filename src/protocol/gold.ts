/**
 * Gold items on chain and their grading from public data (issue 20). Pure: the caller reads GoldRegistry's
 * events, the settled records and the transcripts (src/chain, src/ipfs) and passes them in.
 *
 * A curator builds a set: each item is { messages (the exact chat it will send), answer key, salt }; its leaf
 * binds keccak256 of the messages' canonical encoding (`goldPromptHash`), the key and the salt
 * (`goldLeaf`, = GoldRegistry.leafOf); the root (`goldTree`) is a sorted-pair Merkle tree, as OpenZeppelin's
 * MerkleProof verifies. After an item's round has settled, the curator reveals it with `goldProof`.
 */
import { concat, encodeAbiParameters, keccak256, toBytes, type Address, type Hex } from "viem";
import { canonicalHash, present } from "../core/index.js";
import { foldGold, gradeGoldRound, standingOf, type GoldGrade, type GoldStandingState } from "../consensus/index.js";
import { productionRules } from "./rules.js";
import { computeResult, type ConsensusRules, type GoldSnapshot, type Transcript } from "./transcript.js";
import type { QueryDoc } from "./wire.js";

/** What identifies a gold item in a round: keccak256 of the dag-json of the query's messages. */
export function goldPromptHash(messages: QueryDoc["messages"]): Hex {
  return canonicalHash(messages);
}

export interface GoldItem {
  promptHash: Hex;
  answer: string;
  salt: Hex;
}

/** GoldRegistry.leafOf: keccak256(bytes.concat(keccak256(abi.encode(chainId, registry, curator, index, promptHash, keccak256(answer), salt)))). */
export function goldLeaf(
  ctx: { chainId: number; registry: Address; curator: Address },
  index: number,
  item: GoldItem,
): Hex {
  const inner = keccak256(
    encodeAbiParameters(
      [
        { type: "uint256" },
        { type: "address" },
        { type: "address" },
        { type: "uint16" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "bytes32" },
      ],
      [
        BigInt(ctx.chainId),
        ctx.registry,
        ctx.curator,
        index,
        item.promptHash,
        keccak256(toBytes(item.answer)),
        item.salt,
      ],
    ),
  );
  return keccak256(inner);
}

const hashPair = (a: Hex, b: Hex): Hex => keccak256(BigInt(a) < BigInt(b) ? concat([a, b]) : concat([b, a]));

/** The sorted-pair Merkle tree over `leaves` (an odd node is carried up as is): layers[0] = leaves, last = [root]. */
export function goldTree(leaves: readonly Hex[]): Hex[][] {
  if (leaves.length === 0) throw new Error("a gold set needs at least one item");
  const layers: Hex[][] = [[...leaves]];
  while (layers[layers.length - 1].length > 1) {
    const prev = layers[layers.length - 1];
    const next: Hex[] = [];
    for (let i = 0; i < prev.length; i += 2) next.push(i + 1 < prev.length ? hashPair(prev[i], prev[i + 1]) : prev[i]);
    layers.push(next);
  }
  return layers;
}

/** The proof of leaf `index` in `goldTree`'s layers (siblings bottom-up). */
export function goldProof(layers: readonly Hex[][], index: number): Hex[] {
  const proof: Hex[] = [];
  let i = index;
  for (let l = 0; l < layers.length - 1; l++) {
    const sib = i ^ 1;
    if (sib < layers[l].length) proof.push(layers[l][sib]);
    i >>= 1;
  }
  return proof;
}

/** One revealed item as GoldRegistry's events and views give it. */
export interface RevealedGold {
  setId: bigint;
  index: number;
  curator: Address;
  promptHash: Hex;
  answer: string;
  /** Block time (s) of the set's commit and of the item's reveal. */
  committedAt: number;
  revealedAt: number;
  /**
   * The weight period of the round the item grades, as the reveal named it (GoldRegistry enforces that it is at
   * least the commit's period + 2). Only a round of that period is graded.
   */
  roundPeriod?: number;
  /** The set was voided by the arbitrator (its grades are ignored). */
  void?: boolean;
}

/** A settled round as the grader sees it: its transcript and when it was drawn and settled (block times, s). */
export interface SettledRound {
  transcript: Transcript;
  /** Timestamp of the round's seed block (the round cannot exist before it). */
  drawnAt: number;
  /** Timestamp of the block that settled its record. */
  settledAt: number;
}

/**
 * The round an item grades: among `rounds` whose query messages hash to the item's prompt, drawn after the set
 * was committed, in the weight period the reveal named (when it names one), and settled before the item was
 * revealed, the first drawn (ties: lowest round id). Later
 * copies of the same prompt (a curator sending it twice, a replay) grade nothing. Undefined when none fits or
 * the set is void.
 */
export function goldRoundOf(item: RevealedGold, rounds: readonly SettledRound[]): SettledRound | undefined {
  if (item.void) return undefined;
  const fits = rounds.filter(
    (r) =>
      r.drawnAt > item.committedAt &&
      r.settledAt <= item.revealedAt &&
      (item.roundPeriod === undefined || r.transcript.committee.period === item.roundPeriod) &&
      goldPromptHash(r.transcript.query.messages) === item.promptHash,
  );
  fits.sort(
    (x, y) =>
      x.drawnAt - y.drawnAt || (x.transcript.roundId.toLowerCase() < y.transcript.roundId.toLowerCase() ? -1 : 1),
  );
  return fits[0];
}

/**
 * Grades a settled round against a revealed key, from the transcript alone: the transcript is verified
 * (`computeResult`: signatures, commitments, assigned pairs) and only what it counted is graded. The curator
 * of the item, if it sat in the committee, is not graded (it knew the key). Members are lower-case addresses.
 */
export function gradeGoldTranscript(
  t: Transcript,
  item: Pick<RevealedGold, "answer" | "curator">,
  rules: ConsensusRules,
): Record<string, GoldGrade> {
  let seen: Parameters<ConsensusRules["aggregate"]>[0] | undefined;
  computeResult(t, {
    ...rules,
    aggregate(input) {
      seen = input;
      return rules.aggregate(input);
    },
  });
  const lower = (a: string) => a.toLowerCase();
  const used = present(seen, "the rules' aggregate input");
  const counted = new Set(used.answers.map(lower));
  const answers: Record<string, string> = {};
  for (const r of t.reveals)
    if (counted.has(lower(r.from))) answers[lower(r.from)] = (r.body as { answer: string }).answer;
  const assignments = (t.requests.judge.body as { assignments: Record<string, [Address, Address][]> }).assignments;
  const grades = gradeGoldRound({
    truth: item.answer,
    members: t.committee.members.map(lower).filter((m) => m !== lower(item.curator)),
    answers,
    judgments: used.judgments.map((j) => ({
      judge: lower(j.judge),
      a: lower(j.a),
      b: lower(j.b),
      outcome: j.outcome,
    })),
    assignments: Object.fromEntries(
      Object.entries(assignments).map(([j, ps]) => [
        lower(j),
        ps.map(([a, b]) => [lower(a), lower(b)] as [string, string]),
      ]),
    ),
  });
  return grades;
}

/** A graded item, as `chorus audit gold` reports it, with what orders it. */
export interface GradedGoldItem {
  curator: Address;
  setId: bigint;
  index: number;
  /** Block time (s) of the item's reveal. */
  revealedAt: number;
  /** Block number of the item's reveal (the cut-off rounds use). */
  revealedBlock?: bigint;
  grades: Readonly<Record<string, GoldGrade>>;
}

/**
 * Each node's gold standing as of `asOf` (block time, s): every graded item revealed strictly before it, folded
 * as `foldStandings` does. Rounds use `goldStandingsAtBlock` (a block cut-off: the seed block).
 */
export function goldStandings(items: readonly GradedGoldItem[], asOf: number): Record<string, number> {
  return foldStandings(items.filter((i) => i.revealedAt < asOf));
}

/**
 * Each node's gold standing as of block `asOfBlock` (production: the round's seed block): every graded item
 * revealed at or before that block, folded as `foldStandings` does. Items without `revealedBlock` are refused.
 */
export function goldStandingsAtBlock(items: readonly GradedGoldItem[], asOfBlock: bigint): Record<string, number> {
  return foldStandings(
    items.filter((i) => {
      if (i.revealedBlock === undefined) throw new Error(`gold item ${i.setId}/${i.index} has no reveal block`);
      return i.revealedBlock <= asOfBlock;
    }),
  );
}

/**
 * The fold both cut-offs share: items in (revealedBlock or revealedAt, setId, index) order, folded per node and
 * curator (`foldGold`), then the median over curators (`standingOf`). Nodes without a graded item are absent.
 */
function foldStandings(items: readonly GradedGoldItem[]): Record<string, number> {
  const ordered = [...items].sort(
    (a, b) =>
      (a.revealedBlock !== undefined && b.revealedBlock !== undefined && a.revealedBlock !== b.revealedBlock
        ? a.revealedBlock < b.revealedBlock
          ? -1
          : 1
        : a.revealedAt - b.revealedAt) || (a.setId < b.setId ? -1 : a.setId > b.setId ? 1 : a.index - b.index),
  );
  const state = new Map<string, GoldStandingState>();
  for (const item of ordered) {
    for (const [node, g] of Object.entries(item.grades)) {
      state.set(node.toLowerCase(), foldGold(state.get(node.toLowerCase()) ?? {}, item.curator, g.target));
    }
  }
  const out: Record<string, number> = {};
  for (const [node, s] of state) {
    const v = standingOf(s);
    if (v !== null) out[node] = v;
  }
  return out;
}

/**
 * The production rules with extra gold standings (lower-case address -> standing) over those of the transcript
 * (its `gold` snapshot, which `computeResult` passes to every rules' aggregate). With an empty `standing` it
 * computes exactly what `productionRules` does.
 */
export function anchoredRules(
  standing: Readonly<Record<string, number>>,
  opts: Parameters<typeof productionRules>[0] = {},
): ConsensusRules {
  const base = productionRules(opts);
  return { ...base, aggregate: (input) => base.aggregate({ ...input, standing: { ...input.standing, ...standing } }) };
}

/**
 * The `gold` snapshot of a round whose seed block is `seedBlock`: the standings (`goldStandingsAtBlock` over
 * every graded item revealed at or before the seed block) of its committee members, keyed as the committee
 * spells them; undefined when no member has one (the transcript then carries no `gold` field).
 */
export function goldSnapshot(
  members: readonly Address[],
  standings: Readonly<Record<string, number>>,
  seedBlock: bigint | string,
): GoldSnapshot | undefined {
  const byLower = new Map(Object.entries(standings).map(([a, v]) => [a.toLowerCase(), v]));
  const out: Record<string, number> = {};
  for (const m of members) {
    const v = byLower.get(m.toLowerCase());
    if (v !== undefined) out[m] = v;
  }
  return Object.keys(out).length ? { asOfBlock: seedBlock.toString(), standings: out } : undefined;
}
