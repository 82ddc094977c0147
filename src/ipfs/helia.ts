/**
 * Artifact stores on an embedded Helia node with a filesystem blockstore (`<dir>/blocks`) and datastore
 * (`<dir>/data`, which also keeps pins and the libp2p key, so the peer ID survives restarts).
 *
 * - embedded (no `network`): no libp2p at all; reads are local, a miss is IPFS_NOT_FOUND at once.
 * - networked (`network` given): libp2p on the listen addresses (127.0.0.1 by default) announcing the
 *   configured addresses, bitswap, peers dialed by multiaddr; a local miss asks the connected peers over
 *   bitswap until the read deadline.
 *
 * helia and libp2p are imported here, lazily, only when a store is opened; the embedded store loads only the
 * Helia class (see loadCreateHeliaLight), the networked one also libp2p and bitswap.
 */
import "./polyfill.js";
import type { Helia } from "@helia/interface";
import type { Libp2p } from "@libp2p/interface";
import type { CID } from "multiformats/cid";
import type { BlockBackend } from "./backend.js";
import type { Block } from "../core/index.js";
import { drain, walkDag } from "./dag.js";
import { IPFS_ERRORS, errorText, ipfsError, messageOf } from "../core/index.js";
import { DEFAULT_LISTEN, libp2pOptions, parseMultiaddr } from "./libp2p-config.js";
import { BlockArtifactStore, type StoreOptions } from "./store.js";
import type { ArtifactStore } from "./types.js";

export interface HeliaNetworkOptions {
  /** Listen multiaddrs (TCP on an IP). Default `/ip4/127.0.0.1/tcp/0`. */
  listen?: string[];
  /** Addresses peers are told to dial (a public IP or DNS name and port); default: the listen addresses. */
  announce?: string[];
  /** Peers to dial at start (multiaddrs ending in /p2p/<peer id>); kept connected (libp2p redials them). */
  peers?: string[];
  /** Give up a dial after this many ms. Default 5000. */
  dialTimeoutMs?: number;
}

export interface HeliaStoreOptions extends StoreOptions {
  /** Directory of the node's state; created if missing. */
  dir: string;
  /** Enables libp2p + bitswap. Absent: an embedded, offline node. */
  network?: HeliaNetworkOptions;
  /** Where to report non-fatal problems (a peer that could not be dialed at start). */
  log?: (line: string) => void;
}

/** A Helia-backed store; networked ones also expose their libp2p identity and can dial peers. */
export interface HeliaArtifactStore extends ArtifactStore {
  readonly helia: Helia;
  /** Peer ID (networked), else undefined. */
  readonly peerId?: string;
  /** Listen multiaddrs including /p2p/<peer id> (empty when embedded). */
  multiaddrs(): string[];
  /** Dials a peer by multiaddr and keeps it connected. IPFS_CONFIG for an embedded store or a bad address. */
  dial(addr: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Peer IDs currently connected. */
  peers(): string[];
}

const DEFAULT_NETWORK_TIMEOUT_MS = 30_000;

class HeliaBlockBackend implements BlockBackend {
  readonly defaultTimeoutMs?: number;
  constructor(
    readonly kind: "helia" | "helia-network",
    readonly helia: Helia,
  ) {
    this.defaultTimeoutMs = kind === "helia-network" ? DEFAULT_NETWORK_TIMEOUT_MS : undefined;
  }

  async putBlock(block: Block, opts: { signal: AbortSignal; pin: boolean }): Promise<void> {
    await this.helia.blockstore.put(block.cid, block.bytes, { signal: opts.signal });
    if (opts.pin) await this.addPin(block.cid, opts.signal);
  }

