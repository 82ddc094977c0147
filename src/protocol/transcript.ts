/**
 * The round transcript (stored on IPFS) and the pure functions over it that the coordinator, every member
 * and any auditor run alike: extracting the verified judgments and recomputing the consensus result.
 */
import { isAddressEqual, type Address, type Hex } from "viem";
import { ChorusError } from "../core/index.js";
import { verifyEnvelope, type Envelope, type PeerDomain } from "./envelope.js";
import { revealMatches } from "./commitment.js";
import type { JudgedOutcome } from "./wire.js";
import { RagEvidence as RagEvidenceSchema, type QueryDoc, type RagEvidence } from "./wire.js";
import type { SettlementDomain } from "../core/index.js";
import type { CommitteeSnapshot } from "./committee.js";
import { checkEvidence, queryTextOf, roundSources, type RagAnswer, type RoundSource } from "./rag-evidence.js";

export const TRANSCRIPT_TYPE = "chorus/transcript@1";

export interface Exclusion {
  member: Address;
  phase: "answer" | "reveal" | "judge" | "sign";
  reason: string;
  evidence?: Envelope | null;
}

export interface Judgment {
  judge: Address;
  a: Address;
  b: Address;
  outcome: JudgedOutcome;
}

export interface Screen {
  judge: Address;
  answer: Address;
  verdict: "GOOD" | "BAD";
}

export interface Participant {
  address: Address;
  stake: bigint;
  reputation: number;
}

export interface RoundResult {
  /** Consensus score per answer (member address), higher is better; integers (strength x 1e6). */
  scores: Record<string, number>;
  /** Answers best first. */
  ranking: Address[];
  winner: Address;
  /** Reputation delta per committee member, integer fixed point, |delta| <= 50_000. */
  deltas: Record<string, number>;
  /**
   * RAG rounds only: each data source's reliability and usefulness deltas (sorted by address, no all-zero
   * entries) with the served document and source signature its settlement record entry carries.
   */
  sources?: RoundSource[];
}

/** The consensus rules a round runs under (src/consensus supplies them). */
export interface ConsensusRules {
  /** Whether judges also GOOD/BAD-screen each answer. */
  screen: boolean;
  schedule(input: { answers: Address[]; judges: Address[]; seed: Hex }): Record<string, [Address, Address][]>;
  aggregate(input: {
    answers: Address[];
    members: Participant[];
    judgments: Judgment[];
    screens: Screen[];
    excluded: Address[];
    seed: Hex;
    /**
     * Comparisons each judge was assigned (the judge-request's assignments): an assigned comparison without
     * a judgment is a missing verdict, which the reputation rule scores as uninformative.
     */
    assigned?: Record<string, number>;
    /**
     * Gold standing per member (lower-case address), as the transcript's `gold` snapshot carries it: the
     * truth-anchored rule (src/consensus/gold.ts) mixes it into each member's target. Absent: today's rule.
     */
    standing?: Record<string, number>;
  }): RoundResult;
}

/**
 * The gold standings a round used (issue 20): each committee member's standing (src/protocol/gold.ts
 * `goldStandingsAtBlock`) from every gold item revealed at or before the round's seed block, graded from
 * settled transcripts. `asOfBlock` is that seed block (a coordinator cannot pick another cut-off); members
 * without a standing are absent, and a round where no member has one carries no `gold` field at all (so
 * transcripts of swarms without gold are byte-identical to those before it).
 */
export interface GoldSnapshot {
  asOfBlock: string;
  standings: Record<string, number>;
}

export interface Transcript {
  type: typeof TRANSCRIPT_TYPE;
  roundId: Hex;
  chainId: number;
  registry: Address;
  coordinator: Address;
  queryCid: string;
  query: QueryDoc;
  /** The draw (src/round/draw.ts): batch seed block, round seed, period, weights snapshot, members and seats. */
  committee: CommitteeSnapshot;
  requests: { answer: Envelope; reveal: Envelope; judge: Envelope };
  commits: Envelope[];
  reveals: Envelope[];
  judgments: Envelope[];
  excluded: Exclusion[];
  /** The gold standings the deltas used; absent when no member had one. */
  gold?: GoldSnapshot;
  result: RoundResult;
}

