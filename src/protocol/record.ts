/**
 * Record derivation: the round record the committee signs for a transcript, derived from the transcript alone, so
 * every member, coordinator and auditor derives the same record (data sources' deltas included).
 */
import type { Hex } from "viem";
import { cidToBytes32, sortRecord, type RoundRecord } from "../core/index.js";
import type { Transcript } from "./transcript.js";

/**
 * The record the committee signs for a transcript: every drawn member (the chain refuses a record that leaves one
 * out) with its delta from the result (0 when it has none), the round seed and weight period of the draw. A RAG
 * round adds its sources' deltas, each with the CID (bytes32) of the served document the result chose for it.
 */
export function recordOf(t: Transcript, transcriptCid: string): RoundRecord {
  const participants = t.committee.members;
  // The contract wants participants (and sources) in ascending address order.
  return sortRecord({
    roundId: t.roundId,
    seed: t.committee.seed,
    period: t.committee.period,
    queryCid: cidToBytes32(t.queryCid),
    transcriptCid: cidToBytes32(transcriptCid),
    winner: t.result.winner,
    participants,
    deltas: participants.map((p) => t.result.deltas[p] ?? 0),
    sources: (t.result.sources ?? []).map((s) => ({
      source: s.source,
      reliability: s.reliability,
      usefulness: s.usefulness,
      servedCid: cidToBytes32(s.servedCid),
    })),
  });
}

/** The sources' `SourceService` signatures the settlement of a transcript's record needs, by source address. */
export function sourceSignaturesOf(t: Transcript): Record<string, Hex> {
  return Object.fromEntries((t.result.sources ?? []).map((s) => [s.source, s.signature]));
}
