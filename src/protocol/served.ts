/**
 * The wire format of retrieval between a member and a data source, and the served document's identity.
 *
 * - Request `POST /retrieve` `{ roundId, query, k }`: the round id, the round's query document (the source
 *   hashes it itself: `queryHash = cidToBytes32(dag-json CID of the QueryDoc)`, the CID the coordinator
 *   stored the query under) and how many contexts are wanted.
 * - Response `{ served, servedCid, signature }`: the served document in its stored (dag-json) form, its CID,
 *   and the source's EIP-712 `SourceService(roundId, cidToBytes32(servedCid))` signature under the
 *   Settlement domain. Artifacts hold no floats, so on the wire (and on IPFS) each context's score is an
 *   integer in micro-units [0, 1_000_000]; {@link fromWire} turns it into the [0, 1] score of ServedDoc
 *   and {@link toWire} back, exactly (scores are multiples of 1e-6).
 */
import { getAddress, hashMessage, keccak256, type Hex } from "viem";
import { z } from "zod";
import { cidOfJson } from "../core/index.js";
import { queryTextOf } from "./rag-evidence.js";
import { Bytes32, MAX_K, QueryDoc, SERVED_SCORE_SCALE as SCORE_SCALE, Signature, StoredServed } from "./wire.js";
import { SERVED_TYPE, type ServedDoc } from "./rag-types.js";

export { MAX_CONTEXT_CHARS, MAX_K } from "./wire.js";

const nonZero = (v: string) => !/^0x0{64}$/.test(v);

export const RetrieveRequest = z
  .object({
    roundId: Bytes32.refine(nonZero, "must not be zero"),
    query: QueryDoc,
    k: z.number().int().min(1).max(MAX_K),
  })
  .strict();
export type RetrieveRequest = z.infer<typeof RetrieveRequest>;

/** A served document as a source sends it: its stored form (src/protocol/wire.ts StoredServed, the one schema). */
export const WireServed = StoredServed;
export type WireServed = StoredServed;

export const RetrieveResponse = z
  .object({
    served: WireServed,
    servedCid: z.string().min(1).max(128),
    signature: Signature,
  })
  .strict();
export type RetrieveResponse = z.infer<typeof RetrieveResponse>;

/** Header of a member's signature over its `/retrieve` request body. */
export const RETRIEVE_SIGNATURE_HEADER = "x-chorus-signature";

/**
 * What a member signs for a `/retrieve` request: the EIP-191 personal-message hash of the keccak256 of the
 * exact body bytes. The source recovers the signer and keeps what it served only for active staked nodes.
 */
export function retrieveRequestDigest(body: Uint8Array): Hex {
  return hashMessage({ raw: keccak256(body) });
}

/** The stored form of a served document (integer micro-unit scores). */
export function toWire(doc: ServedDoc): WireServed {
  return {
    type: SERVED_TYPE,
    source: getAddress(doc.source),
    roundId: doc.roundId,
    queryHash: doc.queryHash,
    manifestCid: doc.manifestCid,
    k: doc.k,
    contexts: doc.contexts.map((c) => ({
      id: c.id,
      doc: c.doc,
      text: c.text,
      score: Math.round(c.score * SCORE_SCALE),
    })),
  };
}

export function fromWire(w: WireServed): ServedDoc {
  return {
    type: SERVED_TYPE,
    source: getAddress(w.source),
    roundId: w.roundId as Hex,
    queryHash: w.queryHash as Hex,
    manifestCid: w.manifestCid,
    k: w.k,
    contexts: w.contexts.map((c) => ({ id: c.id, doc: c.doc, text: c.text, score: c.score / SCORE_SCALE })),
  };
}

/** The CID (string) of a served document: dag-json of its stored form. */
export async function servedCidOf(doc: ServedDoc): Promise<string> {
  return (await cidOfJson(toWire(doc))).toString();
}

/** The text a source retrieves for: the last user message (all messages when there is none). */
export function queryText(query: QueryDoc): string {
  return queryTextOf(query.messages);
}
