/**
 * The data-source node's HTTP service (express 5):
 *
 * - `POST /retrieve` `{ roundId, query, k }` -> `{ served, servedCid, signature }` (src/protocol/served.ts):
 *   the top-k contexts of the hybrid index for the query's last user message, bound to the round id and
 *   the query hash and signed. The served document is stored in the source's artifact store ONLY when the
 *   request is signed (header `x-chorus-signature`, EIP-191 over the body's keccak256) by a node that
 *   `isActiveNode` says is active and staked (NodeRegistry, cached): an anonymous caller is answered but
 *   leaves nothing behind, so made-up round ids cannot fill the store. Per-IP token buckets (429 +
 *   Retry-After) bound what one address can ask.
 * - `GET /manifest` -> `{ address, manifestCid, manifest }`; `GET /health` -> `{ ok, address, ... }`;
 *   `/ipfs/<cid>` the trustless gateway of the source's store (manifest, chunk pages, served documents).
 *
 * Bodies are limited (default 64kb) and validated with zod; every error is JSON `{ error: { message, code } }`
 * with a 4xx status for bad requests, 503 when more than `maxConcurrent` retrievals are in flight.
 */
import express, { type Express } from "express";
import type { Address } from "viem";
import { ChorusError } from "../core/index.js";
import type { SettlementDomain, TypedDataSigner } from "../core/index.js";
import type { ArtifactStore } from "../ipfs/index.js";
import { errorHandler, jsonBody, parseBody, route } from "../http/index.js";
import type { HybridIndex } from "../rag/hybrid-index.js";
import type { CorpusManifest } from "../rag/manifest.js";
import { SERVED_TYPE, type ServedDoc } from "../protocol/index.js";
import { cidOfJson } from "../core/index.js";
import { recoverDigestSigner } from "../core/index.js";
import { ipRateLimit, type RateLimitOptions } from "../http/index.js";
import {
  queryHashOf,
  queryText,
  RETRIEVE_SIGNATURE_HEADER,
  retrieveRequestDigest,
  RetrieveRequest,
  toWire,
} from "../protocol/index.js";
import { signServed } from "./signer.js";

export interface SourceAppDeps {
  index: HybridIndex;
  signer: TypedDataSigner;
  address: Address;
  domain: SettlementDomain;
  manifestCid: string;
  manifest: CorpusManifest;
  /** Where served documents are kept and what `/ipfs` serves; optional. */
  store?: ArtifactStore;
  bodyLimit?: string;
  maxConcurrent?: number;
  /**
   * Whether `address` is an active staked node now (cached by the caller). Without it nothing served is
   * stored: the source cannot tell a member from anyone else.
   */
  isActiveNode?: (address: Address) => Promise<boolean>;
  /** Per-IP limit of `POST /retrieve` (default {@link DEFAULT_RETRIEVE_RATE}). */
  rateLimit?: RateLimitOptions;
  log?: (line: string) => void;
}

/** 20 retrievals a second per address, bursts of 60 (a 7-member committee asks once per member per round). */
export const DEFAULT_RETRIEVE_RATE: RateLimitOptions = { perSecond: 20, burst: 60 };

export const DEFAULT_SOURCE_BODY_LIMIT = "64kb";
export const DEFAULT_MAX_CONCURRENT = 8;

export function createSourceApp(deps: SourceAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  const log = deps.log ?? (() => {});
  const maxConcurrent = deps.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
  let active = 0;
  let served = 0;
  let kept = 0;
  /** True when `signature` over `raw` recovers to an active staked node. */
  const signedByActiveNode = async (signature: string | undefined, raw: Buffer | undefined): Promise<boolean> => {
    if (!deps.isActiveNode || !signature || !raw || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return false;
    const signer = recoverDigestSigner(retrieveRequestDigest(raw), signature as `0x${string}`);
    if (!signer) return false;
    try {
      return await deps.isActiveNode(signer);
    } catch (err) {
      log(`warning: cannot check whether ${signer} is an active node: ${(err as Error).message}`);
      return false;
    }
  };

  app.get("/health", (_req, res) => {
    res.json({
      ok: true,
      address: deps.address,
      manifestCid: deps.manifestCid,
      chunks: deps.index.size,
      embedding: deps.index.model,
      served,
      kept,
    });
  });
  app.get("/manifest", (_req, res) => {
    res.json({ address: deps.address, manifestCid: deps.manifestCid, manifest: deps.manifest });
  });
  app.post(
    "/retrieve",
    ipRateLimit(deps.rateLimit ?? DEFAULT_RETRIEVE_RATE),
    jsonBody(deps.bodyLimit ?? DEFAULT_SOURCE_BODY_LIMIT, { keepRaw: true }),
    route(async (req, res) => {
      const body = parseBody(RetrieveRequest, req.body);
      const keep = await signedByActiveNode(req.get(RETRIEVE_SIGNATURE_HEADER), (req as { rawBody?: Buffer }).rawBody);
      if (active >= maxConcurrent)
        throw new ChorusError("OVERLOADED", `source busy: ${active} retrievals in flight (limit ${maxConcurrent})`);
      active++;
      const abort = new AbortController();
      res.on("close", () => abort.abort());
      try {
        const contexts = await deps.index.search(queryText(body.query), body.k, { signal: abort.signal });
        const doc: ServedDoc = {
          type: SERVED_TYPE,
          source: deps.address,
          roundId: body.roundId as `0x${string}`,
          queryHash: queryHashOf((await cidOfJson(body.query)).toString()),
          manifestCid: deps.manifestCid,
          k: body.k,
          contexts,
        };
        const signed = await signServed(deps.signer, deps.domain, doc);
        if (deps.store && keep) {
          try {
            await deps.store.putJson(toWire(doc), { signal: abort.signal });
            kept++;
          } catch (err) {
            log(`warning: could not store served document ${signed.servedCid}: ${(err as Error).message}`);
          }
        }
        served++;
        res.json({ served: toWire(doc), servedCid: signed.servedCid, signature: signed.signature });
      } finally {
        active--;
      }
    }),
  );
  if (deps.store) app.use(deps.store.gateway());
  app.use((req, _res, next) => next(new ChorusError("NOT_FOUND", `no route ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
