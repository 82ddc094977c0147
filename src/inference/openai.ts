/**
 * The `openai` backend: any server speaking the OpenAI chat-completions wire format (llama.cpp server,
 * Ollama, vLLM, LM Studio, a hosted API, or another Chorus node's gateway): POST {baseUrl}/chat/completions
 * with `model`, `messages`, `max_tokens`, `temperature`, `seed`, `stream: false`.
 * A 429 or 5xx reply is tried again with exponential backoff, or after the server's `Retry-After`, as long as
 * the wait ends before the request's deadline (retry.ts); then the last reply is reported with the attempts.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BaseBackend, type GenerateOptions } from "./base.js";
import { fetchFailureOf } from "../core/index.js";
import { INFERENCE_ERRORS, inferenceError } from "./errors.js";
import { DEFAULT_RETRY, isRetryableStatus, nextWait, retryAfterMs, type RetryPolicy } from "./retry.js";
import type { BackendLimits, ChatMessage, ChatResult } from "./types.js";

export interface OpenAIBackendOptions extends BackendLimits {
  /** Base URL including the API prefix, e.g. `http://127.0.0.1:8080/v1` or `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when given. */
  apiKey?: string;
  /** Model id sent with each request. Default "default" (servers with one model ignore it). */
  model?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Largest response body accepted, in bytes. Default 4 MiB. */
  maxResponseBytes?: number;
  /** Retries of 429 / 5xx replies (always within the request's deadline). `{ maxAttempts: 1 }` turns them off. */
  retry?: RetryPolicy;
  /** Receives one line per retry (status, attempt, wait). */
  log?: (line: string) => void;
}

export class OpenAIBackend extends BaseBackend {
  readonly name: string;
  private readonly url: string;
  private readonly model: string;
  private readonly retry: Required<RetryPolicy>;

  constructor(private readonly opts: OpenAIBackendOptions) {
    super(opts);
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    const r = this.retry;
    if (
      !Number.isInteger(r.maxAttempts) ||
      r.maxAttempts < 1 ||
      r.maxAttempts > 100 ||
      !(r.baseDelayMs >= 0) ||
      !(r.maxDelayMs >= r.baseDelayMs)
    ) {
      throw inferenceError(INFERENCE_ERRORS.CONFIG, `openai retry policy is invalid: ${JSON.stringify(opts.retry)}`);
    }
    let base: URL;
    try {
      base = new URL(opts.baseUrl);
      if (base.protocol !== "http:" && base.protocol !== "https:") throw new Error("not http(s)");
    } catch (err) {
      throw inferenceError(
        INFERENCE_ERRORS.CONFIG,
        `openai baseUrl '${opts.baseUrl}' is not an http(s) URL`,
        { baseUrl: opts.baseUrl },
        err,
      );
    }
    this.url = `${base.toString().replace(/\/+$/, "")}/chat/completions`;
    this.model = opts.model ?? "default";
    this.name = `openai:${this.model}`;
  }

