/**
 * The canonical encoding of artifacts and block verification. A structured artifact is IPLD dag-json (sorted
 * keys, no whitespace) in a CIDv1 with sha2-256, so equal values give equal bytes and equal CIDs in any process;
 * raw bytes are a `raw` (0x55) CIDv1 block. Every block read from any backend goes through {@link verifyBlock}.
 */
import * as dagCbor from "@ipld/dag-cbor";
import * as dagJson from "@ipld/dag-json";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { CODEC, HASH, codecName } from "./cid.js";
import { IPFS_ERRORS, ipfsError } from "./ipfs-errors.js";
import { assertJsonLike } from "./json-validate.js";

/** One block: its CID and the bytes it names. */
export interface Block {
  cid: CID;
  bytes: Uint8Array;
}

/** Default largest artifact (and block) the store writes or reads: 4 MiB. */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** The canonical dag-json bytes of a JSON-like value (checked by {@link assertJsonLike}). */
export function encodeJson(value: unknown): Uint8Array {
  assertJsonLike(value);
  try {
    return dagJson.encode(value);
  } catch (err) {
    throw ipfsError(
      IPFS_ERRORS.INVALID_VALUE,
      `artifact value cannot be encoded as dag-json: ${(err as Error).message}`,
      {},
      err,
    );
  }
}

/** The dag-json block of a JSON-like value. */
export async function jsonBlock(value: unknown, maxBytes = DEFAULT_MAX_BYTES): Promise<Block> {
  const bytes = encodeJson(value);
  checkSize(bytes.length, maxBytes, "dag-json artifact");
  return { cid: CID.createV1(CODEC.dagJson, await sha256.digest(bytes)), bytes };
}

/** The raw block of some bytes. */
export async function rawBlock(bytes: Uint8Array, maxBytes = DEFAULT_MAX_BYTES): Promise<Block> {
  if (!(bytes instanceof Uint8Array)) {
    throw ipfsError(IPFS_ERRORS.INVALID_VALUE, `raw artifact must be a Uint8Array, got ${typeof bytes}`);
  }
  checkSize(bytes.length, maxBytes, "raw artifact");
  return { cid: CID.createV1(CODEC.raw, await sha256.digest(bytes)), bytes };
}

/** The CID `putJson(value)` returns, without storing anything. */
export async function cidOfJson(value: unknown): Promise<CID> {
  return (await jsonBlock(value, Number.MAX_SAFE_INTEGER)).cid;
}

/**
 * Checks that `bytes` are the block `cid` names: a codec the store handles, at most `maxBytes`, and a
 * sha2-256 (or identity) multihash equal to the hash of the bytes. Throws IPFS_UNKNOWN_CODEC,
 * IPFS_UNKNOWN_HASH, IPFS_TOO_LARGE or IPFS_CID_MISMATCH.
 */
export async function verifyBlock(cid: CID, bytes: Uint8Array, maxBytes = DEFAULT_MAX_BYTES): Promise<void> {
  codecName(cid);
  checkSize(bytes.length, maxBytes, `block ${cid.toString()}`);
  const mh = cid.multihash;
  let ok: boolean;
  if (mh.code === HASH.sha256) {
    ok = equalBytes((await sha256.digest(bytes)).digest, mh.digest);
  } else if (mh.code === HASH.identity) {
    ok = equalBytes(bytes, mh.digest);
  } else {
    throw ipfsError(
      IPFS_ERRORS.UNKNOWN_HASH,
      `CID ${cid.toString()} uses hash 0x${mh.code.toString(16)}; the store verifies sha2-256 only`,
      { cid: cid.toString(), hash: mh.code },
    );
  }
  if (!ok) {
    throw ipfsError(
      IPFS_ERRORS.CID_MISMATCH,
      `content does not match CID ${cid.toString()} (${bytes.length} bytes hash to something else)`,
      { cid: cid.toString(), size: bytes.length },
    );
  }
}

/** Decodes a verified dag-json or dag-cbor block into its value (links come back as CIDs). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the artifact type it expects (like JSON.parse), as IpfsStore.getJson<T> does
export function decodeJson<T = unknown>(cid: CID, bytes: Uint8Array): T {
  const codec = codecName(cid);
  if (cid.code !== CODEC.dagJson && cid.code !== CODEC.dagCbor) {
    throw ipfsError(
      IPFS_ERRORS.DECODE,
      `CID ${cid.toString()} is a ${codec} block, not a structured (dag-json) artifact; read it with get()`,
      { cid: cid.toString(), codec },
    );
  }
  try {
    return cid.code === CODEC.dagJson ? dagJson.decode(bytes) : dagCbor.decode(bytes);
  } catch (err) {
    throw ipfsError(
      IPFS_ERRORS.DECODE,
      `block ${cid.toString()} is not valid ${codec}: ${(err as Error).message}`,
      { cid: cid.toString(), codec },
      err,
    );
  }
}

/** Throws IPFS_TOO_LARGE when `size` exceeds `maxBytes`. */
export function checkSize(size: number, maxBytes: number, what: string): void {
  if (size > maxBytes) {
    throw ipfsError(IPFS_ERRORS.TOO_LARGE, `${what} is ${size} bytes, over the limit of ${maxBytes} bytes`, {
      size,
      limit: maxBytes,
    });
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
