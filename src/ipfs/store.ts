/**
 * The one ArtifactStore implementation: canonical encoding, size limits, verification of every block read,
 * deadlines and typed errors, over any {@link BlockBackend} (memory, Helia, Kubo).
 */
import type { Router } from "express";
import type { CID } from "multiformats/cid";
import { parseCid, codecName } from "../core/index.js";
import {
  DEFAULT_MAX_BYTES,
  cidOfJson,
  decodeJson,
  jsonBlock,
  rawBlock,
  verifyBlock,
  type Block,
} from "../core/index.js";
import type { BlockBackend } from "./backend.js";
import { withDeadline } from "./deadline.js";
import { IPFS_ERRORS, ipfsError, messageOf } from "../core/index.js";
import { gatewayRouter } from "./gateway.js";
import { exportFile, importFile, type FileBlocks } from "./files.js";
import type { RemotePinner } from "./remote-pin.js";
import type { ArtifactStore, GetOptions, PinOptions, PutOptions, StoreKind } from "./types.js";
import type { JsonLike } from "../core/index.js";

export interface StoreOptions {
  /** Largest artifact / block in bytes. Default 4 MiB. */
  maxBytes?: number;
  /** Default read deadline (ms) when the backend may go to the network. Default: the backend's, else none. */
  timeoutMs?: number;
  /** Also pins every pinned artifact on a remote Kubo (in the background; failures are logged). */
  remotePin?: RemotePinner;
  /** Where background failures (remote pins) are reported. */
  log?: (line: string) => void;
}