  protected async generate(messages: ChatMessage[], opts: GenerateOptions): Promise<ChatResult> {
    const body = {
      model: this.model,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      max_tokens: opts.maxTokens,
      temperature: opts.temperature,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.topP !== undefined ? { top_p: opts.topP } : {}),
      ...(opts.stop?.length ? { stop: opts.stop } : {}),
      stream: false,
    };
    for (let attempt = 1; ; attempt++) {
      const res = await this.post(body, opts.signal);
      const text = await readLimited(res, this.opts.maxResponseBytes ?? 4 * 1024 * 1024, this.name);
      if (res.ok) return parseCompletion(text, this.model, this.name);
      const retryable = isRetryableStatus(res.status);
      const after = retryAfterMs(res.headers);
      const next = retryable ? nextWait(attempt, this.retry, after, opts.deadline) : undefined;
      if (next && !("stop" in next)) {
        this.opts.log?.(
          `${this.name}: HTTP ${res.status}, attempt ${attempt}; trying again in ${next.waitMs} ms${after !== undefined ? " (Retry-After)" : ""}`,
        );
        await sleep(next.waitMs, undefined, { signal: opts.signal });
        continue;
      }
      const why =
        next && "stop" in next
          ? next.stop === "deadline"
            ? `; gave up after ${attempt} attempt(s): the next try (in ${next.waitMs} ms) would end past the deadline`
            : `; gave up after ${attempt} attempt(s)`
          : "";
      throw inferenceError(
        INFERENCE_ERRORS.BACKEND,
        `${this.name}: HTTP ${res.status} from ${this.url}: ${errorMessage(text)}${why}`,
        {
          status: res.status,
          url: this.url,
          retryable,
          attempts: attempt,
          ...(after !== undefined ? { retryAfterMs: after } : {}),
        },
      );
    }
  }

  private async post(body: unknown, signal: AbortSignal): Promise<Response> {
    try {
      return await fetch(this.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          ...(this.opts.apiKey ? { Authorization: `Bearer ${this.opts.apiKey}` } : {}),
          ...this.opts.headers,
        },
        body: JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      const reason = fetchFailureOf(err);
      throw inferenceError(
        INFERENCE_ERRORS.BACKEND,
        `${this.name}: cannot reach ${this.url}: ${reason}`,
        { url: this.url },
        err,
      );
    }
  }

  protected async dispose(): Promise<void> {}
}

/** Parses a chat-completions response body; INFERENCE_BAD_RESPONSE naming what is missing. */
export function parseCompletion(text: string, fallbackModel: string, who = "openai"): ChatResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw inferenceError(INFERENCE_ERRORS.BAD_RESPONSE, `${who}: response is not JSON: ${clip(text)}`);
  }
  // any JSON value: a body that is not an object has no choices
  const body = (typeof json === "object" && json !== null ? json : {}) as {
    choices?: unknown[];
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
    model?: unknown;
  };
  const choice = body.choices?.[0] as { message?: { content?: unknown }; finish_reason?: unknown } | undefined;
  if (!choice || typeof choice !== "object")
    throw inferenceError(INFERENCE_ERRORS.BAD_RESPONSE, `${who}: response has no choices[0]: ${clip(text)}`);
  const content = choice.message?.content;
  let out: string;
  if (typeof content === "string") out = content;
  else if (content === null || content === undefined) out = "";
  else if (Array.isArray(content)) out = (content as unknown[]).map(partText).join("");
  else throw inferenceError(INFERENCE_ERRORS.BAD_RESPONSE, `${who}: choices[0].message.content is not text`);
  const { usage, model } = body;
  return {
    text: out,
    usage: { promptTokens: count(usage?.prompt_tokens), completionTokens: count(usage?.completion_tokens) },
    model: typeof model === "string" && model ? model : fallbackModel,
    finishReason: choice.finish_reason === "length" ? "length" : "stop",
    truncatedTokens: 0,
  };
}

/** The text of one content part (`{ type: "text", text }`); "" for a part that has none. */
function partText(part: unknown): string {
  const text = (part as { text?: unknown } | null | undefined)?.text;
  return typeof text === "string" ? text : "";
}

async function readLimited(res: Response, limit: number, who: string): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await res.body?.cancel();
    throw inferenceError(
      INFERENCE_ERRORS.BAD_RESPONSE,
      `${who}: response of ${declared} bytes is over the ${limit}-byte limit`,
    );
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of res.body ?? []) {
    size += c.length;
    if (size > limit)
      throw inferenceError(INFERENCE_ERRORS.BAD_RESPONSE, `${who}: response is over the ${limit}-byte limit`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function errorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof j.error === "string" ? j.error : (j.error?.message ?? j.message);
    if (typeof m === "string") return clip(m);
  } catch {
    /* not JSON */
  }
  return clip(text);
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0;
}

function clip(s: string): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > 200 ? `${t.slice(0, 197)}...` : t;
}
