/**
 * The member's checks that need no I/O: deadline freshness, the committee recomputation, the shape of a
 * judge-request against what the member saw, the field-by-field comparison of a transcript with the member's
 * own copies, and per-coordinator token buckets. member.ts runs them in order, cheapest first.
 */
import { isAddressEqual, type Address, type Hex } from "viem";
import { ChorusError, compareAddress, roundIdParts } from "../core/index.js";
import { canonicalBytes } from "../core/index.js";
import { seatsIn, snapshotProblem, type CommitteeSnapshot } from "./draw.js";
import type { AnswerRequest, JudgeRequest } from "../protocol/index.js";
import { excerpt } from "../protocol/index.js";
import type { Envelope } from "../protocol/index.js";
import type { NodeEntry, PeriodWeights } from "./ports.js";
import type { GoldSnapshot, Transcript } from "../protocol/index.js";

export interface MemberLimits {
  /** Oldest seed block accepted, in blocks behind the member's own latest block. */
  maxSeedAgeBlocks: number;
  /** Seed block at most this many blocks ahead of the member's own latest (its RPC may lag). */
  maxSeedLeadBlocks: number;
  /**
   * Sequences a round id may lag behind the highest this member answered for its coordinator (rounds run
   * concurrently; sequences come from the coordinator's reserved batches, src/round/sequencer.ts).
   */
  maxSeqBehind: number;
  /** Clock skew between nodes: deadlines may be this far in the past. */
  maxClockSkewMs: number;
  /** Answer deadline at most this far in the future. */
  maxDeadlineMs: number;
  /** Answer-requests per coordinator: sustained rate and burst (token bucket). */
  answersPerSecond: number;
  answerBurst: number;
  /** How long the cached set of active nodes (for the cheap sender check) is trusted. */
  activeCacheMs: number;
}

export const DEFAULT_MEMBER_LIMITS: MemberLimits = {
  // a batch's seed block serves its rounds for up to two weight periods (ISettlement)
  maxSeedAgeBlocks: 10_000,
  maxSeedLeadBlocks: 2,
  maxSeqBehind: 1_024,
  maxClockSkewMs: 5_000,
  maxDeadlineMs: 600_000,
  answersPerSecond: 50,
  answerBurst: 100,
  activeCacheMs: 5_000,
};

export function checkDeadline(deadline: number, now: number, limits: MemberLimits): void {
  if (deadline < now - limits.maxClockSkewMs || deadline > now + limits.maxDeadlineMs) {
    throw new ChorusError(
      "PEER_BAD_ROUND_TIME",
      `answer deadline ${deadline} is in the past or more than ${limits.maxDeadlineMs} ms ahead`,
      { deadline, now },
    );
  }
}

/**
 * A round id whose sequence is at or below its coordinator's last sequence closed on chain (settled or voided)
 * can never settle: a coordinator sending one replays or reuses it. Throws PEER_REPLAYED.
 */
export function checkAboveClosed(roundId: Hex, closedThrough: bigint): void {
  const { seq } = roundIdParts(roundId);
  if (seq <= closedThrough) {
    throw new ChorusError(
      "PEER_REPLAYED",
      `round ${roundId} has sequence ${seq}, not above its coordinator's last closed sequence ${closedThrough} on chain`,
      {
        roundId,
        seq: seq.toString(),
        closedThrough: closedThrough.toString(),
      },
    );
  }
}

const lower = (a: string) => a.toLowerCase();

/** The candidate snapshot as the answer-request carries it, from the member's own directory read. */
export function snapshotOf(nodes: readonly NodeEntry[]): AnswerRequest["candidates"] {
  return nodes.map((c) => ({ address: c.address, stake: c.stake.toString(), reputation: c.reputation }));
}

/** `v` as JSON, or undefined where JSON has no text for it (undefined, a function): JSON.stringify's lib type omits that. */
function jsonOf(v: unknown): string | undefined {
  return JSON.stringify(v);
}

/**
 * The first place where `got` differs from `expected` (dotted path, both leaf values as short excerpts), or
 * undefined when they are equal. Addresses and hex compare case-insensitively.
 */
