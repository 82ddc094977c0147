/**
 * The consensus core: pure, deterministic functions that decide a round. No I/O. Coordinator, members,
 * auditors and benches call the same functions on the same transcript and get bit-identical results.
 * Formulas and parameters: src/consensus/README.md.
 */
export { REP_SCALE, REP_INITIAL, SOURCE_INITIAL, MAX_REP_DELTA, REP_ALPHA, divTrunc } from "./fixed.js";
export type { Aggregate, JudgedOutcome, Judgment, Member, NodeId, Outcome, Screen, Verdict } from "./types.js";
export { SeededRandom, seedString, type Seed } from "./prng.js";
export { schedulePairs, seededOrder, type PairingMode, type PairingOptions } from "./pairing.js";
export { assignPairs, type Assignment } from "./assign.js";
export { fitBradleyTerry, type BradleyTerryFit, type FitOptions, type WeightedComparison } from "./bradley-terry.js";
export { judgeWeights, uniformWeights, type WeightOptions } from "./weights.js";
export { screenedOut } from "./screen.js";
export { aggregate, scoreKey, SCORE_SCALE, type AggregateInput } from "./aggregate.js";
export {
  reputationDeltas,
  reputationTargets,
  deltaTowards,
  applyReputationDelta,
  JUDGE_TARGET_WEIGHT,
  type ReputationInput,
} from "./reputation.js";
export {
  GOLD_WEIGHT,
  GOLD_ALPHA,
  goldCorrect,
  choiceLetter,
  gradeGoldRound,
  foldGold,
  standingOf,
  anchoredTarget,
  anchoredReputationDeltas,
  goldDeltas,
  type GoldRoundInput,
  type GoldGrade,
  type GoldStandingState,
} from "./gold.js";
export { majorityVote, normalizeAnswer, type MajorityResult } from "./majority.js";
export { validateJudging, validateMembers, validateWeights } from "./validate.js";
