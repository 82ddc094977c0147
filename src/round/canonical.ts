/**
 * Canonical bytes of a JSON-like value: IPLD dag-json (sorted keys, no whitespace), the same encoding the
 * artifact store uses, so a hash over a message body and the CID of the same document agree on the bytes.
 */
import * as dagJson from "@ipld/dag-json";
import { keccak256, type Hex } from "viem";

export function canonicalBytes(value: unknown): Uint8Array {
  return dagJson.encode(value);
}

/** keccak256 of the canonical bytes. */
export function canonicalHash(value: unknown): Hex {
  return keccak256(canonicalBytes(value));
}
