import { ChorusError } from "../errors.js";
import { fitBradleyTerry, type FitOptions } from "./bradley-terry.js";
import type { Aggregate, Judgment, NodeId, Screen } from "./types.js";
import { validateJudging } from "./validate.js";

export interface AggregateInput {
  /** Answer ids (node addresses); the order does not matter. */
  answers: readonly NodeId[];
  judgments: readonly Judgment[];
  screens?: readonly Screen[];
  /** Weight per judge; a judge missing here is outside the round. Use all 1s for unweighted BT. */
  weights: Readonly<Record<NodeId, number>>;
  fit?: FitOptions;
}

/**
 * Reputation-weighted Bradley–Terry: each judgment counts with its judge's weight. Answers that the weighted
 * GOOD/BAD screen calls BAD (more BAD than GOOD weight) rank after every GOOD answer; within each group answers
 * rank by strength, ties by id. Deterministic: answers are sorted by id and comparisons canonically before
 * fitting, so arrival order never matters.
 */
export function aggregate(input: AggregateInput): Aggregate {
  const answers = [...input.answers].sort();
  if (answers.length === 0) throw new ChorusError("CONSENSUS_NO_ANSWERS", "a round needs at least one answer");
  if (new Set(answers).size !== answers.length) throw new ChorusError("CONSENSUS_BAD_INPUT", "an answer id is listed twice");
  const judges = Object.keys(input.weights);
  validateJudging(answers, judges, input.judgments, input.screens ?? []);
  const index = new Map(answers.map((a, i) => [a, i]));
  const { strengths, iterations } = fitBradleyTerry(
    answers.length,
    input.judgments.map((j) => ({ a: index.get(j.a)!, b: index.get(j.b)!, outcome: j.outcome, weight: input.weights[j.judge] ?? 0 })),
    input.fit,
  );
  const bad = new Set<NodeId>();
  if (input.screens?.length) {
    const tally = new Map<NodeId, number>();
    const sortedScreens = [...input.screens].sort((x, y) => (x.answer + x.judge < y.answer + y.judge ? -1 : 1));
    for (const s of sortedScreens) tally.set(s.answer, (tally.get(s.answer) ?? 0) + (s.verdict === "BAD" ? 1 : -1) * (input.weights[s.judge] ?? 0));
    for (const [a, t] of tally) if (t > 0) bad.add(a);
  }
  const scores = Object.fromEntries(answers.map((a, i) => [a, strengths[i]]));
  const ranking = [...answers].sort((x, y) => Number(bad.has(x)) - Number(bad.has(y)) || scores[y] - scores[x] || (x < y ? -1 : 1));
  return { scores, ranking, winner: ranking[0], iterations };
}
