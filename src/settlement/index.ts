export { SettlementQueue, type QueuedRecord } from "./queue.js";
export { EpochSubmitter, type SettlementPort, type SubmitterOptions } from "./submitter.js";
