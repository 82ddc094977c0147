/**
 * Files of any size as UnixFS DAGs through @helia/unixfs, with Kubo's defaults for `ipfs add --cid-version 1`
 * (256 KiB chunks as raw leaves, balanced layout of at most 174 links per node, CIDv1, sha2-256), so a file
 * gets the same CID from Chorus, Kubo and a public gateway, and any of them can serve it. A file of one chunk
 * is that chunk's raw block: its CID is the one `putBytes` gives. The blocks go through the store's own
 * put/get, so each one is size-checked on the way in and verified against its CID on the way out.
 */
import type { CID } from "multiformats/cid";

/** Kubo's default chunk size (`size-262144`). */
export const FILE_CHUNK_BYTES = 262_144;
/** Kubo's default balanced-layout width. */
export const FILE_MAX_LINKS = 174;

/** What the UnixFS code needs from a blockstore, backed by an ArtifactStore's verified put/get. */
export interface FileBlocks {
  put(cid: CID, bytes: Uint8Array, signal?: AbortSignal): Promise<void>;
  get(cid: CID, signal?: AbortSignal): Promise<Uint8Array>;
  has(cid: CID, signal?: AbortSignal): Promise<boolean>;
}

type Content = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

async function fsOver(blocks: FileBlocks) {
  const [{ unixfs }, { fixedSize }, { balanced }] = await Promise.all([
    import("@helia/unixfs"),
    import("ipfs-unixfs-importer/chunker"),
    import("ipfs-unixfs-importer/layout"),
  ]);
  const blockstore = {
    put: async (
      cid: CID,
      bytes: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
      o?: { signal?: AbortSignal },
    ) => {
      await blocks.put(cid, await concat(bytes), o?.signal);
      return cid;
    },
    get: async function* (cid: CID, o?: { signal?: AbortSignal }) {
      yield await blocks.get(cid, o?.signal);
    },
    has: (cid: CID, o?: { signal?: AbortSignal }) => blocks.has(cid, o?.signal),
  };
  const settings = {
    cidVersion: 1 as const,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: FILE_CHUNK_BYTES }),
    layout: balanced({ maxChildrenPerNode: FILE_MAX_LINKS }),
  };
  return { fs: unixfs({ blockstore }), settings };
}

/** Imports `content` as a UnixFS file; resolves with its root CID. */
export async function importFile(blocks: FileBlocks, content: Content, signal?: AbortSignal): Promise<CID> {
  const { fs, settings } = await fsOver(blocks);
  if (content instanceof Uint8Array) return await fs.addBytes(content, { ...settings, signal });
  return await fs.addByteStream(toAsync(content), { ...settings, signal });
}

/** The file's bytes in order, each block fetched through `blocks.get` (verified there). */
export async function* exportFile(blocks: FileBlocks, cid: CID, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const { fs } = await fsOver(blocks);
  yield* fs.cat(cid, { signal });
}

async function concat(source: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

async function* toAsync(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const c of source) yield c;
}
