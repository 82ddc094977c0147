/**
 * What every backend shares: input checks, the per-backend concurrency limit, the deadline and cancellation
 * (queued or running), and the mapping of failures to typed errors. A backend only implements `generate`,
 * which must honour its signal; the slot is released when `generate` settles, and the caller is released at
 * once when the deadline passes or the signal fires.
 */
import { asError, isChorusError, messageOf } from "../core/index.js";
import { INFERENCE_ERRORS, inferenceError } from "./errors.js";
import { ConcurrencyLimiter } from "./limiter.js";
import {
  DEFAULT_MAX_TOKENS,
  DEFAULT_TIMEOUT_MS,
  MAX_TOKENS,
  type BackendLimits,
  type BackendStats,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type InferenceBackend,
} from "./types.js";

/** The options `generate` receives: defaults filled in, one signal for deadline + caller + close. */
export interface GenerateOptions {
  maxTokens: number;
  temperature: number;
  seed?: number;
  topP?: number;
  stop?: string[];
  signal: AbortSignal;
  /** When the request's deadline passes (epoch ms): retries must end before it. */
  deadline?: number;
}

const ROLES = new Set(["system", "user", "assistant"]);

export abstract class BaseBackend implements InferenceBackend {
  abstract readonly name: string;
  protected readonly limiter: ConcurrencyLimiter;
  protected readonly timeoutMs: number;
  private readonly closing = new AbortController();
  private closed = false;

  constructor(limits: BackendLimits = {}) {
    this.limiter = new ConcurrencyLimiter(limits.concurrency ?? 1, limits.maxQueue ?? 32);
    this.timeoutMs = limits.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Produces the completion; must stop promptly when `opts.signal` fires. */
  protected abstract generate(messages: ChatMessage[], opts: GenerateOptions): Promise<ChatResult>;
  /** Frees backend resources (called once by close()). */
  protected abstract dispose(): Promise<void>;

  async chat(messages: ChatMessage[], opts: ChatOptions = {}): Promise<ChatResult> {
    if (this.closed) throw inferenceError(INFERENCE_ERRORS.CLOSED, `backend ${this.name} is closed`);
    checkMessages(messages);
    const maxTokens = opts.maxTokens ?? DEFAULT_MAX_TOKENS;
    if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > MAX_TOKENS) {
      throw inferenceError(
        INFERENCE_ERRORS.BAD_INPUT,
        `maxTokens must be an integer from 1 to ${MAX_TOKENS}, got ${opts.maxTokens}`,
        { maxTokens: opts.maxTokens, cap: MAX_TOKENS },
      );
    }
    const temperature = opts.temperature ?? 0;
    if (!(temperature >= 0 && temperature <= 2))
      throw inferenceError(INFERENCE_ERRORS.BAD_INPUT, `temperature must be in [0, 2], got ${opts.temperature}`);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    if (opts.signal?.aborted)
      throw inferenceError(INFERENCE_ERRORS.ABORTED, `${this.name}: request aborted`, {}, opts.signal.reason);

    const controller = new AbortController();
    const deadline = Date.now() + timeoutMs;
    // an object, not a `let`: the timer's callback sets it, which the compiler's narrowing does not see
    const deadlineState = { fired: false };
    const timer = setTimeout(() => {
      deadlineState.fired = true;
      controller.abort(new Error(`deadline of ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = () => controller.abort(opts.signal?.reason ?? this.closing.signal.reason);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    this.closing.signal.addEventListener("abort", onAbort, { once: true });
    const stopped = new Promise<never>((_, reject) => {
      controller.signal.addEventListener(
        "abort",
        () => {
          reject(asError(controller.signal.reason));
        },
        { once: true },
      );
    });
    stopped.catch(() => undefined);
    try {
      const release = await this.limiter.acquire(controller.signal);
      const work = Promise.resolve().then(() =>
        this.generate(messages, {
          maxTokens,
          temperature,
          seed: opts.seed,
          topP: opts.topP,
          stop: opts.stop,
          signal: controller.signal,
          deadline,
        }),
      );
      work.then(release, release);
      return await Promise.race([work, stopped]);
    } catch (err) {
      if (deadlineState.fired)
        throw inferenceError(
          INFERENCE_ERRORS.TIMEOUT,
          `${this.name}: no answer within ${timeoutMs} ms`,
          { timeoutMs },
          err,
        );
      if (opts.signal?.aborted)
        throw inferenceError(INFERENCE_ERRORS.ABORTED, `${this.name}: request aborted`, {}, err);
      if (this.closing.signal.aborted)
        throw inferenceError(INFERENCE_ERRORS.CLOSED, `backend ${this.name} was closed`, {}, err);
      if (isChorusError(err)) throw err;
      throw inferenceError(INFERENCE_ERRORS.BACKEND, `${this.name}: ${messageOf(err)}`, {}, err);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      this.closing.signal.removeEventListener("abort", onAbort);
    }
  }

  stats(): BackendStats {
    return { ...this.limiter.stats, concurrency: this.limiter.concurrency, maxQueue: this.limiter.maxQueue };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(new Error("closed"));
    await this.dispose();
  }
}

/** Throws INFERENCE_BAD_INPUT unless `messages` is a non-empty list of {role, content: string}. */
export function checkMessages(messages: unknown): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0)
    throw inferenceError(INFERENCE_ERRORS.BAD_INPUT, "messages must be a non-empty array");
  messages.forEach((m, i) => {
    if (m === null || typeof m !== "object" || !ROLES.has((m as ChatMessage).role)) {
      throw inferenceError(INFERENCE_ERRORS.BAD_INPUT, `messages[${i}].role must be system, user or assistant`, {
        index: i,
      });
    }
    if (typeof (m as ChatMessage).content !== "string") {
      throw inferenceError(INFERENCE_ERRORS.BAD_INPUT, `messages[${i}].content must be a string`, { index: i });
    }
  });
}