/**
 * Recomputes the result from the signed material in the transcript: checks every envelope's signature and
 * round binding, every reveal against its commitment (and, in a RAG round, its retrieval evidence: the
 * seeded draw, each served document's binding and source signature under `serviceDomain`, the rerank),
 * keeps only judgments of assigned pairs, then runs the consensus rules and, in a RAG round, derives the
 * sources' deltas. Throws ChorusError ROUND_BAD_TRANSCRIPT when the material itself is inconsistent, and
 * ROUND_RULES_FAILED (a server error, cause attached) when the rules throw on material that checked out.
 */
export function computeResult(
  t: Transcript,
  rules: ConsensusRules,
  opts: { known?: readonly Envelope[]; skipCommitSignatures?: boolean; serviceDomain?: SettlementDomain } = {},
): RoundResult {
  const domain: PeerDomain = { chainId: t.chainId, registry: t.registry };
  const members = t.committee.members;
  // Envelopes the caller already verified (a member's own messages and the requests it received) are
  // recognised by their exact JSON and not verified again.
  const known = new Set((opts.known ?? []).map((e) => JSON.stringify(e)));
  const check = <B>(env: Envelope<B>, kind: string, allowed: readonly Address[]) => {
    if (env.kind === kind && known.has(JSON.stringify(env))) return env;
    try {
      return verifyEnvelope(domain, env, { kind, roundId: t.roundId, allowed });
    } catch (err) {
      throw new ChorusError(
        "ROUND_BAD_TRANSCRIPT",
        `transcript holds a bad ${kind} message: ${(err as Error).message}`,
        { kind },
      );
    }
  };
  check(t.requests.answer, "answer-request", [t.coordinator]);
  check(t.requests.reveal, "reveal-request", [t.coordinator]);
  check(t.requests.judge, "judge-request", [t.coordinator]);
  const commitments = (t.requests.reveal.body as { commitments: Partial<Record<string, Hex>> }).commitments;
  for (const c of t.commits) {
    // A member deciding whether to sign may skip these: the coordinator-signed closed set fixes the
    // commitments and each reveal is signed by its member. Auditors check them all.
    if (!opts.skipCommitSignatures) check(c, "commit", members);
    if ((c.body as { commitment: Hex }).commitment !== commitments[c.from]) {
      throw new ChorusError("ROUND_BAD_TRANSCRIPT", `commitment of ${c.from} differs from the closed set`, {
        member: c.from,
      });
    }
  }
  const answers: Address[] = [];
  const ragAnswers: RagAnswer[] = [];
  for (const r of t.reveals) {
    check(r, "reveal", members);
    const body = r.body as { answer: string; salt: Hex; rag?: RagEvidence };
    const commitment = commitments[r.from];
    if (!commitment || !revealMatches(t.roundId, r.from, commitment, body.answer, body.salt, body.rag)) {
      throw new ChorusError("ROUND_BAD_TRANSCRIPT", `reveal of ${r.from} does not match its commitment`, {
        member: r.from,
      });
    }
    const problem = ragProblem(t, r.from, body.rag, opts.serviceDomain);
    if (problem.error) throw new ChorusError("ROUND_BAD_TRANSCRIPT", problem.error, { member: r.from });
    if (t.query.rag)
      ragAnswers.push({
        member: r.from,
        text: body.answer,
        used: problem.used,
        served: body.rag?.retrieval === "sources" ? body.rag.served : [],
      });
    answers.push(r.from);
  }
  const judgeBody = t.requests.judge.body as { assignments: Record<string, [Address, Address][]> };
  const judgments: Judgment[] = [];
  const screens: Screen[] = [];
  for (const env of t.judgments) {
    check(env, "judgments", members);
    const assigned = new Set((judgeBody.assignments[env.from] ?? []).map(([a, b]) => `${a}|${b}`.toLowerCase()));
    const body = env.body as {
      judgments: { a: Address; b: Address; outcome: JudgedOutcome }[];
      screens: { answer: Address; verdict: "GOOD" | "BAD" }[];
    };
    for (const j of body.judgments) {
      if (assigned.delete(`${j.a}|${j.b}`.toLowerCase()))
        judgments.push({ judge: env.from, a: j.a, b: j.b, outcome: j.outcome });
    }
    for (const s of body.screens) {
      if (answers.some((a) => isAddressEqual(a, s.answer)) && !isAddressEqual(s.answer, env.from)) {
        screens.push({ judge: env.from, answer: s.answer, verdict: s.verdict });
      }
    }
  }
  const candidates = new Map(t.committee.candidates.map((c) => [c.address.toLowerCase(), c]));
  const participants: Participant[] = members.map((m) => {
    const c = candidates.get(m.toLowerCase());
    if (!c) throw new ChorusError("ROUND_BAD_TRANSCRIPT", `member ${m} is not among the candidates`, { member: m });
    return { address: m, stake: BigInt(c.stake), reputation: c.reputation };
  });
  const excluded = members.filter((m) => !answers.some((a) => isAddressEqual(a, m)));
  const assigned: Record<string, number> = {};
  for (const m of members) {
    const list = Object.entries(judgeBody.assignments).find(([j]) => isAddressEqual(j as Address, m))?.[1];
    if (list && list.length > 0) assigned[m] = list.length;
  }
  const standing = goldStandingOf(t);
  let result: RoundResult;
  try {
    result = rules.aggregate({
      answers,
      members: participants,
      judgments,
      screens,
      excluded,
      seed: t.committee.seed,
      assigned,
      ...(standing ? { standing } : {}),
    });
  } catch (err) {
    // The material checked out, so a throw here is a fault of the rules (or of their input validation), never
    // the client's: one typed server error, with the rules' own error as its cause, that the gateway logs.
    const inner =
      err instanceof ChorusError
        ? `${err.code}: ${err.message}`
        : String((err as Error | null | undefined)?.message ?? err);
    throw new ChorusError(
      "ROUND_RULES_FAILED",
      `the consensus rules failed on round ${t.roundId}: ${inner}`,
      { roundId: t.roundId },
      { cause: err },
    );
  }
  return t.query.rag
    ? { ...result, sources: roundSources(ragAnswers, result.scores, result.winner, queryTextOf(t.query.messages)) }
    : result;
}

