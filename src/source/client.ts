/**
 * A member's side of retrieval: asks one data source for top-k contexts and accepts the answer only when
 * everything checks out. Each failure is a ChorusError with one of five codes, which map one-to-one to the
 * `SkippedSource.reason` a round records ({@link skipReasonOf}):
 *
 * | code                       | reason          | when                                                          |
 * |----------------------------|-----------------|---------------------------------------------------------------|
 * | RAG_SOURCE_TIMEOUT         | timeout         | no complete answer within `timeoutMs`                          |
 * | RAG_SOURCE_UNREACHABLE     | unreachable     | connection failed, or the source answered 5xx                  |
 * | RAG_SOURCE_MALFORMED       | malformed       | non-200, too large, not JSON, wrong shape, > k contexts, texts too long, duplicate ids, not sorted |
 * | RAG_SOURCE_BAD_SIGNATURE   | bad-signature   | the signature over (roundId, CID of the served document as received) is not the source's |
 * | RAG_SOURCE_WRONG_BINDING   | wrong-binding   | served for another round, query, source or k                   |
 *
 * The binding (round, query hash, source, k) is checked first, then the signature. The CID is recomputed from the document received, never taken from the response, so a context changed
 * after signing fails as a bad signature. Only the caller's own `signal` aborting gives another error
 * (RAG_SOURCE_ABORTED, no skip reason: the member gave up, the source did nothing wrong).
 */
import { isAddressEqual, type Hex } from "viem";
import { ChorusError } from "../errors.js";
import type { SettlementDomain } from "../chain/records.js";
import type { QueryDoc } from "../round/protocol.js";
import type { SignedServed, SkippedSource, SourceInfo } from "../rag/types.js";
import { fromWire, queryHashOf, RetrieveResponse, servedCidOf } from "./served.js";
import { servedSigner } from "./signer.js";

export const RAG_SOURCE_ERRORS = {
  RAG_SOURCE_TIMEOUT: "timeout",
  RAG_SOURCE_UNREACHABLE: "unreachable",
  RAG_SOURCE_MALFORMED: "malformed",
  RAG_SOURCE_BAD_SIGNATURE: "bad-signature",
  RAG_SOURCE_WRONG_BINDING: "wrong-binding",
} as const satisfies Record<string, SkippedSource["reason"]>;
export type RagSourceErrorCode = keyof typeof RAG_SOURCE_ERRORS;

/** Largest response body accepted (32 contexts of 8000 characters fit). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

export interface RetrieveRequestInput {
  roundId: Hex;
  query: QueryDoc;
  k: number;
}

export interface RetrieveOptions {
  domain: SettlementDomain;
  timeoutMs: number;
  signal?: AbortSignal;
  maxResponseBytes?: number;
}

/** The skip reason of a retrieval error, or null when `err` is not one of the five source failures. */
export function skipReasonOf(err: unknown): SkippedSource["reason"] | null {
  if (err instanceof ChorusError && err.code in RAG_SOURCE_ERRORS) return RAG_SOURCE_ERRORS[err.code as RagSourceErrorCode];
  return null;
}

/** The SkippedSource record for a retrieval error (null when it is not a source failure). */
export function skippedSourceOf(source: SourceInfo, err: unknown): SkippedSource | null {
  const reason = skipReasonOf(err);
  return reason ? { source: source.address, reason, detail: (err as Error).message.slice(0, 500) } : null;
}

