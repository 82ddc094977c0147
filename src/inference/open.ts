/**
 * Creates the backend for the node's model choice (src/node/model-choice.ts: a GGUF file or an
 * OpenAI-compatible server) with the `inference` settings of the node config (gpu, threads, contextSize,
 * concurrency). Shapes are declared structurally; a type test keeps them in step with the config.
 */
import { GgufBackend } from "./gguf.js";
import { OpenAIBackend } from "./openai.js";
import type { GpuChoice, InferenceBackend, ThreadsChoice } from "./types.js";

export type BackendChoice =
  { kind: "gguf"; path: string } | { kind: "openai"; baseUrl: string; apiKey?: string; model?: string };

export interface BackendSettings {
  threads?: ThreadsChoice;
  gpu?: GpuChoice;
  contextSize?: number;
  concurrency?: number;
  maxQueue?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export function createInferenceBackend(choice: BackendChoice, settings: BackendSettings = {}): InferenceBackend {
  const limits = { concurrency: settings.concurrency, maxQueue: settings.maxQueue, timeoutMs: settings.timeoutMs };
  if (choice.kind === "gguf") {
    return new GgufBackend({
      modelPath: choice.path,
      threads: settings.threads,
      gpu: settings.gpu,
      contextSize: settings.contextSize,
      log: settings.log,
      ...limits,
    });
  }
  return new OpenAIBackend({
    baseUrl: choice.baseUrl,
    apiKey: choice.apiKey,
    model: choice.model,
    log: settings.log,
    ...limits,
  });
}
