/**
 * The one interface every model backend implements: chat messages in, text and token usage out, with
 * cancellation, a deadline and a per-backend concurrency limit.
 */

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatOptions {
  /** Most tokens to generate: 1..MAX_TOKENS (more is INFERENCE_BAD_INPUT, never cut silently). Default 256. */
  maxTokens?: number;
  /** 0 (the default) is greedy decoding: the same prompt gives the same text. */
  temperature?: number;
  /** Sampling seed (only matters with temperature > 0). */
  seed?: number;
  /** Nucleus sampling mass (only matters with temperature > 0); absent = the backend's default. */
  topP?: number;
  /** Up to 4 strings that end generation when produced (not included in the text). */
  stop?: string[];
  /** Cancels the request (queued or running): INFERENCE_ABORTED, and its slot is freed. */
  signal?: AbortSignal;
  /** Deadline in ms for the whole request, queue wait included: INFERENCE_TIMEOUT, and its slot is freed. */
  timeoutMs?: number;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResult {
  text: string;
  usage: ChatUsage;
  /** The model that answered (file name for gguf, the server's model id for openai). */
  model: string;
  /** `length` when generation stopped at maxTokens (or the context end), `stop` otherwise. */
  finishReason: "stop" | "length";
  /** Prompt tokens removed to fit the context (gguf only; 0 when nothing was cut). */
  truncatedTokens: number;
}

export interface BackendStats {
  /** Requests generating now. */
  active: number;
  /** Requests waiting for a slot. */
  queued: number;
  /** Concurrency limit. */
  concurrency: number;
  /** Longest queue before INFERENCE_BUSY. */
  maxQueue: number;
}

export interface InferenceBackend {
  /** Backend kind and model, e.g. `gguf:stories260K.gguf`, `openai:gpt-4o-mini`. */
  readonly name: string;
  chat(messages: ChatMessage[], opts?: ChatOptions): Promise<ChatResult>;
  /** Current load (for health endpoints and tests). */
  stats(): BackendStats;
  /** Frees the model / connections. Pending requests fail with INFERENCE_CLOSED. Idempotent. */
  close(): Promise<void>;
}

/** Limits shared by all backends. */
export interface BackendLimits {
  /** Requests generating at once (per backend instance, i.e. per node). Default 1. */
  concurrency?: number;
  /** Requests allowed to wait for a slot; one more is INFERENCE_BUSY. Default 32. */
  maxQueue?: number;
  /** Default deadline (ms) when a request gives none. Default 120000. */
  timeoutMs?: number;
}

export const DEFAULT_MAX_TOKENS = 256;
/**
 * The one cap on `max_tokens` in Chorus: the gateway (`max_tokens` / `max_completion_tokens`), the protocol's
 * query document (`QueryDoc.maxTokens`), `chorus ask --max-tokens`, the MCP `ask` tool and every backend refuse
 * more (a test checks they agree). Below the cap, an answer that stops at the context's end or at maxTokens says
 * so with `finishReason: "length"` (OpenAI `finish_reason: "length"`).
 */
export const MAX_TOKENS = 4096;

/** GPU use of the gguf backend: "auto" (node-llama-cpp's detection: CUDA, Vulkan or Metal if usable, else CPU), a type, or false (CPU). */
export type GpuChoice = "auto" | false | "cuda" | "vulkan" | "metal";
/** CPU threads of the gguf backend: a number, or "auto" (the machine's cores less one for the node's own work, at least 1). */
export type ThreadsChoice = number | "auto";
export const DEFAULT_TIMEOUT_MS = 120_000;
