/**
 * Links between blocks and a depth-first walk over a DAG, for CAR export (`dag-scope=all`) and recursive
 * pins in stores that do not pin natively.
 */
import * as dagPb from "@ipld/dag-pb";
import { CID } from "multiformats/cid";
import { CODEC } from "../core/index.js";
import { decodeJson, present, type Block } from "../core/index.js";

/** The CIDs a verified block links to, in document order (raw blocks link to nothing). */
export function linksOf(cid: CID, bytes: Uint8Array): CID[] {
  if (cid.code === CODEC.raw) return [];
  if (cid.code === CODEC.dagPb) return dagPb.decode(bytes).Links.map((l) => CID.asCID(l.Hash) as CID);
  const out: CID[] = [];
  collect(decodeJson(cid, bytes), out);
  return out;
}

function collect(v: unknown, out: CID[]): void {
  if (v === null || typeof v !== "object") return;
  const cid = CID.asCID(v);
  if (cid) {
    out.push(cid);
    return;
  }
  if (v instanceof Uint8Array) return;
  for (const child of Array.isArray(v) ? v : Object.values(v)) collect(child, out);
}

/**
 * Yields the root block and every block reachable from it, depth first, each once. `load` returns a verified
 * block or `undefined` when it is not available; with `skipMissing` such blocks are left out (the walk goes
 * on), otherwise `onMissing` is called and its error thrown.
 */
export async function* walkDag(
  root: CID,
  load: (cid: CID) => Promise<Uint8Array | undefined>,
  opts: { skipMissing?: boolean; onMissing?: (cid: CID) => Error; signal?: AbortSignal } = {},
): AsyncGenerator<Block> {
  const seen = new Set<string>();
  const stack: CID[] = [root];
  while (stack.length > 0) {
    opts.signal?.throwIfAborted();
    const cid = present(stack.pop(), "the next CID on the walk stack");
    const key = cid.toString();
    if (seen.has(key)) continue;
    seen.add(key);
    const bytes = await load(cid);
    if (bytes === undefined) {
      if (opts.skipMissing) continue;
      throw opts.onMissing ? opts.onMissing(cid) : new Error(`block ${key} is missing`);
    }
    yield { cid, bytes };
    const links = linksOf(cid, bytes);
    for (let i = links.length - 1; i >= 0; i--) stack.push(links[i]);
  }
}

/** Runs an async iteration to its end, for iterations whose work is the walk itself (loading, pinning). */
export async function drain(source: AsyncIterable<unknown>): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  for (let r = await it.next(); r.done !== true; r = await it.next()) {
    /* nothing to keep: the iteration's side effects are the point */
  }
}
