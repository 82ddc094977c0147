/** Answers and judges are identified by node addresses (lower-case 0x hex). */
export type NodeId = string;

export type Outcome = "A" | "B" | "tie";
export type Verdict = "GOOD" | "BAD";

/** One pairwise judgment: `judge` compared answer `a` (shown first) with answer `b`. */
export interface Judgment {
  judge: NodeId;
  a: NodeId;
  b: NodeId;
  outcome: Outcome;
}

/** One GOOD/BAD screen of an answer by a judge. */
export interface Screen {
  judge: NodeId;
  answer: NodeId;
  verdict: Verdict;
}

export interface Member {
  address: NodeId;
  /** Stake in token wei. */
  stake: bigint;
  /** Reputation in [0, REP_SCALE]. */
  reputation: number;
}

export interface Aggregate {
  /** Bradley–Terry strength per answer, normalised to sum to the number of answers. */
  scores: Record<NodeId, number>;
  /** Answers best first (GOOD-screened before BAD-screened; ties by id). */
  ranking: NodeId[];
  winner: NodeId;
  /** Iterations the MM fit ran. */
  iterations: number;
}
