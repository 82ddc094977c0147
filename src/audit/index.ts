export { auditRound, type AuditCheck, type AuditDeps, type AuditReport } from "./round.js";
export { decodeEpochCalldata, type DecodedRecord } from "./epoch-calldata.js";
export { auditEpoch, type EpochAuditReport } from "./epoch.js";
export { gatewayJson } from "./gateway-fetch.js";
export { fetchWithFallback, settledMembers, type Fallbacks } from "./availability.js";
export { auditGold, type GoldAuditReport, type GoldItemReport } from "./gold.js";
export { GoldStandingsScanner, type GoldScanDeps } from "./gold-standings.js";
export { settledRecordOf, type SettledRecord } from "./settled-record.js";
