import { ChorusError } from "../core/index.js";
import { REP_SCALE } from "./fixed.js";
import type { Judgment, Member, Screen } from "./types.js";

/**
 * Rejects malformed judging input with a typed ChorusError:
 * - CONSENSUS_JUDGE_NOT_IN_ROUND: a judgment or screen by a judge outside the round;
 * - CONSENSUS_UNKNOWN_ANSWER: a pair or screen naming an answer the round does not have;
 * - CONSENSUS_OWN_ANSWER: a judge comparing a pair that holds its own answer;
 * - CONSENSUS_DUPLICATE_JUDGMENT: the same judge judging the same ordered pair twice, or screening the same
 *   answer twice (the two orders of a pair are two different comparisons);
 * - CONSENSUS_BAD_INPUT: an answer compared with itself, an unknown outcome or verdict.
 */
export function validateJudging(
  answers: readonly string[],
  judges: readonly string[],
  judgments: readonly Judgment[],
  screens: readonly Screen[] = [],
): void {
  const answerSet = new Set(answers);
  const judgeSet = new Set(judges);
  const seen = new Set<string>();
  for (const j of judgments) {
    if (!judgeSet.has(j.judge))
      throw new ChorusError("CONSENSUS_JUDGE_NOT_IN_ROUND", `judge ${j.judge} is not in the round`, { judge: j.judge });
    for (const x of [j.a, j.b]) {
      if (!answerSet.has(x))
        throw new ChorusError(
          "CONSENSUS_UNKNOWN_ANSWER",
          `judgment by ${j.judge} names answer ${x}, which the round does not have`,
          { judge: j.judge, answer: x },
        );
    }
    if (j.a === j.b)
      throw new ChorusError("CONSENSUS_BAD_INPUT", `judgment by ${j.judge} compares ${j.a} with itself`, {
        judge: j.judge,
        answer: j.a,
      });
    if (j.judge === j.a || j.judge === j.b)
      throw new ChorusError("CONSENSUS_OWN_ANSWER", `${j.judge} judged a pair holding its own answer`, {
        judge: j.judge,
      });
    // Checked as the string it is at run time (callers outside TypeScript can pass anything).
    const outcome: string = j.outcome;
    if (outcome !== "A" && outcome !== "B" && outcome !== "tie" && outcome !== "unparsable")
      throw new ChorusError("CONSENSUS_BAD_INPUT", `unknown outcome ${outcome}`, { judge: j.judge });
    const key = `${j.judge}\n${j.a}\n${j.b}`;
    if (seen.has(key))
      throw new ChorusError("CONSENSUS_DUPLICATE_JUDGMENT", `${j.judge} judged ${j.a} vs ${j.b} twice`, {
        judge: j.judge,
        a: j.a,
        b: j.b,
      });
    seen.add(key);
  }
  const screened = new Set<string>();
  for (const s of screens) {
    if (!judgeSet.has(s.judge))
      throw new ChorusError("CONSENSUS_JUDGE_NOT_IN_ROUND", `judge ${s.judge} is not in the round`, { judge: s.judge });
    if (!answerSet.has(s.answer))
      throw new ChorusError(
        "CONSENSUS_UNKNOWN_ANSWER",
        `screen by ${s.judge} names answer ${s.answer}, which the round does not have`,
        { judge: s.judge, answer: s.answer },
      );
    const verdict: string = s.verdict;
    if (verdict !== "GOOD" && verdict !== "BAD")
      throw new ChorusError("CONSENSUS_BAD_INPUT", `unknown screen verdict ${verdict}`, { judge: s.judge });
    const key = `${s.judge}\n${s.answer}`;
    if (screened.has(key))
      throw new ChorusError("CONSENSUS_DUPLICATE_JUDGMENT", `${s.judge} screened ${s.answer} twice`, {
        judge: s.judge,
        answer: s.answer,
      });
    screened.add(key);
  }
}

/** Rejects judge weights that are negative, NaN or infinite (CONSENSUS_BAD_WEIGHT). */
export function validateWeights(weights: Readonly<Record<string, number>>): void {
  for (const [judge, w] of Object.entries(weights)) {
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0)
      throw new ChorusError(
        "CONSENSUS_BAD_WEIGHT",
        `weight of ${judge} must be a finite number >= 0, got ${String(w)}`,
        { judge },
      );
  }
}

/**
 * Rejects a malformed committee (CONSENSUS_BAD_MEMBER): an empty or repeated address, a stake that is not a
 * bigint >= 0, a reputation that is not an integer in [0, REP_SCALE].
 */
export function validateMembers(members: readonly Member[]): void {
  const seen = new Set<string>();
  for (const m of members) {
    if (typeof m.address !== "string" || m.address.length === 0)
      throw new ChorusError("CONSENSUS_BAD_MEMBER", "a member has no address");
    if (seen.has(m.address))
      throw new ChorusError("CONSENSUS_BAD_MEMBER", `member ${m.address} is listed twice`, { member: m.address });
    seen.add(m.address);
    if (typeof m.stake !== "bigint" || m.stake < 0n)
      throw new ChorusError("CONSENSUS_BAD_MEMBER", `stake of ${m.address} must be a bigint >= 0`, {
        member: m.address,
      });
    if (!Number.isSafeInteger(m.reputation) || m.reputation < 0 || m.reputation > REP_SCALE) {
      throw new ChorusError(
        "CONSENSUS_BAD_MEMBER",
        `reputation of ${m.address} must be an integer in [0, ${REP_SCALE}], got ${m.reputation}`,
        { member: m.address },
      );
    }
  }
}