/** Asks `source` for the top `req.k` contexts of `req.query` in round `req.roundId`; verifies everything. */
export async function retrieveFrom(source: SourceInfo, req: RetrieveRequestInput, opts: RetrieveOptions): Promise<SignedServed> {
  const who = `source ${source.address}`;
  const fail = (code: RagSourceErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): never => {
    throw new ChorusError(code, `${who}: ${message}`, { source: source.address, endpoint: source.endpoint, ...details }, { cause });
  };
  opts.signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const onAbort = (err: unknown): never => {
    if (opts.signal?.aborted) throw new ChorusError("RAG_SOURCE_ABORTED", `${who}: retrieval aborted by the caller`, { source: source.address }, { cause: opts.signal.reason });
    return fail("RAG_SOURCE_TIMEOUT", `no answer within ${opts.timeoutMs} ms`, { timeoutMs: opts.timeoutMs }, err);
  };

  let url: URL;
  try {
    url = new URL("retrieve", source.endpoint.endsWith("/") ? source.endpoint : `${source.endpoint}/`);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`protocol ${url.protocol}`);
  } catch (err) {
    return fail("RAG_SOURCE_UNREACHABLE", `endpoint '${source.endpoint}' is not an http(s) URL`, {}, err);
  }
  let text: string;
  let status: number;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ roundId: req.roundId, query: req.query, k: req.k }),
      signal,
      redirect: "error",
    });
    status = res.status;
    text = await readLimited(res, opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  } catch (err) {
    if (signal.aborted) return onAbort(err);
    if (err instanceof ChorusError) return fail(err.code as RagSourceErrorCode, err.message, err.details, err);
    return fail("RAG_SOURCE_UNREACHABLE", `cannot reach ${url.origin}: ${causeMessage(err)}`, {}, err);
  }
  if (status >= 500) fail("RAG_SOURCE_UNREACHABLE", `answered HTTP ${status}: ${text.slice(0, 200)}`, { status });
  if (status !== 200) fail("RAG_SOURCE_MALFORMED", `answered HTTP ${status}: ${text.slice(0, 200)}`, { status });

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail("RAG_SOURCE_MALFORMED", `response is not JSON: ${(err as Error).message}`, {}, err);
  }
  const parsed = RetrieveResponse.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return fail("RAG_SOURCE_MALFORMED", `response ${i.path.join(".") || "body"}: ${i.message}`);
  }
  const wire = parsed.data.served;
  if (wire.contexts.length > req.k) fail("RAG_SOURCE_MALFORMED", `served ${wire.contexts.length} contexts for k = ${req.k}`);
  const ids = new Set<string>();
  wire.contexts.forEach((c, i) => {
    if (ids.has(c.id)) fail("RAG_SOURCE_MALFORMED", `context id '${c.id}' served twice`);
    ids.add(c.id);
    if (i > 0 && c.score > wire.contexts[i - 1].score) fail("RAG_SOURCE_MALFORMED", "contexts are not sorted by score");
  });

  const served = fromWire(wire);
  const expectedHash = await queryHashOf(req.query);
  if (served.roundId.toLowerCase() !== req.roundId.toLowerCase()) fail("RAG_SOURCE_WRONG_BINDING", `served for round ${served.roundId}, not ${req.roundId}`);
  if (served.queryHash.toLowerCase() !== expectedHash.toLowerCase()) fail("RAG_SOURCE_WRONG_BINDING", `served for query hash ${served.queryHash}, not ${expectedHash}`);
  if (!isAddressEqual(served.source, source.address)) fail("RAG_SOURCE_WRONG_BINDING", `document names source ${served.source}`);
  if (served.k !== req.k) fail("RAG_SOURCE_WRONG_BINDING", `served for k = ${served.k}, not ${req.k}`);
  const servedCid = await servedCidOf(served);
  if (servedCid !== parsed.data.servedCid) {
    fail("RAG_SOURCE_BAD_SIGNATURE", `the served document's CID is ${servedCid}, the signed one is ${parsed.data.servedCid}: its contents changed after signing`);
  }
  const signature = parsed.data.signature as Hex;
  let signer: string;
  try {
    signer = await servedSigner(opts.domain, req.roundId, servedCid, signature);
  } catch (err) {
    return fail("RAG_SOURCE_BAD_SIGNATURE", `signature does not recover: ${causeMessage(err)}`, {}, err);
  }
  if (!isAddressEqual(signer as Hex, source.address)) {
    fail("RAG_SOURCE_BAD_SIGNATURE", `signed by ${signer}, not by the source`, { signer });
  }

  return { served, servedCid, signature };
}

/** Reads at most `max` bytes of the body as UTF-8 (RAG_SOURCE_MALFORMED beyond). */
async function readLimited(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    throw new ChorusError("RAG_SOURCE_MALFORMED", `response of ${declared} bytes exceeds the limit of ${max}`, { max });
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw new ChorusError("RAG_SOURCE_MALFORMED", `response exceeds the limit of ${max} bytes`, { max });
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString("utf8");
}

function causeMessage(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