export function firstDifference(
  expected: unknown,
  got: unknown,
  path: string,
): { field: string; expected: string; got: string } | undefined {
  const leaf = (v: unknown) => excerpt(typeof v === "string" ? v : (jsonOf(v) ?? "undefined"), 100);
  if (typeof expected === "string" && typeof got === "string") {
    const same = /^0x[0-9a-fA-F]*$/.test(expected) ? lower(expected) === lower(got) : expected === got;
    return same ? undefined : { field: path, expected: leaf(expected), got: leaf(got) };
  }
  if (Array.isArray(expected) && Array.isArray(got)) {
    if (expected.length !== got.length)
      return { field: `${path}.length`, expected: String(expected.length), got: String(got.length) };
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(expected[i], got[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (
    expected &&
    got &&
    typeof expected === "object" &&
    typeof got === "object" &&
    !Array.isArray(expected) &&
    !Array.isArray(got)
  ) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(got)])].sort();
    for (const k of keys) {
      const d = firstDifference(
        (expected as Record<string, unknown>)[k],
        (got as Record<string, unknown>)[k],
        `${path}.${excerpt(k, 40)}`,
      );
      if (d) return d;
    }
    return undefined;
  }
  return expected === got ? undefined : { field: path, expected: leaf(expected), got: leaf(got) };
}

/** Canonical (key-order independent) equality of two JSON-like values. */
export function sameDocument(a: unknown, b: unknown): boolean {
  return Buffer.from(canonicalBytes(a)).equals(Buffer.from(canonicalBytes(b)));
}

const byAddress = (a: { address: string }, b: { address: string }) => compareAddress(a.address, b.address);

/**
 * Checks the committee of an answer-request against the member's own reads: the snapshot is the draw of its own
 * weights and seeds (src/round/draw.ts), its weights (candidates, total stake, tau, minimum committee) are the
 * ones this member reads for the batch's weight period, and this member holds a seat. Throws PEER_NOT_DRAWN or
 * PEER_BAD_COMMITTEE {field, expected, got}.
 */
export function checkCommittee(roundId: Hex, req: AnswerRequest, own: PeriodWeights, me: Address): void {
  const snapshot = requestSnapshot(req);
  const problem = snapshotProblem(roundId, snapshot);
  if (problem) throw new ChorusError("PEER_NOT_DRAWN", `answer request of round ${roundId}: ${problem}`);
  const mine = {
    totalStake: own.totalStake.toString(),
    size: own.tau,
    minCommittee: own.minCommittee,
    candidates: [...snapshotOf(own.candidates)].sort(byAddress),
  };
  const theirs = {
    totalStake: req.totalStake,
    size: req.committeeSize,
    minCommittee: req.minCommittee,
    candidates: [...req.candidates].sort(byAddress),
  };
  const d = firstDifference(mine, theirs, "committee");
  if (d)
    throw new ChorusError(
      "PEER_BAD_COMMITTEE",
      `committee weights differ from this member's own read at ${d.field}`,
      d,
    );
  if (seatsIn(snapshot, me) === 0n)
    throw new ChorusError("PEER_NOT_DRAWN", `${me} was not drawn for this round`, { member: me });
}

/** The committee snapshot an answer request carries (src/round/draw.ts checks it is its own draw). */
export function requestSnapshot(req: AnswerRequest): CommitteeSnapshot {
  return {
    seedBlock: req.seedBlock as CommitteeSnapshot["seedBlock"],
    seed: req.seed as Hex,
    period: req.period,
    size: req.committeeSize,
    totalStake: req.totalStake,
    minCommittee: req.minCommittee,
    candidates: req.candidates as CommitteeSnapshot["candidates"],
    members: req.committee as Address[],
    seats: req.seats,
  };
}

/**
 * A judge-request may only carry answers of members that committed (the closed set this member received),
 * at most one per committee member, must carry this member's own answer unaltered, and may only assign
 * pairs of answers it carries to judges among them. Throws PEER_BAD_JUDGE_REQUEST.
 */
export function checkJudgeRequest(
  req: JudgeRequest,
  ctx: { commitments: Record<string, Hex>; committee: readonly string[]; me: Address; myAnswer: string },
): void {
  const bad = (msg: string, details: Record<string, unknown> = {}) =>
    new ChorusError("PEER_BAD_JUDGE_REQUEST", msg, details);
  const committed = new Set(Object.keys(ctx.commitments).map(lower));
  const answers = Object.keys(req.answers);
  if (answers.length > ctx.committee.length)
    throw bad(`carries ${answers.length} answers for a committee of ${ctx.committee.length}`, {
      answers: answers.length,
    });
  const seen = new Set<string>();
  for (const a of answers) {
    const k = lower(a);
    if (!committed.has(k) || seen.has(k))
      throw bad(`carries an answer of ${excerpt(a, 42)}, which did not commit in this round`, {
        member: excerpt(a, 42),
      });
    seen.add(k);
  }
  const mine = Object.entries(req.answers).find(([a]) => isAddressEqual(a as Address, ctx.me))?.[1];
  if (mine !== ctx.myAnswer) throw bad("does not carry my revealed answer unaltered");
  for (const [judge, pairs] of Object.entries(req.assignments)) {
    if (!seen.has(lower(judge))) throw bad(`assigns pairs to ${excerpt(judge, 42)}, who has no answer in this round`);
    for (const [a, b] of pairs) {
      if (!seen.has(lower(a)) || !seen.has(lower(b)) || lower(a) === lower(b))
        throw bad("assigns a pair of answers the request does not carry");
    }
    if (pairs.length > answers.length * (answers.length - 1))
      throw bad(`assigns ${pairs.length} pairs among ${answers.length} answers`);
  }
}

