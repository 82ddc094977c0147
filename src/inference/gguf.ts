/**
 * The `gguf` backend: a local GGUF model run by node-llama-cpp, on the GPU node-llama-cpp detects (`gpu: "auto"`,
 * the default) or the CPU (`gpu: false`), with an explicit thread count ("auto": the machine's cores less one, at least 1).
 *
 * - The model is loaded on the first request (or by `load()`), and shared with other backends on the same file.
 * - One context with `concurrency` sequences; each request takes a free sequence, cleared first, so a prompt
 *   gives the same output whatever ran before it (greedy decoding at temperature 0 is deterministic).
 * - The chat template is the model's own (node-llama-cpp's "auto" wrapper).
 * - Prompts longer than the context are truncated (see truncate.ts): at most half the context is reserved for
 *   the answer, the prompt gets the rest, and `maxTokens` is lowered to what is left.
 */
import path from "node:path";
import type { ChatHistoryItem, LlamaChat, LlamaContext, LlamaModel } from "node-llama-cpp";
import { BaseBackend, type GenerateOptions } from "./base.js";
import { INFERENCE_ERRORS, inferenceError } from "./errors.js";
import { acquireModel, releaseModel, resolveThreads } from "./gguf-runtime.js";
import { fitMessages } from "./truncate.js";
import type { BackendLimits, ChatMessage, ChatResult, GpuChoice, ThreadsChoice } from "./types.js";

export interface GgufBackendOptions extends BackendLimits {
  /** Path of the .gguf file. */
  modelPath: string;
  /** CPU threads for generation: a number, or "auto" (the default: the machine's cores less one, at least 1). Tests use 1. */
  threads?: ThreadsChoice;
  /** "auto" (the default: node-llama-cpp's GPU detection, CPU when none is usable), a GPU type, or false (CPU only). */
  gpu?: GpuChoice;
  /** Context size in tokens per sequence. Default: the model's training context, clamped to [256, 4096]. */
  contextSize?: number;
  /** Receives llama.cpp error logs. */
  log?: (line: string) => void;
}

interface State {
  model: LlamaModel;
  context: LlamaContext;
  free: LlamaChat[];
}

export class GgufBackend extends BaseBackend {
  readonly name: string;
  readonly modelPath: string;
  readonly threads: number;
  readonly gpu: GpuChoice;
  private readonly modelName: string;
  private state?: Promise<State>;

  constructor(private readonly opts: GgufBackendOptions) {
    super(opts);
    if (typeof opts.modelPath !== "string" || opts.modelPath === "")
      throw inferenceError(INFERENCE_ERRORS.CONFIG, "the gguf backend needs modelPath");
    this.threads = resolveThreads(opts.threads);
    if (!Number.isInteger(this.threads) || this.threads < 1 || this.threads > 256) {
      throw inferenceError(
        INFERENCE_ERRORS.CONFIG,
        `threads must be "auto" or an integer in [1, 256], got ${opts.threads}`,
      );
    }
    this.gpu = opts.gpu ?? "auto";
    if (![false, "auto", "cuda", "vulkan", "metal"].includes(this.gpu)) {
      throw inferenceError(
        INFERENCE_ERRORS.CONFIG,
        `gpu must be "auto", "cuda", "vulkan", "metal" or false, got ${String(opts.gpu)}`,
      );
    }
    if (opts.contextSize !== undefined && (!Number.isInteger(opts.contextSize) || opts.contextSize < 64)) {
      throw inferenceError(INFERENCE_ERRORS.CONFIG, `contextSize must be an integer >= 64, got ${opts.contextSize}`);
    }
    this.modelPath = path.resolve(opts.modelPath);
    this.modelName = path.basename(this.modelPath);
    this.name = `gguf:${this.modelName}`;
  }

