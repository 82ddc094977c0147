/**
 * The IPFS trustless-gateway interface over an artifact store (https://specs.ipfs.tech/http-gateways/trustless-gateway/):
 *
 *   GET|HEAD /ipfs/:cid?format=raw   or  Accept: application/vnd.ipld.raw  -> the block's bytes
 *   GET|HEAD /ipfs/:cid?format=car   or  Accept: application/vnd.ipld.car  -> a CARv1 (dag-scope=all|entity|block)
 *   GET|HEAD /ipfs/:cid                                                 -> the block's bytes, typed by codec
 *                                                                          (dag-json as application/json)
 *
 * Only blocks already in the local store are served (the gateway never fetches from peers), and each is
 * verified before it is sent. Errors: 400 bad CID / unknown codec / unsupported format, 404 not in the store,
 * 500 stored content that does not match its CID; the body is `{ error: { message, type, code, details } }`.
 */
import { Router, type Request, type Response } from "express";
import type { CID } from "multiformats/cid";
import { isChorusError, type ChorusError } from "../core/index.js";
import { collectDag, encodeCar, type DagScope } from "./car.js";
import { CODEC, codecName, parseCid } from "../core/index.js";
import { IPFS_ERRORS, ipfsError } from "../core/index.js";
import type { ArtifactStore } from "./types.js";

const RAW = "application/vnd.ipld.raw";
const CAR = "application/vnd.ipld.car";
const IMMUTABLE = "public, max-age=29030400, immutable";

type Format = "raw" | "car" | "plain";

/** An express Router serving `store`'s local blocks at `/ipfs/:cid`; mount it at `/`. */
export function gatewayRouter(store: ArtifactStore): Router {
  const router = Router();
  const handler = (req: Request, res: Response) => {
    serve(store, req, res).catch((err: unknown) => sendError(res, err));
  };
  router.get("/ipfs/:cid", handler);
  router.head("/ipfs/:cid", handler);
  router.all("/ipfs/:cid/*rest", (_req, res) => {
    sendError(
      res,
      ipfsError(IPFS_ERRORS.BAD_REQUEST, "paths inside a DAG are not served: request the block's own CID"),
    );
  });
  return router;
}

async function serve(store: ArtifactStore, req: Request, res: Response): Promise<void> {
  const cid = parseCid(String(req.params.cid));
  codecName(cid);
  const format = formatOf(req);
  const scope = scopeOf(req, cid);
  const local = async (c: CID) => {
    try {
      return await store.get(c, { offline: true });
    } catch (err) {
      if (isChorusError(err, IPFS_ERRORS.NOT_FOUND)) return undefined;
      throw err;
    }
  };
  const root = await local(cid);
  if (root === undefined)
    throw ipfsError(IPFS_ERRORS.NOT_FOUND, `block ${cid.toString()} is not in this node's store`, {
      cid: cid.toString(),
    });

  const id = cid.toString();
  const etag = format === "car" ? `"${id}.car.${scope}"` : format === "raw" ? `"${id}.raw"` : `"${id}"`;
  res.set({
    "X-Ipfs-Path": `/ipfs/${id}`,
    "X-Ipfs-Roots": id,
    Etag: etag,
    "Cache-Control": IMMUTABLE,
    "X-Content-Type-Options": "nosniff",
    Vary: "Accept",
  });
  if (req.headers["if-none-match"] === etag) {
    res.status(304).end();
    return;
  }
  let body: Uint8Array;
  if (format === "car") {
    const blocks =
      scope === "block"
        ? [{ cid, bytes: root }]
        : await collectDag(cid, "all", async (c) => (c.equals(cid) ? root : local(c)));
    body = await encodeCar(cid, blocks);
    res.set({
      "Content-Type": `${CAR}; version=1; order=dfs; dups=n`,
      "Content-Disposition": `attachment; filename="${id}.car"`,
    });
  } else if (format === "raw") {
    body = root;
    res.set({ "Content-Type": RAW, "Content-Disposition": `attachment; filename="${id}.bin"` });
  } else {
    body = root;
    res.set({ "Content-Type": plainType(cid) });
  }
  res.set("Content-Length", String(body.length));
  if (req.method === "HEAD") res.status(200).end();
  else res.status(200).end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}

function formatOf(req: Request): Format {
  const q = req.query.format;
  if (q !== undefined) {
    if (q === "raw" || q === "car") return q;
    throw ipfsError(
      IPFS_ERRORS.BAD_REQUEST,
      `unsupported format '${queryText(q)}' (this trustless gateway serves format=raw and format=car)`,
      { format: queryText(q) },
    );
  }
  const accept = req.headers.accept ?? "";
  const raw = accept.indexOf(RAW);
  const car = accept.indexOf(CAR);
  if (raw >= 0 && (car < 0 || raw < car)) return "raw";
  if (car >= 0) return "car";
  return "plain";
}

function scopeOf(req: Request, cid: CID): DagScope {
  const s = req.query["dag-scope"];
  if (s === undefined || s === "all") return "all";
  if (s === "block") return "block";
  if (s === "entity") return cid.code === CODEC.dagPb ? "all" : "block";
  throw ipfsError(IPFS_ERRORS.BAD_REQUEST, `unsupported dag-scope '${queryText(s)}' (block, entity or all)`, {
    dagScope: queryText(s),
  });
}

/** A query value as the client sent it: a string as is, a repeated or nested one (`?a=x&a=y`, `?a[b]=x`) as JSON. */
function queryText(value: Request["query"][string]): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function plainType(cid: CID): string {
  if (cid.code === CODEC.dagJson) return "application/json; charset=utf-8";
  if (cid.code === CODEC.dagCbor) return "application/cbor";
  return "application/octet-stream";
}

function statusOf(err: ChorusError): number {
  switch (err.code) {
    case IPFS_ERRORS.BAD_CID:
    case IPFS_ERRORS.UNKNOWN_CODEC:
    case IPFS_ERRORS.UNKNOWN_HASH:
    case IPFS_ERRORS.BAD_REQUEST:
      return 400;
    case IPFS_ERRORS.NOT_FOUND:
      return 404;
    case IPFS_ERRORS.TOO_LARGE:
      return 413;
    case IPFS_ERRORS.CLOSED:
      return 503;
    default:
      return 500;
  }
}

function sendError(res: Response, err: unknown): void {
  if (res.headersSent) {
    res.destroy(err as Error);
    return;
  }
  const e = isChorusError(err) ? err : ipfsError(IPFS_ERRORS.BACKEND, "internal error", {}, err);
  const status = statusOf(e);
  res.removeHeader("Etag");
  res.removeHeader("Cache-Control");
  res.status(status).json({
    error: {
      message: e.message,
      type: status >= 500 ? "server_error" : "invalid_request_error",
      code: e.code,
      details: e.toJSON().details,
    },
  });
}