/** Per-key token buckets (one per coordinator). */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {}

  private refill(key: string): { tokens: number; at: number } {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    return b;
  }

  /** Whether a token is available (does not take it: an unsigned claim must not drain another's bucket). */
  has(key: string): boolean {
    return this.refill(key).tokens >= 1;
  }

  /** Takes a token or throws PEER_RATE_LIMITED. */
  take(key: string): void {
    const b = this.refill(key);
    if (b.tokens < 1) {
      throw new ChorusError(
        "PEER_RATE_LIMITED",
        `coordinator ${key} sent more than ${this.ratePerSecond} answer-requests a second (burst ${this.burst}); retry later`,
        {
          coordinator: key,
          retryAfterMs: Math.ceil(((1 - b.tokens) / this.ratePerSecond) * 1000),
        },
      );
    }
    b.tokens -= 1;
  }
}

/**
 * The transcript's round, chain, registry, coordinator, query, committee and requests must be exactly what
 * the member received in the signed requests and verified itself (a judge-request only when it got one).
 * Throws PEER_TRANSCRIPT_MISMATCH naming the first differing field, with both values (short excerpts).
 */
export function checkTranscript(
  t: Transcript,
  own: {
    roundId: Hex;
    chainId: number;
    registry: Address;
    coordinator: Address;
    request: AnswerRequest;
    requests: { answer: Envelope; reveal: Envelope; judge?: Envelope };
  },
): void {
  const req = own.request;
  const judge = own.requests.judge;
  const expected = {
    roundId: own.roundId,
    chainId: own.chainId,
    registry: own.registry,
    coordinator: own.coordinator,
    queryCid: req.queryCid,
    query: req.query,
    committee: {
      seedBlock: req.seedBlock,
      seed: req.seed,
      period: req.period,
      size: req.committeeSize,
      totalStake: req.totalStake,
      minCommittee: req.minCommittee,
      candidates: req.candidates,
      members: req.committee,
      seats: req.seats,
    },
    requests: { answer: own.requests.answer, reveal: own.requests.reveal, ...(judge ? { judge } : {}) },
  };
  const got = {
    roundId: t.roundId,
    chainId: t.chainId,
    registry: t.registry,
    coordinator: t.coordinator,
    queryCid: t.queryCid,
    query: t.query,
    committee: t.committee,
    requests: { answer: t.requests.answer, reveal: t.requests.reveal, ...(judge ? { judge: t.requests.judge } : {}) },
  };
  const d = firstDifference(expected, got, "transcript");
  if (d) {
    throw new ChorusError(
      "PEER_TRANSCRIPT_MISMATCH",
      `${d.field} differs from what I verified: expected ${d.expected}, got ${d.got}`,
      { ...d, field: d.field.replace(/^transcript\./, "") },
    );
  }
}

/**
 * The transcript's gold standings (issue 20) must be exactly the snapshot this member computed from public data
 * as of the round's seed block (`goldSnapshot` over its own `GoldStandingsPort`), or absent when it computed
 * none: a coordinator can neither omit, forge nor re-time them. A member without a standings port cannot check
 * any and refuses a transcript that carries some. Throws PEER_BAD_STANDINGS naming the first difference.
 */
export function checkGoldStandings(t: Pick<Transcript, "gold">, expected: GoldSnapshot | undefined): void {
  const d = firstDifference(expected ?? null, t.gold ?? null, "gold");
  if (d) {
    throw new ChorusError(
      "PEER_BAD_STANDINGS",
      `the transcript's gold standings are not the public ones as of its seed block: ${d.field} expected ${d.expected}, got ${d.got}`,
      { ...d },
    );
  }
}

/** Deletes `map`'s oldest entries (insertion order) until it holds fewer than `max` (or is empty). */
export function evictOldest(map: Map<unknown, unknown>, max: number): void {
  for (const key of map.keys()) {
    if (map.size < max) return;
    map.delete(key);
  }
}
