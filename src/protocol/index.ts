/**
 * Protocol: everything a node and an auditor compute identically. The peer wire schemas (one zod discriminated
 * union of signed envelopes), the transcript and its strict schema (checked at every trust boundary),
 * `computeResult` and the production consensus rules, the committee draw (sortition), commitments, RAG evidence
 * and source reliability, the served-document shape, the record a committee signs for a transcript, the epoch
 * encoding `settleEpoch` takes and the decoding of its events. Pure: imports core, consensus and libraries only.
 *
 * @example
 * import { computeResult, parseTranscript, productionRules, recordOf } from "./index.js";
 * const t = parseTranscript(await artifacts.getJson(transcriptCid)); // throws PEER_BAD_TRANSCRIPT on any deviation
 * const result = computeResult(t, productionRules(), { serviceDomain: domain });
 * const record = recordOf(t, transcriptCid); // what members sign and Settlement verifies
 */
export * from "./wire.js";
export * from "./envelope.js";
export * from "./commitment.js";
export * from "./committee.js";
export * from "./transcript.js";
export * from "./transcript-schema.js";
export * from "./rules.js";
export * from "./record.js";
export * from "./epoch.js";
export * from "./round-deltas.js";
export * from "./rag-evidence.js";
export * from "./rag-types.js";
export * from "./reliability.js";
export * from "./reliability-text.js";
export * from "./served.js";
// Names both a zod schema (wire.ts) and a type elsewhere: the index exports the type; the schemas are
// imported from ./wire.js inside this folder.
export type { Envelope } from "./envelope.js";
export type { Candidate } from "./committee.js";
export type { SourceInfo, SkippedSource } from "./rag-types.js";
export * from "./gold.js";
