/**
 * Canonical bytes of a JSON-like value: IPLD dag-json (sorted keys, no whitespace), the same encoding the
 * artifact store uses, so a hash over a message body and the CID of the same document agree on the bytes.
 *
 * For plain JSON data (strings, numbers, booleans, null, arrays, objects) a direct string builder produces the
 * exact bytes of `@ipld/dag-json`'s encoder about ten times faster (a round encodes its transcript and message
 * bodies dozens of times); anything else (bytes, CIDs, bigints, undefined) goes through @ipld/dag-json itself.
 * A property test checks the two agree.
 */
import { createHash } from "node:crypto";
import * as dagJson from "@ipld/dag-json";
import { CID } from "multiformats/cid";
import { create as createDigest } from "multiformats/hashes/digest";
import type { Hex } from "viem";
import { keccakBytes } from "./keccak.js";

class NotPlain extends Error {}

function encodePlain(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "number": {
      if (!Number.isFinite(v) || Object.is(v, -0)) throw new NotPlain();
      const s = String(v);
      return Number.isSafeInteger(v) || /[.eE]/.test(s) ? s : `${s}.0`;
    }
    case "object": {
      if (Array.isArray(v)) {
        let out = "[";
        for (let i = 0; i < v.length; i++) out += (i ? "," : "") + encodePlain(v[i]);
        return out + "]";
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw new NotPlain();
      const keys = Object.keys(v).sort();
      let out = "{";
      for (let i = 0; i < keys.length; i++) {
        const value = (v as Record<string, unknown>)[keys[i]];
        if (value === undefined) throw new NotPlain();
        out += (i ? "," : "") + JSON.stringify(keys[i]) + ":" + encodePlain(value);
      }
      return out + "}";
    }
    default:
      throw new NotPlain();
  }
}

export function canonicalBytes(value: unknown): Uint8Array {
  try {
    return Buffer.from(encodePlain(value), "utf8");
  } catch (err) {
    if (err instanceof NotPlain) return dagJson.encode(value);
    throw err;
  }
}

/** The reference encoder, for tests. */
export const canonicalBytesReference = (value: unknown): Uint8Array => dagJson.encode(value);

/** keccak256 of the canonical bytes. */
export function canonicalHash(value: unknown): Hex {
  return keccakBytes(canonicalBytes(value));
}

const SHA2_256 = 0x12;

/** The CIDv1 (dag-json, sha2-256) of already-encoded canonical bytes: the artifact store's CID for them. */
export function cidOfCanonical(bytes: Uint8Array): string {
  const digest = createHash("sha256").update(bytes).digest();
  return CID.create(1, dagJson.code, createDigest(SHA2_256, digest)).toString();
}
