/**
 * CIDs as Chorus uses them: parsing with typed errors, the codecs the store handles, and the CID <-> bytes32
 * mapping the contracts use. On chain an artifact is referenced by the 32-byte sha2-256 digest of its block;
 * turning that back into a CID needs the codec, which is dag-json for every on-chain reference (a raw or unixfs
 * file is referenced from a dag-json manifest).
 */
import * as dagJson from "@ipld/dag-json";
import { CID } from "multiformats/cid";
import { create as createDigest } from "multiformats/hashes/digest";
import { sha256 } from "multiformats/hashes/sha2";
import { IPFS_ERRORS, ipfsError } from "./ipfs-errors.js";

/** Multicodec codes. */
export const CODEC = { raw: 0x55, dagJson: dagJson.code, dagCbor: 0x71, dagPb: 0x70 } as const;
/** Multihash codes. */
export const HASH = { sha256: sha256.code, identity: 0x00 } as const;

/** Codecs whose blocks the store accepts (name by code). dag-json and raw are what Chorus writes. */
export const SUPPORTED_CODECS: ReadonlyMap<number, string> = new Map([
  [CODEC.raw, "raw"],
  [CODEC.dagJson, "dag-json"],
  [CODEC.dagCbor, "dag-cbor"],
  [CODEC.dagPb, "dag-pb"],
]);

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * Parses a CID from a string (any multibase CIDv1, or a CIDv0 `Qm...`) or returns a CID instance as is
 * (also CIDs made by another copy of `multiformats`). Throws IPFS_BAD_CID naming the input otherwise.
 */
export function parseCid(input: unknown): CID {
  if (typeof input === "string") {
    const s = input.trim();
    try {
      return CID.parse(s);
    } catch (err) {
      throw ipfsError(
        IPFS_ERRORS.BAD_CID,
        `'${clip(s)}' is not a CID: ${(err as Error).message}`,
        { input: clip(s) },
        err,
      );
    }
  }
  const cid = input == null ? null : CID.asCID(input);
  if (cid) return cid;
  throw ipfsError(IPFS_ERRORS.BAD_CID, `expected a CID or a CID string, got ${describe(input)}`, {
    input: describe(input),
  });
}

/** The codec name of a CID, or IPFS_UNKNOWN_CODEC when the store does not handle it. */
export function codecName(cid: CID): string {
  const name = SUPPORTED_CODECS.get(cid.code);
  if (!name) {
    throw ipfsError(
      IPFS_ERRORS.UNKNOWN_CODEC,
      `CID ${cid.toString()} uses codec 0x${cid.code.toString(16)}, which the store does not handle (known: ${[...SUPPORTED_CODECS.values()].join(", ")})`,
      {
        cid: cid.toString(),
        codec: cid.code,
      },
    );
  }
  return name;
}

/**
 * The bytes32 the contracts store for a CID: its sha2-256 digest as 0x-hex. Throws IPFS_BAD_BYTES32 for a CID
 * whose multihash is not a 32-byte sha2-256 digest (it could not be mapped back).
 */
export function cidToBytes32(input: CID | string): `0x${string}` {
  const cid = parseCid(input);
  if (cid.multihash.code !== HASH.sha256 || cid.multihash.digest.length !== 32) {
    throw ipfsError(
      IPFS_ERRORS.BAD_BYTES32,
      `CID ${cid.toString()} does not carry a 32-byte sha2-256 digest (hash 0x${cid.multihash.code.toString(16)}, ${cid.multihash.digest.length} bytes)`,
      {
        cid: cid.toString(),
        hash: cid.multihash.code,
        length: cid.multihash.digest.length,
      },
    );
  }
  return `0x${Buffer.from(cid.multihash.digest).toString("hex")}`;
}

/**
 * The CIDv1 whose sha2-256 digest is `hex` (0x + 64 hex digits), with the given codec (default dag-json: all
 * on-chain references are dag-json documents). Throws IPFS_BAD_BYTES32 or IPFS_UNKNOWN_CODEC.
 */
export function bytes32ToCid(hex: unknown, codec: number = CODEC.dagJson): CID {
  if (typeof hex !== "string" || !BYTES32.test(hex)) {
    throw ipfsError(IPFS_ERRORS.BAD_BYTES32, `'${clip(String(hex))}' is not a bytes32 (0x followed by 64 hex digits)`, {
      input: clip(String(hex)),
    });
  }
  if (!SUPPORTED_CODECS.has(codec)) {
    throw ipfsError(IPFS_ERRORS.UNKNOWN_CODEC, `codec 0x${codec.toString(16)} is not one the store handles`, { codec });
  }
  const digest = createDigest(HASH.sha256, Uint8Array.from(Buffer.from(hex.slice(2), "hex")));
  return CID.createV1(codec, digest);
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  return typeof v === "object" ? ((v as { constructor?: { name?: string } }).constructor?.name ?? "object") : typeof v;
}