export class BlockArtifactStore implements ArtifactStore {
  readonly kind: StoreKind;
  readonly maxBytes: number;
  private readonly timeoutMs?: number;
  private closed = false;
  private router?: Router;
  private readonly remotePin?: RemotePinner;
  private readonly log?: (line: string) => void;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly backend: BlockBackend,
    opts: StoreOptions = {},
  ) {
    this.kind = backend.kind;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes <= 0) {
      throw ipfsError(IPFS_ERRORS.CONFIG, `maxBytes must be a positive integer, got ${opts.maxBytes}`, {
        maxBytes: opts.maxBytes,
      });
    }
    this.timeoutMs = opts.timeoutMs ?? backend.defaultTimeoutMs;
    this.remotePin = opts.remotePin;
    this.log = opts.log;
  }

  put(value: JsonLike | Uint8Array, opts: PutOptions = {}): Promise<CID> {
    return value instanceof Uint8Array ? this.putBytes(value, opts) : this.putJson(value, opts);
  }

  async putJson(value: unknown, opts: PutOptions = {}): Promise<CID> {
    return this.store(await jsonBlock(value, this.maxBytes), opts);
  }

  async putBytes(bytes: Uint8Array, opts: PutOptions = {}): Promise<CID> {
    return this.store(await rawBlock(bytes, this.maxBytes), opts);
  }

  async putBlock(cidIn: CID | string, bytes: Uint8Array, opts: PutOptions = {}): Promise<CID> {
    const cid = parseCid(cidIn);
    await verifyBlock(cid, bytes, this.maxBytes);
    return this.store({ cid, bytes }, opts);
  }

  async putFile(
    content: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    opts: PutOptions = {},
  ): Promise<CID> {
    this.open();
    const root = await importFile(this.fileBlocks(), content, opts.signal);
    if (opts.pin) await this.pin(root, { signal: opts.signal });
    return root;
  }

  async *catFile(cidIn: CID | string, opts: GetOptions = {}): AsyncGenerator<Uint8Array> {
    const cid = parseCid(cidIn);
    this.open();
    yield* exportFile(this.fileBlocks(opts), cid, opts.signal);
  }

  async getFile(cidIn: CID | string, opts: GetOptions & { maxFileBytes?: number } = {}): Promise<Uint8Array> {
    const limit = opts.maxFileBytes ?? 1024 * 1024 * 1024;
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of this.catFile(cidIn, opts)) {
      size += chunk.length;
      if (size > limit)
        throw ipfsError(IPFS_ERRORS.TOO_LARGE, `file ${String(cidIn)} is over the ${limit}-byte limit`, {
          size,
          limit,
        });
      parts.push(chunk);
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Waits until the background remote pins started so far have ended (each logged on failure). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async get(cidIn: CID | string, opts: GetOptions = {}): Promise<Uint8Array> {
    const cid = parseCid(cidIn);
    codecName(cid);
    this.open();
    const bytes = await withDeadline(
      `get ${cid.toString()}`,
      { signal: opts.signal, timeoutMs: opts.timeoutMs ?? this.timeoutMs },
      (signal) => this.backend.getBlock(cid, { signal, offline: opts.offline ?? false }),
    );
    if (bytes === undefined) throw notFound(cid);
    await verifyBlock(cid, bytes, this.maxBytes);
    return bytes;
  }

  async getJson<T = unknown>(cidIn: CID | string, opts: GetOptions = {}): Promise<T> {
    const cid = parseCid(cidIn);
    return decodeJson<T>(cid, await this.get(cid, opts));
  }

  async has(cidIn: CID | string, opts: { signal?: AbortSignal } = {}): Promise<boolean> {
    const cid = parseCid(cidIn);
    this.open();
    return withDeadline(`has ${cid.toString()}`, opts, (signal) => this.backend.hasBlock(cid, { signal }));
  }

  async pin(cidIn: CID | string, opts: PinOptions = {}): Promise<void> {
    const cid = parseCid(cidIn);
    codecName(cid);
    this.open();
    await withDeadline(
      `pin ${cid.toString()}`,
      { signal: opts.signal, timeoutMs: opts.timeoutMs ?? this.timeoutMs },
      (signal) => this.backend.pin(cid, { signal, load: (c) => this.get(c, { signal }) }),
    );
    this.pinRemotely(cid);
  }

  async isPinned(cidIn: CID | string, opts: { signal?: AbortSignal } = {}): Promise<boolean> {
    const cid = parseCid(cidIn);
    this.open();
    return withDeadline(`isPinned ${cid.toString()}`, opts, (signal) => this.backend.isPinned(cid, { signal }));
  }

  cidOf(value: unknown): Promise<CID> {
    return cidOfJson(value);
  }

  gateway(): Router {
    this.router ??= gatewayRouter(this);
    return this.router;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.backend.close();
  }

  private async store(block: Block, opts: PutOptions): Promise<CID> {
    this.open();
    await withDeadline(`put ${block.cid.toString()}`, { signal: opts.signal }, (signal) =>
      this.backend.putBlock(block, { signal, pin: opts.pin ?? false }),
    );
    if (opts.pin) this.pinRemotely(block.cid);
    return block.cid;
  }

  /** Blocks of UnixFS files: checked and stored on the way in, verified on the way out. */
  private fileBlocks(opts: GetOptions = {}): FileBlocks {
    return {
      put: async (cid, bytes, signal) => {
        await this.putBlock(cid, bytes, { signal });
      },
      get: (cid, signal) => this.get(cid, { ...opts, signal: signal ?? opts.signal }),
      has: (cid, signal) => this.has(cid, { signal }),
    };
  }

  private pinRemotely(cid: CID): void {
    if (!this.remotePin) return;
    const remote = this.remotePin;
    const p = remote
      .pin(cid, (c) => this.get(c, { offline: true }))
      .catch((err: unknown) =>
        this.log?.(`ipfs: remote pin of ${cid.toString()} on ${remote.url} failed: ${messageOf(err)}`),
      )
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private open(): void {
    if (this.closed) throw ipfsError(IPFS_ERRORS.CLOSED, `the ${this.kind} artifact store is closed`);
  }
}

/** The IPFS_NOT_FOUND error for a CID. */
export function notFound(cid: CID): Error {
  return ipfsError(IPFS_ERRORS.NOT_FOUND, `block ${cid.toString()} is not in the store`, { cid: cid.toString() });
}
