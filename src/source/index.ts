/**
 * The data-source node of Chorus's decentralized RAG: loads and chunks a corpus (src/rag/corpus.ts), builds
 * the hybrid BM25 + embedding index, publishes the corpus manifest to IPFS, serves signed retrieval over
 * HTTP (src/source/server.ts) and, given a chain, registers (or updates) itself in SourceRegistry.
 * Members call it through {@link retrieveFrom}. See src/rag/README.md ("Data sources").
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Address, Hex, LocalAccount } from "viem";
import { ChorusError, present } from "../core/index.js";
import { chorusContracts, type ChorusChain } from "../chain/contracts.js";
import { settlementDomain, type SettlementDomain } from "../core/index.js";
import { ensureSource, type EnsureAction } from "../chain/sources.js";
import type { ArtifactStore } from "../ipfs/index.js";
import { loadCorpus, type SkippedFile } from "../rag/corpus.js";
import type { ChunkOptions } from "../rag/chunk.js";
import type { Embedder } from "../rag/embeddings.js";
import { createHybridIndex } from "../rag/hybrid-index.js";
import { publishCorpus, type CorpusManifest } from "../rag/manifest.js";
import { getNode } from "../chain/registry.js";
import type { RateLimitOptions } from "../http/index.js";
import { createSourceApp } from "./server.js";

export {
  retrieveFrom,
  skipReasonOf,
  skippedSourceOf,
  RAG_SOURCE_ERRORS,
  type RagSourceErrorCode,
  type RetrieveOptions,
  type RetrieveRequestInput,
} from "./client.js";
export {
  MAX_K,
  MAX_CONTEXT_CHARS,
  RETRIEVE_SIGNATURE_HEADER,
  retrieveRequestDigest,
  RetrieveRequest,
  RetrieveResponse,
  WireServed,
  fromWire,
  queryHashOf,
  queryText,
  servedCidOf,
  toWire,
} from "../protocol/index.js";
export { servedSigner, signServed } from "./signer.js";
export { createSourceApp, type SourceAppDeps } from "./server.js";

export interface StartSourceOptions {
  /** Directory of the corpus (.txt, .md/.markdown, .jsonl; recursive). */
  corpusDir: string;
  /** Skip files it cannot use (each reported) instead of refusing to start. Default false. */
  skipBad?: boolean;
  chunk?: ChunkOptions;
  /** The source's key: signs served documents and, with `chain`, the registration. */
  account: LocalAccount;
  /** Where the manifest, chunk pages and served documents go (the caller closes it). */
  store: ArtifactStore;
  /** Registers (or updates) the source on this chain; also gives the signing domain. */
  chain?: ChorusChain;
  /** Signing domain when there is no chain (tests). */
  domain?: SettlementDomain;
  /** `undefined`: the offline sentence embedder; `null`: BM25 only. */
  embedder?: Embedder | null;
  alpha?: number;
  host?: string;
  port?: number;
  /** The URL registered on chain; default the URL it listens on. */
  endpoint?: string;
  bodyLimit?: string;
  maxConcurrent?: number;
  /** Who counts as an active staked node (served documents are stored only for them); default: NodeRegistry of `chain`, cached. */
  isActiveNode?: (address: Address) => Promise<boolean>;
  rateLimit?: RateLimitOptions;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Whether an address is an active staked node, from NodeRegistry, each answer kept for `ttlMs` (at most
 * `maxEntries` addresses), so a stream of signed requests costs one chain read per address per minute.
 */
export function activeNodeCheck(
  chain: ChorusChain,
  opts: { ttlMs?: number; maxEntries?: number } = {},
): (address: Address) => Promise<boolean> {
  const ttl = opts.ttlMs ?? 60_000;
  const max = opts.maxEntries ?? 4096;
  const cache = new Map<string, { at: number; active: Promise<boolean> }>();
  return (address) => {
    const key = address.toLowerCase();
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttl) return hit.active;
    const active = getNode(chain, address).then((n) => n.active);
    active.catch(() => cache.delete(key));
    cache.set(key, { at: Date.now(), active });
    while (cache.size > max) cache.delete(present(cache.keys().next().value, "the oldest cache entry"));
    return active;
  };
}

export interface RunningSource {
  url: string;
  endpoint: string;
  address: Address;
  manifestCid: string;
  manifest: CorpusManifest;
  skipped: SkippedFile[];
  registration?: { action: EnsureAction; hash?: Hex };
  close(): Promise<void>;
}

export async function startSource(opts: StartSourceOptions): Promise<RunningSource> {
  const log = opts.log ?? (() => {});
  const address = opts.account.address;
  const domain =
    opts.domain ??
    (opts.chain ? settlementDomain(opts.chain.chainId, chorusContracts(opts.chain).settlement.address) : undefined);
  if (!domain) throw new ChorusError("INPUT_INVALID", "startSource needs a chain or a signing domain");
  if (opts.chain && opts.chain.walletClient?.account.address !== address) {
    throw new ChorusError("INPUT_INVALID", `the chain's wallet is not the source's account ${address}`);
  }

  const corpus = await loadCorpus(opts.corpusDir, { skipBad: opts.skipBad, chunk: opts.chunk, signal: opts.signal });
  for (const s of corpus.skipped)
    log(`warning: skipped ${s.path}${s.line !== undefined ? `:${s.line}` : ""}: ${s.reason}`);
  if (corpus.ignored.length > 0) log(`ignored hidden entries: ${corpus.ignored.join(", ")}`);
  log(`corpus ${corpus.dir}: ${corpus.files.length} file(s), ${corpus.chunks.length} chunk(s)`);
  const index = await createHybridIndex(corpus.chunks, {
    embedder: opts.embedder,
    alpha: opts.alpha,
    signal: opts.signal,
  });
  const { cid: manifestCid, manifest } = await publishCorpus(
    opts.store,
    corpus,
    { embedding: index.model, alpha: index.alpha },
    { signal: opts.signal },
  );
  log(`manifest ${manifestCid} (${index.model ?? "BM25 only"})`);

  const isActiveNode = opts.isActiveNode ?? (opts.chain ? activeNodeCheck(opts.chain) : undefined);
  const app = createSourceApp({
    index,
    signer: opts.account,
    address,
    domain,
    manifestCid,
    manifest,
    store: opts.store,
    bodyLimit: opts.bodyLimit,
    maxConcurrent: opts.maxConcurrent,
    isActiveNode,
    rateLimit: opts.rateLimit,
    log,
  });
  const host = opts.host ?? "127.0.0.1";
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once("error", reject);
  }).catch((err: unknown) => {
    throw new ChorusError(
      "SOURCE_START_FAILED",
      `cannot listen on ${host}:${opts.port ?? 0}: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const endpoint = opts.endpoint ?? url;
  let registration: RunningSource["registration"];
  if (opts.chain) {
    try {
      const r = await ensureSource(opts.chain, { endpoint, manifestCid });
      registration = { action: r.action, hash: r.hash };
      log(`SourceRegistry: ${r.action}${r.hash ? ` (tx ${r.hash})` : ""}`);
    } catch (err) {
      await close();
      throw err;
    }
  }
  return { url, endpoint, address, manifestCid, manifest, skipped: corpus.skipped, registration, close };
}
