/**
 * Peer transport over HTTP: POST JSON, per-request timeout, caller's AbortSignal honoured, reply size capped
 * while it streams in. Built on node:http(s) with a keep-alive agent rather than fetch: a round makes ~28 peer
 * calls, and fetch's per-request cost (web streams, AbortSignal plumbing) was a large share of a coordinator's
 * CPU in `npm run bench:round`; kept-alive sockets also spare a TCP handshake per call.
 *
 * Member endpoints come from the chain, so every call goes through src/net: the endpoint's addresses must be
 * allowed by the operator's policy (`net.allowPrivate`), the checked address is the one connected to, no
 * redirect is followed. Every failure is a ChorusError whose message is a FIXED reason ("timeout",
 * "unreachable", "refused: private address", "bad status 403 (PEER_NOT_MEMBER)", "malformed reply"...): the
 * coordinator copies it into the transcript's exclusions, so no peer-written text and no OS error text may
 * be in it.
 */
import http from "node:http";
import https from "node:https";
import { ChorusError } from "../core/index.js";
import { AddressPolicy, badStatus, netReasonOf, netRequest, NET_REASONS } from "../net/index.js";
import type { PeerClient } from "../round/ports.js";

export interface HttpPeers extends PeerClient {
  /** Closes the kept-alive sockets. */
  close(): void;
}

export interface HttpPeersOptions {
  /** CIDR ranges of private addresses members may have (devnet, tests: 127.0.0.0/8). Default none. */
  allowPrivate?: readonly string[];
  maxResponseBytes?: number;
  maxSockets?: number;
}

/** An error code a member answers with, shown only when it looks like one of ours (UPPER_SNAKE, short). */
const SAFE_CODE = /^[A-Z][A-Z0-9_]{0,47}$/;

export function httpPeers(opts: HttpPeersOptions = {}): HttpPeers {
  const max = opts.maxResponseBytes ?? 8 * 1024 * 1024;
  const policy = new AddressPolicy(opts.allowPrivate ?? []);
  const agents = {
    "http:": new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 }),
    "https:": new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 }),
  };
  return {
    async post(endpoint, path, envelope, { signal, timeoutMs }) {
      let url: URL;
      try {
        url = new URL(path, endpoint);
      } catch {
        throw new ChorusError("PEER_UNREACHABLE", NET_REASONS.protocol);
      }
      const agent = url.protocol === "http:" || url.protocol === "https:" ? agents[url.protocol] : undefined;
      if (!agent) throw new ChorusError("PEER_UNREACHABLE", NET_REASONS.protocol);
      let res;
      try {
        res = await netRequest(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(envelope),
          timeoutMs,
          signal,
          maxBytes: max,
          policy,
          agent,
        });
      } catch (err) {
        const reason = netReasonOf(err);
        if (reason === null) throw err; // the caller's abort
        const code =
          reason === NET_REASONS.timeout
            ? "PEER_TIMEOUT"
            : reason === NET_REASONS.tooLarge
              ? "PEER_BAD_MESSAGE"
              : "PEER_UNREACHABLE";
        throw new ChorusError(code, reason, { endpoint, timeoutMs }, { cause: err });
      }
      let body: unknown;
      try {
        body = JSON.parse(res.body.toString("utf8"));
      } catch {
        throw new ChorusError(
          "PEER_BAD_MESSAGE",
          res.status >= 200 && res.status < 300 ? NET_REASONS.malformed : badStatus(res.status),
          { status: res.status },
        );
      }
      if (res.status < 200 || res.status >= 300) {
        const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
        const shown = typeof code === "string" && SAFE_CODE.test(code) ? code : undefined;
        throw new ChorusError("PEER_REFUSED", `${badStatus(res.status)}${shown ? ` (${shown})` : ""}`, {
          status: res.status,
          code: shown,
        });
      }
      return body;
    },
    close() {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  };
}