  async getBlock(cid: CID, opts: { signal: AbortSignal; offline: boolean }): Promise<Uint8Array | undefined> {
    const offline = this.kind === "helia" || opts.offline;
    if (offline && !(await this.helia.blockstore.has(cid, { signal: opts.signal }))) return undefined;
    try {
      return await concat(this.helia.blockstore.get(cid, { signal: opts.signal, offline }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  hasBlock(cid: CID, opts: { signal: AbortSignal }): Promise<boolean> {
    return Promise.resolve(this.helia.blockstore.has(cid, { signal: opts.signal }));
  }

  async pin(cid: CID, opts: { signal: AbortSignal; load: (cid: CID) => Promise<Uint8Array> }): Promise<void> {
    // Fetch and verify the whole DAG first (over bitswap when networked), then pin from local blocks.
    for await (const b of walkDag(cid, opts.load, { signal: opts.signal })) {
      if (!(await this.helia.blockstore.has(b.cid)))
        await this.helia.blockstore.put(b.cid, b.bytes, { signal: opts.signal });
    }
    await this.addPin(cid, opts.signal);
  }

  isPinned(cid: CID, opts: { signal: AbortSignal }): Promise<boolean> {
    return this.helia.pins.isPinned(cid, { signal: opts.signal });
  }

  async close(): Promise<void> {
    await this.helia.stop();
  }

  /**
   * Pins a DAG whose blocks are all local. Helia's pins.add is NOT given the caller's signal: an abort in the
   * middle of its graph walk rejects a promise inside @helia/utils' walker that nothing handles
   * (`gen.throw(err)` in graph-walker.js), an unhandled rejection that ended the node under `npm run bench:load`.
   * The walk is local and short; the caller is released by withDeadline (deadline.ts) on abort anyway.
   */
  private async addPin(cid: CID, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (await this.helia.pins.isPinned(cid)) return;
    try {
      // pins.add pins each block as its walk reaches it: run it to the end
      await drain(this.helia.pins.add(cid, { offline: true } as object));
    } catch (err) {
      if (errorText(err, "name") !== "AlreadyPinnedError") throw err;
    }
  }
}

/** Opens (creating if needed) a Helia store in `opts.dir`; networked when `opts.network` is given. */
export async function openHeliaStore(opts: HeliaStoreOptions): Promise<HeliaArtifactStore> {
  if (typeof opts.dir !== "string" || opts.dir.length === 0)
    throw ipfsError(IPFS_ERRORS.CONFIG, "a Helia store needs a directory (dir)");
  const path = await import("node:path");
  const { mkdir } = await import("node:fs/promises");
  const [createHeliaLight, { FsBlockstore }, { FsDatastore }, dagJson, dagCbor] = await Promise.all([
    loadCreateHeliaLight(),
    import("blockstore-fs"),
    import("datastore-fs"),
    import("@ipld/dag-json"),
    import("@ipld/dag-cbor"),
  ]);
  const peers = (opts.network?.peers ?? []).map((p) => parseMultiaddr(p, "peer"));
  try {
    await mkdir(path.join(opts.dir, "blocks"), { recursive: true });
    await mkdir(path.join(opts.dir, "data"), { recursive: true });
  } catch (err) {
    throw ipfsError(
      IPFS_ERRORS.CONFIG,
      `cannot create the store directory ${opts.dir}: ${(err as Error).message}`,
      { dir: opts.dir },
      err,
    );
  }
  const light = createHeliaLight({
    blockstore: new FsBlockstore(path.join(opts.dir, "blocks")),
    datastore: new FsDatastore(path.join(opts.dir, "data")),
    codecs: [dagJson as never, dagCbor as never],
  });
  let helia: Helia = light;
  if (opts.network) {
    const [{ withLibp2pLight }, { withBitswap }] = await Promise.all([
      import("@helia/libp2p"),
      import("@helia/bitswap"),
    ]);
    const options = await libp2pOptions(opts.network.listen ?? DEFAULT_LISTEN, opts.network.announce ?? []);
    const messageSize = Math.max(4 * 1024 * 1024, (opts.maxBytes ?? 0) + 256 * 1024);
    helia = withBitswap(withLibp2pLight(light, options as never), {
      maxIncomingMessageSize: messageSize,
      maxOutgoingMessageSize: messageSize,
    });
  }
  try {
    await helia.start();
  } catch (err) {
    throw ipfsError(
      IPFS_ERRORS.BACKEND,
      `cannot start the Helia node in ${opts.dir}: ${(err as Error).message}`,
      { dir: opts.dir },
      err,
    );
  }
  const backend = new HeliaBlockBackend(opts.network ? "helia-network" : "helia", helia);
  const store = new BlockArtifactStore(backend, opts);
  const libp2p = opts.network ? (helia as unknown as { libp2p: Libp2p }).libp2p : undefined;
  const dialTimeoutMs = opts.network?.dialTimeoutMs ?? 5000;

  const dial = async (addr: string, o: { signal?: AbortSignal } = {}) => {
    if (!libp2p)
      throw ipfsError(
        IPFS_ERRORS.CONFIG,
        "this Helia store is not networked (no `network` option): it cannot dial peers",
      );
    const ma = parseMultiaddr(addr, "peer");
    const signal = AbortSignal.any([AbortSignal.timeout(dialTimeoutMs), ...(o.signal ? [o.signal] : [])]);
    try {
      const conn = await libp2p.dial(ma, { signal });
      await libp2p.peerStore.merge(conn.remotePeer, {
        multiaddrs: [ma],
        tags: { "keep-alive-chorus": { value: 100 } },
      });
    } catch (err) {
      throw ipfsError(
        IPFS_ERRORS.BACKEND,
        `cannot dial peer ${addr}: ${(err as Error).message}`,
        { multiaddr: addr },
        err,
      );
    }
  };
  for (const p of peers) {
    await dial(p.toString()).catch((err: unknown) => opts.log?.(`ipfs: ${messageOf(err)}`));
  }
  return Object.assign(store, {
    helia,
    peerId: libp2p?.peerId.toString(),
    multiaddrs: () => (libp2p ? libp2p.getMultiaddrs().map(String) : []),
    dial,
    peers: () => (libp2p ? libp2p.getPeers().map(String) : []),
  });
}

type CreateHeliaLight = (init: Record<string, unknown>) => Helia;

/**
 * helia's `createHeliaLight` is `new Helia({ name, version, ...init })`, but importing the package entry also
 * loads libp2p with its default transports, the HTTP client and bitswap (~1.4 s idle, 3+ s on a busy machine).
 * The embedded store needs only the Helia class, so it is loaded from helia's own module file (~0.4 s); if that
 * file is not where helia 7.1.15 keeps it, the package entry is used instead.
 */
async function loadCreateHeliaLight(): Promise<CreateHeliaLight> {
  try {
    const entry = import.meta.resolve("helia");
    const modules: unknown[] = await Promise.all([
      import(new URL("./helia.js", entry).href),
      import(new URL("./version.js", entry).href),
    ]);
    const [heliaModule, versionModule] = modules;
    const { Helia } = heliaModule as { Helia?: unknown };
    const { name, version } = versionModule as { name?: unknown; version?: unknown };
    if (typeof Helia === "function" && typeof name === "string" && typeof version === "string") {
      const HeliaClass = Helia as new (init: Record<string, unknown>) => Helia;
      return (init) => new HeliaClass({ name, version, ...init });
    }
  } catch {
    /* fall back to the package entry */
  }
  const { createHeliaLight } = await import("helia");
  return createHeliaLight;
}

async function concat(source: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

function isNotFound(err: unknown): boolean {
  const name = errorText(err, "name") ?? "";
  return name === "NotFoundError" || name === "BlockNotFoundWhileOfflineError" || name === "LoadBlockFailedError";
}
