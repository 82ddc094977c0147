export { SettlementQueue, type QueuedRecord } from "./queue.js";
export { EpochSubmitter, type SettlementPort, type SubmitOutcome, type SubmitterOptions } from "./submitter.js";
export { EpochFinalizer, type FinalityPort, type FinalizerOptions } from "./finalizer.js";
