/**
 * Error codes of the artifact store. Every failure the store reports on purpose is a {@link ChorusError} with one
 * of these codes and `details` naming the offending value (CID, size, codec, path ...).
 */
import { ChorusError } from "./errors.js";

export const IPFS_ERRORS = {
  /** The bytes do not hash to the CID they were fetched or offered under. */
  CID_MISMATCH: "IPFS_CID_MISMATCH",
  /** An artifact (or a block fetched) is larger than the store's `maxBytes`. */
  TOO_LARGE: "IPFS_TOO_LARGE",
  /** A CID names a codec the store does not handle (see `SUPPORTED_CODECS`). */
  UNKNOWN_CODEC: "IPFS_UNKNOWN_CODEC",
  /** A CID uses a hash function other than sha2-256 (or identity, for reads). */
  UNKNOWN_HASH: "IPFS_UNKNOWN_HASH",
  /** A string (or value) that does not parse as a CID. */
  BAD_CID: "IPFS_BAD_CID",
  /** A bytes32 that is not 0x + 64 hex digits, or a CID that has no 32-byte sha2-256 digest. */
  BAD_BYTES32: "IPFS_BAD_BYTES32",
  /** The value given to `putJson` is not in the JSON-like data model (float, bigint, undefined, cycle ...). */
  INVALID_VALUE: "IPFS_INVALID_VALUE",
  /** The block is there and verified but cannot be decoded as the codec says, or is not JSON-decodable. */
  DECODE: "IPFS_DECODE",
  /** The block is not in the store (and, for networked stores, was not found before the deadline). */
  NOT_FOUND: "IPFS_NOT_FOUND",
  /** The caller's deadline (`timeoutMs`) passed. */
  TIMEOUT: "IPFS_TIMEOUT",
  /** The caller's AbortSignal fired. */
  ABORTED: "IPFS_ABORTED",
  /** The backend (Helia, Kubo) failed in a way not covered above; `cause` holds its error. */
  BACKEND: "IPFS_BACKEND",
  /** The store was used after `close()`. */
  CLOSED: "IPFS_CLOSED",
  /** A gateway request asks for something this gateway does not serve (format, dag-scope, a path). */
  BAD_REQUEST: "IPFS_BAD_REQUEST",
  /** The store configuration is invalid (bad directory, bad multiaddr, bad URL). */
  CONFIG: "IPFS_CONFIG",
} as const;

export type IpfsErrorCode = (typeof IPFS_ERRORS)[keyof typeof IPFS_ERRORS];

/** Builds a ChorusError with an artifact-store code. */
export function ipfsError(
  code: IpfsErrorCode,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): ChorusError {
  return new ChorusError(code, message, details, cause === undefined ? {} : { cause });
}
