/**
 * The shared shapes of decentralized retrieval: what a data-source node serves, how members see sources,
 * and the pure reliability logic's inputs and outputs. The source node (src/source), the pure logic
 * (src/protocol/reliability.ts), the round integration and the RAG bench all speak these types.
 *
 * Flow of a RAG round: every member samples sources (probability from on-chain usefulness with an
 * exploration floor, seeded by the round seed and its own address so an auditor can re-derive the draw),
 * asks each for top-k contexts bound to the round id and the query hash, verifies the source's signature,
 * reranks the contexts by relevance combined with on-chain reliability, and answers with the top contexts in
 * its prompt. The contexts used travel with its reveal into the transcript. After consensus, each used
 * context's contribution to the answers and those answers' consensus scores give each source bounded
 * integer reliability and usefulness deltas, settled in the round record with the source's signature.
 */
import type { Address, Hex } from "viem";

export const SERVED_TYPE = "chorus/served@1";
export const MANIFEST_TYPE = "chorus/corpus-manifest@1";

/** One retrievable piece of a document. `id` is stable for a given corpus: `<doc path>#<chunk index>`. */
export interface Chunk {
  id: string;
  doc: string;
  text: string;
}

/** A context as served: the chunk and its retrieval score at the source (higher is more relevant, [0, 1]). */
export interface ServedContext {
  id: string;
  doc: string;
  text: string;
  score: number;
}

/**
 * What a source served for one query in one round (a dag-json document; its CID is the `servedCid` of the
 * settlement's SourceService statement, so one EIP-712 signature binds round id, query hash and contents).
 * Deterministic for a given corpus, query and k: every member asking the same source gets the same CID.
 */
export interface ServedDoc {
  type: typeof SERVED_TYPE;
  source: Address;
  roundId: Hex;
  /** cidToBytes32 of the round's query CID. */
  queryHash: Hex;
  manifestCid: string;
  k: number;
  contexts: ServedContext[];
}

/** A served document with its CID and the source's EIP-712 `SourceService(roundId, servedCid)` signature. */
export interface SignedServed {
  served: ServedDoc;
  servedCid: string;
  signature: Hex;
}

/** A source as members see it: chain registry entry with scores on the reputation scale [0, 1_000_000]. */
export interface SourceInfo {
  address: Address;
  endpoint: string;
  reliability: number;
  usefulness: number;
}

/** A context a member put into its prompt, with where it came from. */
export interface UsedContext {
  source: Address;
  id: string;
  text: string;
  /** Relevance at the source, [0, 1]. */
  relevance: number;
}

/** Why a source was skipped in a round (recorded in the transcript). */
export interface SkippedSource {
  source: Address;
  reason: "timeout" | "unreachable" | "malformed" | "bad-signature" | "wrong-binding";
  detail: string;
}

/** A source's score deltas from one round, integer fixed point on the 1_000_000 scale, each |d| <= bound. */
export interface SourceScoreDelta {
  source: Address;
  reliability: number;
  usefulness: number;
}
