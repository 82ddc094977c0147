/**
 * An artifact store on an external Kubo (go-ipfs) node, through its RPC API (kubo-rpc-client), for operators
 * who already run one. Blocks go in with `block/put` (codec and sha2-256 given explicitly) and out with
 * `block/get`; the CID Kubo reports and every block it returns are checked here, so a misbehaving daemon
 * cannot substitute content. Pins are Kubo's own recursive pins.
 */
import type { CID } from "multiformats/cid";
import type { BlockBackend } from "./backend.js";
import { codecName } from "../core/index.js";
import type { Block } from "../core/index.js";
import { errorText, IPFS_ERRORS, ipfsError } from "../core/index.js";
import { BlockArtifactStore, type StoreOptions } from "./store.js";
import type { ArtifactStore } from "./types.js";

export interface KuboStoreOptions extends StoreOptions {
  /** The Kubo RPC API URL, e.g. `http://127.0.0.1:5001` (the client appends /api/v0). */
  url: string;
  /** Extra headers (e.g. Authorization for an RPC behind a proxy). */
  headers?: Record<string, string>;
}

type KuboClient = import("kubo-rpc-client").KuboRPCClient;

const DEFAULT_TIMEOUT_MS = 30_000;

class KuboBlockBackend implements BlockBackend {
  readonly kind = "kubo" as const;
  readonly defaultTimeoutMs = DEFAULT_TIMEOUT_MS;
  constructor(private readonly client: KuboClient) {}

  async putBlock(block: Block, opts: { signal: AbortSignal; pin: boolean }): Promise<void> {
    // `cidCodec` is Kubo's `cid-codec`, which the client's BlockPutOptions type leaves out: passed as a variable
    const options = {
      signal: opts.signal,
      cidCodec: codecName(block.cid),
      mhtype: "sha2-256",
      pin: opts.pin,
      allowBigBlock: block.bytes.length > 1024 * 1024,
    };
    const got = await this.client.block.put(block.bytes, options);
    if (!block.cid.equals(got)) {
      throw ipfsError(
        IPFS_ERRORS.CID_MISMATCH,
        `Kubo stored the block as ${String(got)}, expected ${block.cid.toString()}`,
        {
          cid: block.cid.toString(),
          kubo: String(got),
        },
      );
    }
  }

  async getBlock(cid: CID, opts: { signal: AbortSignal; offline: boolean }): Promise<Uint8Array | undefined> {
    try {
      return await this.client.block.get(cid, {
        signal: opts.signal,
        ...(opts.offline ? { offline: true } : {}),
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async hasBlock(cid: CID, opts: { signal: AbortSignal }): Promise<boolean> {
    try {
      await this.client.block.stat(cid, { signal: opts.signal, offline: true } as never);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async pin(cid: CID, opts: { signal: AbortSignal }): Promise<void> {
    try {
      await this.client.pin.add(cid, { signal: opts.signal, recursive: true });
    } catch (err) {
      if (isNotFound(err))
        throw ipfsError(
          IPFS_ERRORS.NOT_FOUND,
          `Kubo could not find ${cid.toString()} (or a block it links to) to pin`,
          { cid: cid.toString() },
          err,
        );
      throw err;
    }
  }

  async isPinned(cid: CID, opts: { signal: AbortSignal }): Promise<boolean> {
    try {
      for await (const p of this.client.pin.ls({ paths: [cid], signal: opts.signal })) {
        if (p.cid.equals(cid) && p.type !== "indirect") return true;
      }
      return false;
    } catch (err) {
      if (/not pinned/i.test(errorText(err, "message") ?? "")) return false;
      throw err;
    }
  }

  async close(): Promise<void> {}
}

/** A store on the Kubo RPC API at `opts.url`. Nothing is sent until the first call; an unreachable daemon is IPFS_BACKEND then. */
export async function openKuboStore(opts: KuboStoreOptions): Promise<ArtifactStore> {
  let url: URL;
  try {
    url = new URL(opts.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
  } catch (err) {
    throw ipfsError(IPFS_ERRORS.CONFIG, `Kubo RPC URL '${opts.url}' is not an http(s) URL`, { url: opts.url }, err);
  }
  const { create } = await import("kubo-rpc-client");
  const client = create({ url, headers: opts.headers });
  return new BlockArtifactStore(new KuboBlockBackend(client), opts);
}

function isNotFound(err: unknown): boolean {
  const msg = errorText(err, "message") ?? "";
  return /not found|could not find|no link named/i.test(msg);
}
