/**
 * Process-wide node-llama-cpp state: one Llama instance per (GPU choice, thread count) (prebuilt binaries only,
 * threads always explicit: the library's default thread count ran ~1,000x slower on a shared 2-core machine)
 * and one loaded model per file path, shared by every backend on that file and freed when the last one closes.
 * `gpu: "auto"` is node-llama-cpp's detection: CUDA, Vulkan or Metal when a prebuilt binary for it loads on
 * this machine, else the CPU; `false` forces the CPU.
 */
import os from "node:os";
import type { Llama, LlamaModel } from "node-llama-cpp";
import { INFERENCE_ERRORS, inferenceError } from "./errors.js";
import type { GpuChoice, ThreadsChoice } from "./types.js";

const llamas = new Map<string, Promise<Llama>>();
const models = new Map<string, { model: Promise<LlamaModel>; refs: number }>();

/**
 * The thread count "auto" stands for: the cores this process may use, less one for the node itself (its event
 * loop serves HTTP, libp2p and the chain client while a generation runs). llama.cpp's threads meet at a barrier
 * after every step, so one descheduled thread stalls them all: measured on a 2-core machine under load, 2
 * threads took over 120 s for 200 tokens that 1 thread made in 0.4 s. On 16 cores, 15 threads lose little.
 */
export function resolveThreads(threads: ThreadsChoice | undefined, cores = os.availableParallelism()): number {
  if (threads === undefined || threads === "auto") return Math.max(1, Math.min(256, cores - 1));
  return threads;
}

/** The Llama instance for `gpu` and `threads` CPU threads (created on first use). */
export function llamaFor(threads: number, log?: (line: string) => void, gpu: GpuChoice = false): Promise<Llama> {
  const key = `${String(gpu)}/${threads}`;
  let p = llamas.get(key);
  if (!p) {
    p = (async () => {
      const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
      return getLlama({
        gpu,
        build: "never",
        maxThreads: threads,
        logLevel: LlamaLogLevel.error,
        logger: (level, message) => log?.(`llama.cpp ${level}: ${message.trim()}`),
      });
    })();
    p.catch(() => llamas.delete(key));
    llamas.set(key, p);
  }
  return p;
}

/** Loads (or reuses) the model at `path`; each call must be paired with {@link releaseModel}. */
export async function acquireModel(
  path: string,
  threads: number,
  log?: (line: string) => void,
  gpu: GpuChoice = false,
): Promise<LlamaModel> {
  let entry = models.get(path);
  if (!entry) {
    const model = (async () => {
      let llama: Llama;
      try {
        llama = await llamaFor(threads, log, gpu);
      } catch (err) {
        throw inferenceError(
          INFERENCE_ERRORS.MODEL,
          `cannot start llama.cpp with gpu ${String(gpu)}: ${(err as Error).message} (inference.gpu=false forces the CPU)`,
          { gpu },
          err,
        );
      }
      try {
        return await llama.loadModel({ modelPath: path });
      } catch (err) {
        throw inferenceError(
          INFERENCE_ERRORS.MODEL,
          `cannot load the GGUF model ${path}: ${(err as Error).message}`,
          { path },
          err,
        );
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
