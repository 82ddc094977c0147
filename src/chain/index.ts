export { connectChain, requireWallet, type ChainClients, type ConnectOptions } from "./clients.js";
export {
  chainErrorOf,
  chorusContracts,
  type ChorusChain,
  type ChorusContracts,
  type ContractHandle,
  type Sender,
  type Sent,
} from "./contracts.js";
export * from "./abi/index.js";
export {
  contractOf,
  deploymentsPath,
  loadDeployments,
  PROJECT_ROOT,
  type Deployments,
  type DeployedContract,
} from "./deployments.js";
export { toChainError } from "./errors.js";
export * from "./registry.js";
export { openChorusChain } from "./open.js";
export {
  BlockTimes,
  DEFAULT_LOG_RANGE,
  isRangeRefusal,
  logRangeOf,
  pagedContractEvents,
  type DecodedLog,
  type PagedQuery,
} from "./logs.js";
export { ChainDirectory, REP_INITIAL, type ChainDirectoryOptions } from "./directory.js";
export * from "./sources.js";
export {
  chainFinality,
  epochStatus,
  finalizeDue,
  finalizeEpoch,
  finalizeInput,
  finalReputations,
  netAfterVoids,
  pendingByNode,
  pendingEpochNumbers,
  pendingInputs,
  type EpochDeltas,
  type EpochStatus,
  type FinalizeInput,
} from "./finality.js";
export * from "./calibration.js";
export * from "./capability.js";
export * from "./disputes.js";
export * from "./token.js";
