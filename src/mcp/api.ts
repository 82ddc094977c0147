/**
 * What the MCP tools call: a Chorus node's public HTTP API (its OpenAI gateway, /health and the explorer API),
 * reached over HTTP with the caller's API key. The stdio server (`chorus mcp`) points it at the configured
 * gateway; the node's own `/mcp` endpoint points it at itself, passing on the client's Authorization header so
 * the gateway's keys and rate limits apply to agents too.
 */
import { ChorusError } from "../core/index.js";

export interface ChorusApi {
  ask(
    input: { question: string; system?: string; rag?: boolean; maxTokens?: number },
    opts?: { signal?: AbortSignal },
  ): Promise<Record<string, unknown>>;
  auditRound(roundId: string): Promise<Record<string, unknown>>;
  nodeInfo(): Promise<Record<string, unknown>>;
  sources(): Promise<Record<string, unknown>>;
}

export interface HttpApiOptions {
  /** The node's base URL, e.g. http://127.0.0.1:7001. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer` (the gateway's API key), or a whole Authorization header value. */
  apiKey?: string;
  authorization?: string;
  /** Milliseconds a round may take (default 300000). */
  timeoutMs?: number;
}

export function httpChorusApi(opts: HttpApiOptions): ChorusApi {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const auth = opts.authorization ?? (opts.apiKey ? `Bearer ${opts.apiKey}` : undefined);
  const call = async (path: string, init: RequestInit = {}, signal?: AbortSignal): Promise<Record<string, unknown>> => {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 300_000);
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: {
        accept: "application/json",
        ...(init.body ? { "content-type": "application/json" } : {}),
        ...(auth ? { authorization: auth } : {}),
      },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await res.text();
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new ChorusError("NET_UNREACHABLE", `${path}: HTTP ${res.status}, not JSON`, { status: res.status });
    }
    if (!res.ok) {
      const err = (json.error ?? {}) as { message?: string; code?: string };
      throw new ChorusError(
        "NET_UNREACHABLE",
        `${path}: HTTP ${res.status} ${err.code ?? ""} ${err.message ?? ""}`.trim(),
        { status: res.status, code: err.code },
      );
    }
    return json;
  };
  return {
    async ask(input, o) {
      const messages = [
        ...(input.system ? [{ role: "system", content: input.system }] : []),
        { role: "user", content: input.question },
      ];
      const body = {
        model: "chorus-swarm",
        messages,
        ...(input.maxTokens ? { max_tokens: input.maxTokens } : {}),
        ...(input.rag ? { chorus: { rag: true } } : {}),
      };
      const c = await call("/v1/chat/completions", { method: "POST", body: JSON.stringify(body) }, o?.signal);
      const choice = (c.choices as { message: { content: string }; finish_reason: string }[])[0];
      return { answer: choice.message.content, finish_reason: choice.finish_reason, usage: c.usage, chorus: c.chorus };
    },
    auditRound: (roundId) => call(`/explorer/api/rounds/${encodeURIComponent(roundId)}/audit`),
    nodeInfo: () => call("/health"),
    sources: () => call("/explorer/api/sources"),
  };
}
