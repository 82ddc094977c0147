/**
 * Pinning a node's round artifacts on a remote Kubo (a machine of the operator's, or a pinning service that
 * speaks the Kubo RPC) through kubo-rpc-client: every block of the artifact's DAG is pushed with `block/put`
 * (so the remote node needs no route back to this one), each CID Kubo reports checked, then `pin/add`
 * (recursive). The store runs it in the background after each pinned put; a failure is logged and never fails
 * the round (the local pin stands).
 */
import type { CID } from "multiformats/cid";
import { codecName, IPFS_ERRORS, ipfsError } from "../core/index.js";
import { walkDag } from "./dag.js";

export interface RemotePinConfig {
  /** Kubo RPC API URL, e.g. `https://pin.example.org:5001` (the client appends /api/v0). */
  url: string;
  /** Extra headers, e.g. `{ "Authorization": "Bearer ..." }` for an RPC behind a proxy. */
  headers?: Record<string, string>;
  /** Deadline (ms) of one artifact's push and pin. Default 60000. */
  timeoutMs?: number;
}

export interface RemotePinner {
  readonly url: string;
  /** Pushes the DAG under `root` (blocks from `load`) and pins it remotely. */
  pin(root: CID, load: (cid: CID) => Promise<Uint8Array>, signal?: AbortSignal): Promise<void>;
}

export async function openRemotePinner(config: RemotePinConfig): Promise<RemotePinner> {
  let url: URL;
  try {
    url = new URL(config.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
  } catch (err) {
    throw ipfsError(
      IPFS_ERRORS.CONFIG,
      `remote pin URL '${config.url}' is not an http(s) URL`,
      { url: config.url },
      err,
    );
  }
  const shown = url.toString();
  const { create } = await import("kubo-rpc-client");
  const client = create({ url: new URL(shown), headers: config.headers });
  const timeoutMs = config.timeoutMs ?? 60_000;
  return {
    url: shown,
    async pin(root, load, signal) {
      const s = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]);
      try {
        for await (const b of walkDag(root, load, { signal: s })) {
          // `cidCodec` is Kubo's `cid-codec`, which the client's BlockPutOptions type leaves out: passed as a variable
          const options = {
            signal: s,
            cidCodec: codecName(b.cid),
            mhtype: "sha2-256",
            allowBigBlock: b.bytes.length > 1024 * 1024,
          };
          const got = await client.block.put(b.bytes, options);
          if (!b.cid.equals(got))
            throw ipfsError(IPFS_ERRORS.CID_MISMATCH, `the remote Kubo stored ${b.cid.toString()} as ${String(got)}`, {
              cid: b.cid.toString(),
            });
        }
        await client.pin.add(root, { signal: s, recursive: true });
      } catch (err) {
        if ((err as { code?: string }).code?.startsWith("IPFS_")) throw err;
        throw ipfsError(
          IPFS_ERRORS.BACKEND,
          `cannot pin ${root.toString()} on ${shown}: ${(err as Error).message}`,
          { cid: root.toString(), url: shown },
          err,
        );
      }
    },
  };
}
