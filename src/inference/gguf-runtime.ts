/**
 * Process-wide node-llama-cpp state: one Llama instance per thread count (always CPU, prebuilt binary, threads
 * explicit: the library's default thread count runs ~1,000x slower on these machines) and one loaded model per
 * file path, shared by every backend on that file and freed when the last one closes.
 */
import type { Llama, LlamaModel } from "node-llama-cpp";
import { INFERENCE_ERRORS, inferenceError } from "./errors.js";

const llamas = new Map<number, Promise<Llama>>();
const models = new Map<string, { model: Promise<LlamaModel>; refs: number }>();

/** The Llama instance for `threads` CPU threads (created on first use). */
export function llamaFor(threads: number, log?: (line: string) => void): Promise<Llama> {
  let p = llamas.get(threads);
  if (!p) {
    p = (async () => {
      const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
      return getLlama({
        gpu: false,
        build: "never",
        maxThreads: threads,
        logLevel: LlamaLogLevel.error,
        logger: (level, message) => log?.(`llama.cpp ${level}: ${message.trim()}`),
      });
    })();
    p.catch(() => llamas.delete(threads));
    llamas.set(threads, p);
  }
  return p;
}

/** Loads (or reuses) the model at `path`; each call must be paired with {@link releaseModel}. */
export async function acquireModel(path: string, threads: number, log?: (line: string) => void): Promise<LlamaModel> {
  let entry = models.get(path);
  if (!entry) {
    const model = (async () => {
      const llama = await llamaFor(threads, log);
      try {
        return await llama.loadModel({ modelPath: path });
      } catch (err) {
        throw inferenceError(INFERENCE_ERRORS.MODEL, `cannot load the GGUF model ${path}: ${(err as Error).message}`, { path }, err);
      }
    })();
    entry = { model, refs: 0 };
    models.set(path, entry);
    model.catch(() => {
      if (models.get(path) === entry) models.delete(path);
    });
  }
  entry.refs++;
  try {
    return await entry.model;
  } catch (err) {
    entry.refs--;
    throw err;
  }
}

/** Drops one reference to the model at `path`; disposes it when none remain. */
export async function releaseModel(path: string): Promise<void> {
  const entry = models.get(path);
  if (!entry) return;
  entry.refs--;
  if (entry.refs > 0) return;
  models.delete(path);
  const model = await entry.model.catch(() => undefined);
  await model?.dispose();
}

/** How many backends hold the model at `path` (0 when not loaded); for diagnostics and tests. */
export function modelRefs(path: string): number {
  return models.get(path)?.refs ?? 0;
}
