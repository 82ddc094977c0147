/**
 * One outbound HTTP request to a URL that came from the chain or a peer:
 *
 * - the host is resolved once and every address it resolves to must be allowed by the {@link AddressPolicy};
 *   the connection goes to the address that was checked (a custom `lookup` on the request), so a DNS answer
 *   that changes between check and connect (rebinding) cannot move it;
 * - redirects are never followed (a 3xx is refused);
 * - the body is read with a cap while it streams (a declared Content-Length over the cap is refused before
 *   reading); a reply that goes over it is cut off at once;
 * - failures are ChorusError NET_* whose message is one of a few FIXED reasons ({@link NET_REASONS}): no
 *   peer-controlled text and no OS error text (ECONNREFUSED...) ever reaches a caller's message, so nothing
 *   of it can end up in a signed document. The OS error stays in `cause`, for the node's own log.
 */
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net, { type LookupFunction } from "node:net";
import { ChorusError, present } from "../core/index.js";
import type { AddressPolicy } from "./address.js";

export const NET_REASONS = {
  private: "refused: private address",
  redirect: "refused: redirect",
  tooLarge: "refused: body too large",
  protocol: "refused: not an http(s) URL",
  timeout: "timed out",
  unreachable: "unreachable",
  malformed: "malformed reply",
} as const;

/** `bad status <n>`: the only reason that carries a value, a number. */
export const badStatus = (status: number) => `bad status ${Math.trunc(status)}`;

export type NetErrorCode = "NET_REFUSED" | "NET_TOO_LARGE" | "NET_TIMEOUT" | "NET_UNREACHABLE";

export function netError(code: NetErrorCode, reason: string, cause?: unknown): ChorusError {
  return new ChorusError(code, reason, { reason }, { cause });
}

export interface NetRequest {
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Whole request, connect to last body byte. */
  timeoutMs: number;
  /** The caller giving up: rejects with the signal's reason (not a NET_* error). */
  signal?: AbortSignal;
  /** Largest body read; beyond it the reply is refused (NET_TOO_LARGE). */
  maxBytes: number;
  policy: AddressPolicy;
  /** A keep-alive agent (it must be of the URL's protocol); default a fresh connection. */
  agent?: http.Agent;
}

export interface NetResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A `lookup` for node:net that resolves, refuses unless every address is allowed, and connects to the checked one. */
export function checkedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { all: true, family: options.family, hints: options.hints }, (err, addresses) => {
      if (err) {
        callback(err, "", 0);
        return;
      }
      const list = addresses;
      if (list.length === 0) {
        callback(Object.assign(new Error("no address"), { code: "ENOTFOUND" }), "", 0);
        return;
      }
      if (list.some((a) => !policy.permits(a.address))) {
        callback(netError("NET_REFUSED", NET_REASONS.private), "", 0);
        return;
      }
      if ((options as { all?: boolean }).all) {
        (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, [list[0]]);
        return;
      }
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** Parses `raw` as an http(s) URL or throws NET_REFUSED (fixed reason). */
export function httpUrl(raw: string | URL, base?: string): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch (err) {
    throw netError("NET_REFUSED", NET_REASONS.protocol, err);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw netError("NET_REFUSED", NET_REASONS.protocol);
  return url;
}

export function netRequest(target: string | URL, req: NetRequest): Promise<NetResponse> {
  let url: URL;
  try {
    url = httpUrl(target);
  } catch (err) {
    return rejectWith(err);
  }
  if (req.signal?.aborted) return rejectWith(abortReason(req.signal));
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  // A literal address skips lookup inside node:net: check it here.
  if (net.isIP(host) !== 0 && !req.policy.permits(host))
    return Promise.reject(netError("NET_REFUSED", NET_REASONS.private));
  const payload = req.body === undefined ? undefined : typeof req.body === "string" ? Buffer.from(req.body) : req.body;
  const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
  if (payload) headers["content-length"] = payload.byteLength;
  const client = url.protocol === "https:" ? https : http;

  return new Promise<NetResponse>((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, value?: NetResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      if (err) {
        request.destroy();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an abort rejects with the signal's reason, whatever it is, as fetch does
        reject(err);
      } else resolve(present(value, "the response"));
    };
    const request = client.request(
      url,
      { method: req.method ?? "GET", headers, agent: req.agent, lookup: checkedLookup(req.policy) },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          finish(netError("NET_REFUSED", NET_REASONS.redirect));
          return;
        }
        const declared = Number(res.headers["content-length"] ?? NaN);
        if (declared > req.maxBytes) {
          finish(netError("NET_TOO_LARGE", NET_REASONS.tooLarge));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > req.maxBytes) finish(netError("NET_TOO_LARGE", NET_REASONS.tooLarge));
          else chunks.push(chunk);
        });
        res.on("error", (e) => finish(netError("NET_UNREACHABLE", NET_REASONS.unreachable, e)));
        res.on("aborted", () => finish(netError("NET_UNREACHABLE", NET_REASONS.unreachable)));
        res.on("end", () => finish(null, { status, headers: res.headers, body: Buffer.concat(chunks, size) }));
      },
    );
    const onAbort = () => finish(abortReason(present(req.signal, "the abort signal")));
    const timer = setTimeout(() => finish(netError("NET_TIMEOUT", NET_REASONS.timeout)), req.timeoutMs);
    req.signal?.addEventListener("abort", onAbort, { once: true });
    request.on("error", (e) =>
      finish(e instanceof ChorusError ? e : netError("NET_UNREACHABLE", NET_REASONS.unreachable, e)),
    );
    request.end(payload);
  });
}

/** Rejects with `reason` as it is: a caller's abort reason (whatever it is, as fetch does) or a ChorusError. */
function rejectWith(reason: unknown): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- see above: the reason is passed on unchanged
  return Promise.reject(reason);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** The fixed reason of a NET_* error, or null for anything else. */
export function netReasonOf(err: unknown): string | null {
  return err instanceof ChorusError && err.code.startsWith("NET_") ? err.message : null;
}
