/** Answers and judges are identified by node addresses (lower-case 0x hex). */
export type NodeId = string;

/** A pairwise verdict: the answer shown first (`A`), the one shown second (`B`), or neither (`tie`). */
export type Outcome = "A" | "B" | "tie";
/**
 * What a judgment records: a verdict, or `unparsable` when the judge's model gave no readable verdict. An
 * unparsable judgment carries no evidence: the fit leaves it out, and it scores its judge at chance (J = 0).
 */
export type JudgedOutcome = Outcome | "unparsable";
/** A screen verdict: is this a genuine, complete attempt? */
export type Verdict = "GOOD" | "BAD";

/** One pairwise judgment: `judge` compared answer `a` (shown first) with answer `b` (shown second). */
export interface Judgment {
  judge: NodeId;
  a: NodeId;
  b: NodeId;
  outcome: JudgedOutcome;
}

/** One GOOD/BAD screen of an answer by a judge. */
export interface Screen {
  judge: NodeId;
  answer: NodeId;
  verdict: Verdict;
}

/** A committee member as the consensus sees it. */
export interface Member {
  address: NodeId;
  /** Stake in token wei. */
  stake: bigint;
  /** Reputation, an integer in [0, REP_SCALE]. */
  reputation: number;
}

/** The result of aggregating one round's judgments. */
export interface Aggregate {
  /** Bradley–Terry strength per answer, normalised to sum to the number of answers. */
  scores: Record<NodeId, number>;
  /**
   * Answers best first: answers the weighted screen passed before those it called BAD; within each group by
   * strength (compared at the 1e-6 resolution transcripts keep, see `scoreKey`), equal strengths by id.
   */
  ranking: NodeId[];
  /**
   * The ranking cut into groups the consensus cannot tell apart (same screen result, same strength at 1e-6
   * resolution), best group first. Reputation gives every answer of a group the same (mean) place.
   */
  tiers: NodeId[][];
  /** `ranking[0]`. */
  winner: NodeId;
  /** Answers the weighted GOOD/BAD screen called BAD (sorted by id); empty without screens. */
  screenedOut: NodeId[];
  /** Iterations the MM fit ran. */
  iterations: number;
}
