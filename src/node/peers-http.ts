/**
 * Peer transport over HTTP: POST JSON, per-request timeout, caller's AbortSignal honoured, reply size capped
 * while it streams in. Built on node:http(s) with a keep-alive agent rather than fetch: a round makes ~28 peer
 * calls, and fetch's per-request cost (web streams, AbortSignal plumbing) was a large share of a coordinator's
 * CPU in `npm run bench:round`; kept-alive sockets also spare a TCP handshake per call.
 */
import http from "node:http";
import https from "node:https";
import { ChorusError } from "../errors.js";
import type { PeerClient } from "../round/ports.js";
import { excerpt } from "../round/protocol.js";

export interface HttpPeers extends PeerClient {
  /** Closes the kept-alive sockets. */
  close(): void;
}

export function httpPeers(opts: { maxResponseBytes?: number; maxSockets?: number } = {}): HttpPeers {
  const max = opts.maxResponseBytes ?? 8 * 1024 * 1024;
  const agents = {
    "http:": new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 }),
    "https:": new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 }),
  };
  return {
    post(endpoint, path, envelope, { signal, timeoutMs }) {
      const url = new URL(path, endpoint);
      // Endpoints are registered by peers: messages (which become exclusion reasons) show a short excerpt.
      const where = excerpt(endpoint, 64);
      const agent = agents[url.protocol as keyof typeof agents];
      if (!agent) return Promise.reject(new ChorusError("PEER_UNREACHABLE", `${where}: unsupported protocol ${excerpt(url.protocol, 16)}`));
      const payload = Buffer.from(JSON.stringify(envelope));
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(abortError(signal));
        const client = url.protocol === "https:" ? https : http;
        let settled = false;
        const finish = (err: unknown, value?: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          if (err) reject(err);
          else resolve(value);
        };
        const req = client.request(
          url,
          { method: "POST", agent, headers: { "content-type": "application/json", "content-length": payload.length } },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on("data", (chunk: Buffer) => {
              size += chunk.length;
              if (size > max) {
                req.destroy();
                finish(new ChorusError("PEER_BAD_MESSAGE", `reply from ${where} exceeds ${max} bytes`));
              } else chunks.push(chunk);
            });
            res.on("error", (e) => finish(unreachable(where, e)));
            res.on("end", () => {
              const status = res.statusCode ?? 0;
              let body: unknown;
              try {
                body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
              } catch {
                return finish(new ChorusError("PEER_BAD_MESSAGE", `reply from ${where} is not JSON (HTTP ${status})`));
              }
              if (status < 200 || status >= 300) {
                // The peer's own words go on only as a short escaped excerpt: they end up in exclusion reasons.
                const e = (body as { error?: { message?: unknown; code?: unknown } } | null)?.error;
                const code = typeof e?.code === "string" && /^[A-Z][A-Z0-9_]{0,63}$/.test(e.code) ? e.code : undefined;
                const said = typeof e?.message === "string" ? excerpt(e.message) : `HTTP ${status}`;
                return finish(new ChorusError("PEER_REFUSED", `${where} refused (HTTP ${status}${code ? ` ${code}` : ""}): ${said}`, { status, code }));
              }
              finish(null, body);
            });
          },
        );
        const onAbort = () => {
          req.destroy();
          finish(abortError(signal!));
        };
        const timer = setTimeout(() => {
          req.destroy();
          finish(new ChorusError("PEER_TIMEOUT", `timed out: no answer from ${where} within ${timeoutMs} ms`, { endpoint, timeoutMs }));
        }, timeoutMs);
        signal?.addEventListener("abort", onAbort, { once: true });
        req.on("error", (e) => finish(unreachable(where, e)));
        req.end(payload);
      });
    },
    close() {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  };
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** A connection-level failure (refused, reset): not a ChorusError, so the coordinator records it as "unreachable". */
function unreachable(endpoint: string, cause: Error): Error {
  return new Error(`${endpoint}: ${excerpt(cause.message, 120)}`, { cause });
}