  /** Loads the model and creates the context now (otherwise the first request does); says where it runs. */
  async load(): Promise<{
    contextSize: number;
    trainContextSize: number;
    gpu: false | string;
    threads: number;
    gpuLayers: number;
  }> {
    const s = await this.init();
    return {
      contextSize: s.context.contextSize,
      trainContextSize: s.model.trainContextSize,
      gpu: s.model.llama.gpu,
      threads: this.threads,
      gpuLayers: s.model.gpuLayers,
    };
  }

  protected async generate(messages: ChatMessage[], opts: GenerateOptions): Promise<ChatResult> {
    const s = await this.init();
    opts.signal.throwIfAborted();
    const chat = s.free.pop();
    if (!chat)
      throw inferenceError(INFERENCE_ERRORS.BACKEND, `${this.name}: no free context sequence (limiter out of step)`);
    try {
      await chat.sequence.clearHistory();
      const contextSize = chat.sequence.contextSize;
      const reserve = Math.min(opts.maxTokens, Math.floor(contextSize / 2));
      const count = (m: ChatMessage[]) =>
        chat.chatWrapper.generateContextState({ chatHistory: toHistory(m) }).contextText.tokenize(s.model.tokenizer)
          .length;
      const fitted = fitMessages(messages, contextSize - reserve, count);
      const maxTokens = Math.max(1, Math.min(opts.maxTokens, contextSize - fitted.promptTokens - 1));
      let completionTokens = 0;
      const r = await chat.generateResponse(toHistory(fitted.messages), {
        maxTokens,
        temperature: opts.temperature,
        seed: opts.seed,
        ...(opts.topP !== undefined ? { topP: opts.topP } : {}),
        ...(opts.stop?.length ? { customStopTriggers: opts.stop } : {}),
        signal: opts.signal,
        stopOnAbortSignal: false,
        onToken: (tokens) => {
          completionTokens += tokens.length;
        },
      });
      return {
        text: r.response,
        usage: { promptTokens: fitted.promptTokens, completionTokens },
        model: this.modelName,
        finishReason: r.metadata.stopReason === "maxTokens" ? "length" : "stop",
        truncatedTokens: fitted.removedTokens,
      };
    } finally {
      s.free.push(chat);
    }
  }

  protected async dispose(): Promise<void> {
    const s = this.state;
    this.state = undefined;
    if (!s) return;
    const state = await s.catch(() => undefined);
    if (!state) return;
    for (const c of state.free) c.dispose({ disposeSequence: true });
    await state.context.dispose();
    await releaseModel(this.modelPath);
  }

  private init(): Promise<State> {
    this.state ??= (async () => {
      const { LlamaChat } = await import("node-llama-cpp");
      const model = await acquireModel(this.modelPath, this.threads, this.opts.log, this.gpu);
      try {
        const contextSize = this.opts.contextSize ?? Math.min(4096, Math.max(256, model.trainContextSize));
        const sequences = this.limiter.concurrency;
        const context = await model.createContext({ contextSize, sequences, threads: this.threads });
        const free = Array.from(
          { length: sequences },
          () => new LlamaChat({ contextSequence: context.getSequence(), autoDisposeSequence: true }),
        );
        return { model, context, free };
      } catch (err) {
        await releaseModel(this.modelPath);
        throw inferenceError(
          INFERENCE_ERRORS.MODEL,
          `cannot create a context for ${this.modelPath}: ${(err as Error).message}`,
          { path: this.modelPath },
          err,
        );
      }
    })();
    this.state.catch(() => {
      this.state = undefined;
    });
    return this.state;
  }
}

/** Chat messages as node-llama-cpp's chat history, ending with the (empty) model turn to generate. */
function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const out: ChatHistoryItem[] = messages.map((m) =>
    m.role === "system"
      ? { type: "system", text: m.content }
      : m.role === "user"
        ? { type: "user", text: m.content }
        : { type: "model", response: [m.content] },
  );
  if (messages[messages.length - 1].role !== "assistant") out.push({ type: "model", response: [] });
  return out;
}
