import { ChorusError, present } from "../core/index.js";
import { fitBradleyTerry, type FitOptions } from "./bradley-terry.js";
import { screenedOut } from "./screen.js";
import type { Aggregate, Judgment, NodeId, Screen } from "./types.js";
import { validateJudging, validateWeights } from "./validate.js";

/** Strengths are compared (and kept in transcripts) at this resolution: `Math.round(strength * SCORE_SCALE)`. */
export const SCORE_SCALE = 1_000_000;

/** The integer a strength is ranked by: `Math.round(strength * SCORE_SCALE)` (exact IEEE operations). */
export function scoreKey(strength: number): number {
  return Math.round(strength * SCORE_SCALE);
}

export interface AggregateInput {
  /** Answer ids (node addresses, lower-case); the order does not matter. */
  answers: readonly NodeId[];
  judgments: readonly Judgment[];
  /** Optional GOOD/BAD screens. */
  screens?: readonly Screen[];
  /**
   * Weight per judge (finite, >= 0); a judge missing here is outside the round. `judgeWeights` gives the
   * production weights, `uniformWeights` the unweighted baseline.
   */
  weights: Readonly<Record<NodeId, number>>;
  fit?: FitOptions;
}

/**
 * Reputation-weighted Bradley–Terry over one round: validates the input (typed errors, see `validateJudging`),
 * fits the strengths with every judgment weighted by its judge's weight, applies the weighted GOOD/BAD screen,
 * and ranks: screened-in answers before screened-out ones, then by strength at 1e-6 resolution (`scoreKey`),
 * then by id. Answers whose group and resolved strength are equal form one tier.
 *
 * Deterministic: answers are indexed in id order and the fit sorts the comparisons canonically, so neither the
 * order of `answers` nor the arrival order of judgments or screens changes a bit of the result, and a judge of
 * weight 0 changes nothing. Throws CONSENSUS_NO_ANSWERS, CONSENSUS_BAD_INPUT (repeated answer id),
 * CONSENSUS_BAD_WEIGHT and every code of `validateJudging`.
 */
export function aggregate(input: AggregateInput): Aggregate {
  const answers = [...input.answers].sort();
  if (answers.length === 0) throw new ChorusError("CONSENSUS_NO_ANSWERS", "a round needs at least one answer");
  for (let i = 1; i < answers.length; i++) {
    if (answers[i] === answers[i - 1])
      throw new ChorusError("CONSENSUS_BAD_INPUT", `answer ${answers[i]} is listed twice`, { answer: answers[i] });
  }
  validateWeights(input.weights);
  validateJudging(answers, Object.keys(input.weights), input.judgments, input.screens ?? []);
  const index = new Map(answers.map((a, i) => [a, i]));
  // An unparsable judgment carries no evidence: it is left out of the fit (it is not a tie).
  const comparisons = [];
  for (const j of input.judgments) {
    if (j.outcome !== "unparsable")
      comparisons.push({
        a: present(index.get(j.a), "answer"),
        b: present(index.get(j.b), "answer"),
        outcome: j.outcome,
        weight: input.weights[j.judge],
      });
  }
  const fit = fitBradleyTerry(answers.length, comparisons, input.fit);
  const bad = screenedOut(input.screens ?? [], input.weights);
  const isBad = new Set(bad);
  const scores: Record<NodeId, number> = {};
  const key = new Map<NodeId, number>();
  answers.forEach((a, i) => {
    scores[a] = fit.strengths[i];
    key.set(a, scoreKey(fit.strengths[i]));
  });
  const group = (a: NodeId) => (isBad.has(a) ? 1 : 0);
  const ranking = [...answers].sort(
    (x, y) => group(x) - group(y) || present(key.get(y), "answer") - present(key.get(x), "answer") || (x < y ? -1 : 1),
  );
  const tiers: NodeId[][] = [];
  for (let i = 0; i < ranking.length; i++) {
    const a = ranking[i];
    const prev = ranking[i - 1];
    if (i > 0 && group(a) === group(prev) && key.get(a) === key.get(prev)) tiers[tiers.length - 1].push(a);
    else tiers.push([a]);
  }
  return { scores, ranking, tiers, winner: ranking[0], screenedOut: bad, iterations: fit.iterations };
}
