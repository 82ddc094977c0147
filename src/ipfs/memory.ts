/**
 * An in-memory artifact store: the same encoding, limits and verification as the others, blocks in a Map.
 * For tests and tools of other modules; nothing survives the process.
 */
import type { CID } from "multiformats/cid";
import type { BlockBackend } from "./backend.js";
import type { Block } from "../core/index.js";
import { drain, walkDag } from "./dag.js";
import { BlockArtifactStore, type StoreOptions } from "./store.js";
import type { ArtifactStore } from "./types.js";

export class MemoryBlockBackend implements BlockBackend {
  readonly kind = "memory" as const;
  /** The raw block map (CID string -> bytes). Exposed so tests can tamper with stored content. */
  readonly blocks = new Map<string, Uint8Array>();
  readonly pins = new Set<string>();

  putBlock(block: Block, opts: { pin: boolean }): Promise<void> {
    this.blocks.set(block.cid.toString(), block.bytes.slice());
    if (opts.pin) this.pins.add(block.cid.toString());
    return Promise.resolve();
  }

  getBlock(cid: CID): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.blocks.get(cid.toString())?.slice());
  }

  hasBlock(cid: CID): Promise<boolean> {
    return Promise.resolve(this.blocks.has(cid.toString()));
  }

  async pin(cid: CID, opts: { signal: AbortSignal; load: (cid: CID) => Promise<Uint8Array> }): Promise<void> {
    // walking is the check: every block of the DAG must load (and verify) before the root counts as pinned
    await drain(walkDag(cid, opts.load, { signal: opts.signal }));
    this.pins.add(cid.toString());
  }

  isPinned(cid: CID): Promise<boolean> {
    return Promise.resolve(this.pins.has(cid.toString()));
  }

  async close(): Promise<void> {}
}

/** An in-memory ArtifactStore; `memory` gives tests access to the raw blocks (to tamper with them). */
export function createMemoryStore(opts: StoreOptions = {}): ArtifactStore & { readonly memory: MemoryBlockBackend } {
  const memory = new MemoryBlockBackend();
  const store = new BlockArtifactStore(memory, opts);
  return Object.assign(store, { memory });
}