/**
 * The transcript's gold standings by lower-case member address, or undefined without a `gold` field. Throws
 * ROUND_BAD_TRANSCRIPT when the snapshot is not well formed: its cut-off is not the round's seed block, it is
 * empty, it names a non-member, or a standing is not an integer in [-1e6, 1e6]. (Whether the standings are the
 * public ones is checked against the chain by members and auditors: `goldStandingsAtBlock`.)
 */
export function goldStandingOf(t: Pick<Transcript, "gold" | "committee">): Record<string, number> | undefined {
  if (t.gold === undefined) return undefined;
  const bad = (why: string): never => {
    throw new ChorusError("ROUND_BAD_TRANSCRIPT", `transcript gold standings ${why}`, { field: "gold" });
  };
  if (t.gold.asOfBlock !== t.committee.seedBlock.number)
    bad(`are as of block ${t.gold.asOfBlock}, not the round's seed block ${t.committee.seedBlock.number}`);
  const members = new Set(t.committee.members.map((m) => m.toLowerCase()));
  const out: Record<string, number> = {};
  for (const [node, v] of Object.entries(t.gold.standings)) {
    if (!members.has(node.toLowerCase())) bad(`name ${node}, who is not a member`);
    if (!Number.isSafeInteger(v) || v < -1_000_000 || v > 1_000_000) bad(`give ${node} ${v}, not in [-1e6, 1e6]`);
    out[node.toLowerCase()] = v;
  }
  if (Object.keys(out).length === 0) bad("are empty (a round without standings carries no gold field)");
  return out;
}

/**
 * What is wrong with a reveal's retrieval evidence (`error`, else the contexts it used): evidence in a round
 * that did not ask for retrieval, or evidence that does not check (see rag.ts `checkEvidence`). A reveal of
 * a RAG round without evidence answered from the model alone. The coordinator excludes such a member the way
 * it excludes a reveal that does not match its commitment.
 */
export function ragProblem(
  t: { roundId: Hex; queryCid: string; query: { rag: boolean }; committee: { seed: Hex } },
  member: Address,
  rag: RagEvidence | undefined,
  serviceDomain: SettlementDomain | undefined,
): { error?: string; used: RoundSourceContext[] } {
  if (rag === undefined) return { used: [] };
  if (!t.query.rag)
    return { error: `reveal of ${member} carries retrieval evidence in a round without retrieval`, used: [] };
  const parsed = RagEvidenceSchema.safeParse(rag);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return { error: `retrieval evidence of ${member} is malformed at ${i.path.join(".")}: ${i.message}`, used: [] };
  }
  try {
    return {
      used: checkEvidence(
        { roundId: t.roundId, queryCid: t.queryCid, seed: t.committee.seed, member, domain: serviceDomain },
        parsed.data,
      ),
    };
  } catch (err) {
    if (err instanceof ChorusError && err.code === "ROUND_BAD_EVIDENCE") return { error: err.message, used: [] };
    throw err;
  }
}

type RoundSourceContext = RagAnswer["used"][number];
