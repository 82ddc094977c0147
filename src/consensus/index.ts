/**
 * The consensus core: pure, deterministic functions that decide a round. No I/O. Coordinator, members,
 * auditors and benches call the same functions on the same transcript and get bit-identical results.
 */
export { REP_SCALE, REP_INITIAL, MAX_REP_DELTA, REP_ALPHA } from "./fixed.js";
export type { Aggregate, Judgment, Member, NodeId, Outcome, Screen, Verdict } from "./types.js";
export { SeededRandom } from "./prng.js";
export { schedulePairs, type PairingMode } from "./pairing.js";
export { assignPairs } from "./assign.js";
export { fitBradleyTerry, type FitOptions, type WeightedComparison } from "./bradley-terry.js";
export { judgeWeights, type WeightOptions } from "./weights.js";
export { aggregate, type AggregateInput } from "./aggregate.js";
export { reputationDeltas } from "./reputation.js";
export { majorityVote, normalizeAnswer } from "./majority.js";
export { validateJudging } from "./validate.js";
