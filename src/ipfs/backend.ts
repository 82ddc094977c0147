/**
 * What a storage backend provides to {@link BlockArtifactStore}: moving blocks in and out. Backends do no
 * verification and no error wrapping of their own beyond "not found"; the store does both the same way for all.
 */
import type { CID } from "multiformats/cid";
import type { Block } from "../core/index.js";
import type { StoreKind } from "./types.js";

export interface BlockBackend {
  readonly kind: StoreKind;
  /** Default deadline of reads that may go to the network; undefined for purely local backends. */
  readonly defaultTimeoutMs?: number;
  /** Stores a block (already verified / freshly encoded); pins it when asked. */
  putBlock(block: Block, opts: { signal: AbortSignal; pin: boolean }): Promise<void>;
  /** The block's bytes, or `undefined` when it is not available (locally, or with `offline`). */
  getBlock(cid: CID, opts: { signal: AbortSignal; offline: boolean }): Promise<Uint8Array | undefined>;
  /** Whether the block is stored locally. */
  hasBlock(cid: CID, opts: { signal: AbortSignal }): Promise<boolean>;
  /**
   * Pins `cid` recursively. `load` gives verified blocks (fetching when the store is networked) for backends
   * that walk the DAG themselves.
   */
  pin(cid: CID, opts: { signal: AbortSignal; load: (cid: CID) => Promise<Uint8Array> }): Promise<void>;
  isPinned(cid: CID, opts: { signal: AbortSignal }): Promise<boolean>;
  close(): Promise<void>;
}
