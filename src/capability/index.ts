/** Proof of capability: building and publishing calibration suites (curator) and taking them (node). */
export { answerSuite, assertSuite, type SuiteDocument, type SuiteItem } from "./calibrate.js";
export { buildDevnetSuite, DEVNET_SUITE_ITEMS } from "./devnet-suite.js";
export {
  buildSuite,
  iso,
  keyFilePath,
  parseItemsFile,
  publishSuiteDocument,
  readKeyFile,
  revealKeyWhenOpen,
  sleep,
  type KeyFile,
  type PublishedSuite,
  type ReferenceItem,
  type Windows,
} from "./curator.js";
export {
  commitAttempt,
  judgeSuite,
  loadSuiteDocument,
  readAttemptState,
  revealWhenKeyIsOut,
  stateFilePath,
  type AttemptState,
  type Grade,
} from "./take.js";
