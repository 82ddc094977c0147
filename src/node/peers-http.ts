import { ChorusError } from "../errors.js";
import type { PeerClient } from "../round/ports.js";

/** Peer transport over HTTP: POST JSON, per-request timeout, caller's AbortSignal honoured. */
export function httpPeers(opts: { maxResponseBytes?: number } = {}): PeerClient {
  const max = opts.maxResponseBytes ?? 8 * 1024 * 1024;
  return {
    async post(endpoint, path, envelope, { signal, timeoutMs }) {
      const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
      const res = await fetch(new URL(path, endpoint), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(envelope),
        signal: AbortSignal.any(signals),
      });
      const text = await res.text();
      if (text.length > max) throw new ChorusError("PEER_BAD_MESSAGE", `reply from ${endpoint} exceeds ${max} bytes`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ChorusError("PEER_BAD_MESSAGE", `reply from ${endpoint} is not JSON (HTTP ${res.status})`);
      }
      if (!res.ok) {
        const e = (body as { error?: { message?: string; code?: string } }).error;
        throw new ChorusError("PEER_REFUSED", `${endpoint} refused: ${e?.message ?? `HTTP ${res.status}`}`, { status: res.status, code: e?.code });
      }
      return body;
    },
  };
}
