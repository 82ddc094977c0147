export { auditRound, type AuditCheck, type AuditDeps, type AuditReport } from "./round.js";
export { decodeEpochCalldata, type DecodedRecord } from "./epoch-calldata.js";
