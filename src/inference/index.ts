/**
 * Chorus inference: one backend interface (chat messages in, text and token usage out, AbortSignal, deadline,
 * per-backend concurrency limit) with a local GGUF backend and an OpenAI-compatible HTTP backend, and the
 * judge's two prompts on top. See README.md in this folder.
 */
export type {
  BackendLimits,
  BackendStats,
  ChatMessage,
  ChatOptions,
  ChatResult,
  ChatRole,
  ChatUsage,
  GpuChoice,
  InferenceBackend,
  ThreadsChoice,
} from "./types.js";
export { DEFAULT_MAX_TOKENS, DEFAULT_TIMEOUT_MS, MAX_TOKENS } from "./types.js";
export { INFERENCE_ERRORS, type InferenceErrorCode } from "./errors.js";
export { BaseBackend, checkMessages, type GenerateOptions } from "./base.js";
export { ConcurrencyLimiter } from "./limiter.js";
export { GgufBackend, type GgufBackendOptions } from "./gguf.js";
export { OpenAIBackend, parseCompletion, type OpenAIBackendOptions } from "./openai.js";
export { fitMessages, ELISION } from "./truncate.js";
export { createInferenceBackend, type BackendChoice, type BackendSettings } from "./open.js";
export { mindFromBackend, type BackendMind, type MindOptions } from "./mind.js";
export {
  compareAnswers,
  compareBothOrders,
  screenAnswer,
  swap,
  type BothOrdersResult,
  type CompareResult,
  type JudgeOptions,
  type ScreenResult,
} from "./judge/judge.js";
export { parseCompare, parseScreen, type Outcome, type Verdict } from "./judge/parse.js";
export {
  COMPARE_SYSTEM,
  SCREEN_SYSTEM,
  FENCE_CLOSE,
  FENCE_OPEN,
  comparePrompt,
  screenPrompt,
  type CompareInput,
  type ScreenInput,
} from "./judge/prompts.js";
