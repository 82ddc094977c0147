/**
 * Error codes of the inference layer. Every failure is a {@link ChorusError} with one of these codes.
 */
import { ChorusError } from "../core/index.js";

export const INFERENCE_ERRORS = {
  /** The request's deadline (`timeoutMs`, queue wait included) passed; its slot is freed. */
  TIMEOUT: "INFERENCE_TIMEOUT",
  /** The caller's AbortSignal fired; its slot is freed. */
  ABORTED: "INFERENCE_ABORTED",
  /** The backend's waiting queue is full (per-node concurrency limit reached). */
  BUSY: "INFERENCE_BUSY",
  /** The model or server failed (HTTP error, unreachable server, native error); `cause` holds the original. */
  BACKEND: "INFERENCE_BACKEND",
  /** The server answered, but not in the OpenAI chat-completions format. */
  BAD_RESPONSE: "INFERENCE_BAD_RESPONSE",
  /** The GGUF model could not be loaded (missing file, not a GGUF, unsupported architecture). */
  MODEL: "INFERENCE_MODEL",
  /** The messages are unusable (empty list, unknown role, non-string content) or do not fit the context even truncated. */
  BAD_INPUT: "INFERENCE_BAD_INPUT",
  /** Invalid backend options (threads, concurrency, URL ...). */
  CONFIG: "INFERENCE_CONFIG",
  /** The backend was used after close(). */
  CLOSED: "INFERENCE_CLOSED",
} as const;

export type InferenceErrorCode = (typeof INFERENCE_ERRORS)[keyof typeof INFERENCE_ERRORS];

export function inferenceError(
  code: InferenceErrorCode,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): ChorusError {
  return new ChorusError(code, message, details, cause === undefined ? {} : { cause });
}
