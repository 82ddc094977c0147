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
import { ChorusError } from "../core/index.js";
import { badStatus, netReasonOf, netRequest, NET_REASONS, type AddressPolicy } from "../net/index.js";
import type { DigestSigner } from "../core/index.js";
import type { SettlementDomain } from "../core/index.js";
import type { QueryDoc } from "../protocol/index.js";
import { cidOfJson } from "../core/index.js";
import type { SignedServed, SkippedSource, SourceInfo } from "../protocol/index.js";
import {
  fromWire,
  queryHashOf,
  RETRIEVE_SIGNATURE_HEADER,
  retrieveRequestDigest,
  RetrieveResponse,
  servedCidOf,
} from "../protocol/index.js";
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
  /** Which addresses the source's endpoint (from the chain) may resolve to; see src/net. */
  policy: AddressPolicy;
  /**
   * The member's node key: signs the request (EIP-191 over the body's keccak256, header
   * {@link RETRIEVE_SIGNATURE_HEADER}), so the source keeps what it served only for staked nodes.
   */
  signer?: DigestSigner;
  signal?: AbortSignal;
  maxResponseBytes?: number;
}

/** The skip reason of a retrieval error, or null when `err` is not one of the five source failures. */
export function skipReasonOf(err: unknown): SkippedSource["reason"] | null {
  if (err instanceof ChorusError && err.code in RAG_SOURCE_ERRORS)
    return RAG_SOURCE_ERRORS[err.code as RagSourceErrorCode];
  return null;
}

/** The SkippedSource record for a retrieval error (null when it is not a source failure). */
export function skippedSourceOf(source: SourceInfo, err: unknown): SkippedSource | null {
  const reason = skipReasonOf(err);
  return reason ? { source: source.address, reason, detail: (err as Error).message.slice(0, 500) } : null;
}

/** Asks `source` for the top `req.k` contexts of `req.query` in round `req.roundId`; verifies everything. */
export async function retrieveFrom(
  source: SourceInfo,
  req: RetrieveRequestInput,
  opts: RetrieveOptions,
): Promise<SignedServed> {
  const who = `source ${source.address}`;
  const fail = (
    code: RagSourceErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ): never => {
    throw new ChorusError(
      code,
      `${who}: ${message}`,
      { source: source.address, endpoint: source.endpoint, ...details },
      { cause },
    );
  };
  opts.signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const onAbort = (err: unknown): never => {
    if (opts.signal?.aborted)
      throw new ChorusError(
        "RAG_SOURCE_ABORTED",
        `${who}: retrieval aborted by the caller`,
        { source: source.address },
        { cause: opts.signal.reason },
      );
    return fail("RAG_SOURCE_TIMEOUT", `no answer within ${opts.timeoutMs} ms`, { timeoutMs: opts.timeoutMs }, err);
  };

  let url: URL;
  try {
    url = new URL("retrieve", source.endpoint.endsWith("/") ? source.endpoint : `${source.endpoint}/`);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`protocol ${url.protocol}`);
  } catch (err) {
    return fail("RAG_SOURCE_UNREACHABLE", NET_REASONS.protocol, {}, err);
  }
  const payload = Buffer.from(JSON.stringify({ roundId: req.roundId, query: req.query, k: req.k }));
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.signer) headers[RETRIEVE_SIGNATURE_HEADER] = opts.signer.signDigest(retrieveRequestDigest(payload));
  let text: string;
  let status: number;
  try {
    const res = await netRequest(url, {
      method: "POST",
      headers,
      body: payload,
      signal,
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      policy: opts.policy,
    });
    status = res.status;
    text = res.body.toString("utf8");
  } catch (err) {
    if (signal.aborted) return onAbort(err);
    const reason = netReasonOf(err);
    if (reason === NET_REASONS.timeout) return onAbort(err);
    if (reason === NET_REASONS.tooLarge) return fail("RAG_SOURCE_MALFORMED", reason, {}, err);
    // Only a fixed reason: the endpoint's own text or the OS error (ECONNREFUSED: a port scan) never goes into a reveal.
    return fail("RAG_SOURCE_UNREACHABLE", reason ?? NET_REASONS.unreachable, {}, err);
  }
  if (status >= 500) fail("RAG_SOURCE_UNREACHABLE", badStatus(status), { status });
  if (status !== 200) fail("RAG_SOURCE_MALFORMED", badStatus(status), { status });

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail("RAG_SOURCE_MALFORMED", `${NET_REASONS.malformed}: not JSON`, {}, err);
  }
  const parsed = RetrieveResponse.safeParse(json);
  if (!parsed.success) {
    // The failing field's path only (schema names and indexes; never the source's text or its unknown keys).
    const path = parsed.error.issues[0].path
      .map((p) =>
        typeof p === "number"
          ? String(p)
          : String(p)
              .replace(/[^A-Za-z0-9_]/g, "")
              .slice(0, 32),
      )
      .join(".");
    return fail("RAG_SOURCE_MALFORMED", `${NET_REASONS.malformed}: response ${path || "body"}`);
  }
  const wire = parsed.data.served;
  if (wire.contexts.length > req.k)
    fail("RAG_SOURCE_MALFORMED", `${NET_REASONS.malformed}: served ${wire.contexts.length} contexts for k = ${req.k}`);
  const ids = new Set<string>();
  wire.contexts.forEach((c, i) => {
    if (ids.has(c.id)) fail("RAG_SOURCE_MALFORMED", `${NET_REASONS.malformed}: context ${i} repeats an id`);
    ids.add(c.id);
    if (i > 0 && c.score > wire.contexts[i - 1].score)
      fail("RAG_SOURCE_MALFORMED", `${NET_REASONS.malformed}: contexts are not sorted by score`);
  });

  const served = fromWire(wire);
  const expectedHash = queryHashOf((await cidOfJson(req.query)).toString());
  if (served.roundId.toLowerCase() !== req.roundId.toLowerCase())
    fail("RAG_SOURCE_WRONG_BINDING", `served for round ${served.roundId}, not ${req.roundId}`);
  if (served.queryHash.toLowerCase() !== expectedHash.toLowerCase())
    fail("RAG_SOURCE_WRONG_BINDING", `served for query hash ${served.queryHash}, not ${expectedHash}`);
  if (!isAddressEqual(served.source, source.address))
    fail("RAG_SOURCE_WRONG_BINDING", `document names source ${served.source}`);
  if (served.k !== req.k) fail("RAG_SOURCE_WRONG_BINDING", `served for k = ${served.k}, not ${req.k}`);
  const servedCid = await servedCidOf(served);
  if (servedCid !== parsed.data.servedCid) {
    fail(
      "RAG_SOURCE_BAD_SIGNATURE",
      `the served document's CID is ${servedCid}, the signed one is ${parsed.data.servedCid}: its contents changed after signing`,
    );
  }
  const signature = parsed.data.signature as Hex;
  let signer: string;
  try {
    signer = await servedSigner(opts.domain, req.roundId, servedCid, signature);
  } catch (err) {
    return fail("RAG_SOURCE_BAD_SIGNATURE", "signature does not recover", {}, err);
  }
  if (!isAddressEqual(signer as Hex, source.address)) {
    fail("RAG_SOURCE_BAD_SIGNATURE", `signed by ${signer}, not by the source`, { signer });
  }

  return { served, servedCid, signature };
}
