/**
 * CAR (v1) files: building one from a store for the gateway, and reading one with every block verified
 * against its CID, which is what an auditor does with a CAR fetched from any node.
 */
import type { CID } from "multiformats/cid";
import { parseCid } from "../core/index.js";
import { DEFAULT_MAX_BYTES, verifyBlock, type Block } from "../core/index.js";
import { walkDag } from "./dag.js";
import { IPFS_ERRORS, ipfsError } from "../core/index.js";

/** Which blocks a CAR holds: the root only, or the root and everything reachable from it. */
export type DagScope = "block" | "all";

/** Encodes blocks (the first is the root) as a CARv1 with one root. */
export async function encodeCar(root: CID, blocks: Iterable<Block> | AsyncIterable<Block>): Promise<Uint8Array> {
  const { CarWriter } = await import("@ipld/car");
  const { writer, out } = CarWriter.create([root]);
  const chunks: Uint8Array[] = [];
  const collecting = (async () => {
    for await (const c of out) chunks.push(c);
  })();
  for await (const b of blocks) await writer.put(b);
  await writer.close();
  await collecting;
  return Buffer.concat(chunks);
}

/**
 * Collects the blocks of `root` for a CAR with `scope`, via `load` (verified blocks, `undefined` if absent).
 * A missing linked block is IPFS_NOT_FOUND naming it; more than `maxTotalBytes` is IPFS_TOO_LARGE.
 */
export async function collectDag(
  root: CID,
  scope: DagScope,
  load: (cid: CID) => Promise<Uint8Array | undefined>,
  opts: { maxTotalBytes?: number; signal?: AbortSignal } = {},
): Promise<Block[]> {
  const limit = opts.maxTotalBytes ?? 16 * DEFAULT_MAX_BYTES;
  const blocks: Block[] = [];
  let total = 0;
  const missing = (cid: CID) =>
    ipfsError(IPFS_ERRORS.NOT_FOUND, `block ${cid.toString()} (linked from ${root.toString()}) is not in the store`, {
      cid: cid.toString(),
      root: root.toString(),
    });
  for await (const b of walkDag(root, load, { onMissing: missing, signal: opts.signal })) {
    total += b.bytes.length;
    if (total > limit)
      throw ipfsError(IPFS_ERRORS.TOO_LARGE, `the DAG under ${root.toString()} is over ${limit} bytes`, {
        root: root.toString(),
        limit,
      });
    blocks.push(b);
    if (scope === "block") break;
  }
  return blocks;
}

/**
 * Reads a CAR and verifies every block against its CID (IPFS_CID_MISMATCH on the first that does not match).
 * Resolves with the roots and the blocks in file order.
 */
export async function readCarVerified(
  bytes: Uint8Array,
  opts: { maxBytes?: number } = {},
): Promise<{ roots: CID[]; blocks: Block[] }> {
  const { CarReader } = await import("@ipld/car");
  let reader: Awaited<ReturnType<typeof CarReader.fromBytes>>;
  try {
    reader = await CarReader.fromBytes(bytes);
  } catch (err) {
    throw ipfsError(IPFS_ERRORS.DECODE, `not a valid CAR: ${(err as Error).message}`, {}, err);
  }
  const blocks: Block[] = [];
  for await (const b of reader.blocks()) {
    const cid = parseCid(b.cid);
    await verifyBlock(cid, b.bytes, opts.maxBytes ?? DEFAULT_MAX_BYTES);
    blocks.push({ cid, bytes: b.bytes });
  }
  return { roots: (await reader.getRoots()).map((r) => parseCid(r)), blocks };
}
