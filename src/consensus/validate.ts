import { ChorusError } from "../errors.js";
import type { Judgment, Screen } from "./types.js";

/**
 * Rejects malformed judging input with a typed error: a pair naming an unknown answer
 * (CONSENSUS_UNKNOWN_ANSWER), a judge outside the round (CONSENSUS_JUDGE_NOT_IN_ROUND), a judge comparing its
 * own answer (CONSENSUS_OWN_ANSWER), a pair of one answer with itself, a duplicate judgment or screen
 * (CONSENSUS_DUPLICATE_JUDGMENT), an unknown outcome.
 */
export function validateJudging(answers: readonly string[], judges: readonly string[], judgments: readonly Judgment[], screens: readonly Screen[] = []): void {
  const answerSet = new Set(answers);
  const judgeSet = new Set(judges);
  const seen = new Set<string>();
  for (const j of judgments) {
    if (!judgeSet.has(j.judge)) throw new ChorusError("CONSENSUS_JUDGE_NOT_IN_ROUND", `judge ${j.judge} is not in the round`, { judge: j.judge });
    for (const x of [j.a, j.b]) {
      if (!answerSet.has(x)) throw new ChorusError("CONSENSUS_UNKNOWN_ANSWER", `judgment by ${j.judge} names answer ${x}, which the round does not have`, { answer: x });
    }
    if (j.a === j.b) throw new ChorusError("CONSENSUS_BAD_INPUT", `judgment by ${j.judge} compares ${j.a} with itself`);
    if (j.judge === j.a || j.judge === j.b) throw new ChorusError("CONSENSUS_OWN_ANSWER", `${j.judge} judged a pair holding its own answer`, { judge: j.judge });
    if (j.outcome !== "A" && j.outcome !== "B" && j.outcome !== "tie") throw new ChorusError("CONSENSUS_BAD_INPUT", `unknown outcome ${String(j.outcome)}`);
    const key = `${j.judge}|${j.a}|${j.b}`;
    if (seen.has(key)) throw new ChorusError("CONSENSUS_DUPLICATE_JUDGMENT", `${j.judge} judged ${j.a} vs ${j.b} twice`, { judge: j.judge, a: j.a, b: j.b });
    seen.add(key);
  }
  const screened = new Set<string>();
  for (const s of screens) {
    if (!judgeSet.has(s.judge)) throw new ChorusError("CONSENSUS_JUDGE_NOT_IN_ROUND", `judge ${s.judge} is not in the round`, { judge: s.judge });
    if (!answerSet.has(s.answer)) throw new ChorusError("CONSENSUS_UNKNOWN_ANSWER", `screen by ${s.judge} names answer ${s.answer}, which the round does not have`, { answer: s.answer });
    const key = `${s.judge}|${s.answer}`;
    if (screened.has(key)) throw new ChorusError("CONSENSUS_DUPLICATE_JUDGMENT", `${s.judge} screened ${s.answer} twice`);
    screened.add(key);
  }
}
