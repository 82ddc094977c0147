/**
 * The artifact store interface: content-addressed storage of Chorus artifacts (queries, answers, transcripts,
 * calibration suites, corpora). Every implementation verifies what it returns against the CID asked for.
 */
import type { Router } from "express";
import type { CID } from "multiformats/cid";
import type { JsonLike } from "../core/index.js";

export interface PutOptions {
  signal?: AbortSignal;
  /** Pin the artifact (recursively) so garbage collection never removes it. Default false. */
  pin?: boolean;
}

export interface GetOptions {
  signal?: AbortSignal;
  /** Deadline in milliseconds; past it the read fails with IPFS_TIMEOUT. Default: the store's `timeoutMs`. */
  timeoutMs?: number;
  /** Only look in the local blockstore, never ask peers (networked stores); a miss is IPFS_NOT_FOUND at once. */
  offline?: boolean;
}

export interface PinOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Which implementation is behind an ArtifactStore. */
export type StoreKind = "memory" | "helia" | "helia-network" | "kubo";

export interface ArtifactStore {
  readonly kind: StoreKind;
  /** Largest block (in bytes) the store writes or returns. */
  readonly maxBytes: number;

  /** Stores a JSON-like value as dag-json, or a Uint8Array as a raw block; resolves with its CID. */
  put(value: JsonLike | Uint8Array, opts?: PutOptions): Promise<CID>;
  /** Stores a JSON-like value as a canonical dag-json block (CIDv1, sha2-256). */
  putJson(value: unknown, opts?: PutOptions): Promise<CID>;
  /** Stores bytes as one raw block (CIDv1, codec 0x55, sha2-256). */
  putBytes(bytes: Uint8Array, opts?: PutOptions): Promise<CID>;
  /** Stores a block received from elsewhere under its claimed CID, after checking that the bytes match it. */
  putBlock(cid: CID | string, bytes: Uint8Array, opts?: PutOptions): Promise<CID>;

  /**
   * Stores a file of any size as a UnixFS DAG (files.ts: Kubo's defaults, so Kubo and gateways give the same
   * CID and can serve it); a file of one chunk (<= 256 KiB) is its raw block, the CID `putBytes` gives.
   * With `pin`, the whole DAG is pinned.
   */
  putFile(content: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts?: PutOptions): Promise<CID>;
  /** The bytes of a UnixFS file (or a raw block), every block verified; fetched from peers when networked. */
  catFile(cid: CID | string, opts?: GetOptions): AsyncIterable<Uint8Array>;
  /** `catFile` gathered into one buffer; IPFS_TOO_LARGE past `maxFileBytes` (default 1 GiB). */
  getFile(cid: CID | string, opts?: GetOptions & { maxFileBytes?: number }): Promise<Uint8Array>;
  /** Waits for background work (remote pins) started so far. */
  flush(): Promise<void>;

  /** The verified bytes of the block `cid` names. */
  get(cid: CID | string, opts?: GetOptions): Promise<Uint8Array>;
  /** The decoded value of a dag-json (or dag-cbor) artifact, verified against its CID. */
  getJson<T = unknown>(cid: CID | string, opts?: GetOptions): Promise<T>;
  /** Whether the block is in the local blockstore (never asks the network). */
  has(cid: CID | string, opts?: { signal?: AbortSignal }): Promise<boolean>;
  /** Pins a block and everything it links to (fetching missing blocks when the store is networked). */
  pin(cid: CID | string, opts?: PinOptions): Promise<void>;
  /** Whether `cid` is pinned. */
  isPinned(cid: CID | string, opts?: { signal?: AbortSignal }): Promise<boolean>;

  /** The CID `putJson(value)` would return, without storing. */
  cidOf(value: unknown): Promise<CID>;
  /** An express Router serving this store's blocks over the IPFS trustless-gateway interface (`/ipfs/:cid`). */
  gateway(): Router;
  /** Stops the backend (libp2p, file handles). Further calls fail with IPFS_CLOSED. Idempotent. */
  close(): Promise<void>;
}
