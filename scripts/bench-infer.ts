/**
 * `npm run bench:infer`: greedy generation speed of the gguf backend on the test model
 * (../shared/models/stories260K.gguf, or CHORUS_TEST_MODEL), context 256, measured twice:
 *
 *   gguf_tokens_per_s        1 thread, CPU (gpu: false): the figure the tests' settings give
 *   gguf_tokens_per_s_auto   the config's defaults: threads "auto" (the machine's cores less one for the node itself, at least 1) and gpu "auto"
 *                            (node-llama-cpp's detection); stderr says what they resolved to
 *
 * Each: median over 7 runs of completion tokens / wall time of one chat() call (prompt evaluation included),
 * 200 tokens each, after a warm-up run. The first backend is closed (its model freed) before the second loads.
 * stdout holds only the `BENCH <name> <value> <unit>` lines; details go to stderr.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GgufBackend, type GpuChoice, type ThreadsChoice } from "../src/inference/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const model = process.env.CHORUS_TEST_MODEL ?? path.resolve(root, "../shared/models/stories260K.gguf");
const RUNS = 7;
const prompts = [
  "Once upon a time, a little cat",
  "Tom and Sue went to the park",
  "The big red ball",
  "Lily found a shiny stone",
];

async function measure(name: string, threads: ThreadsChoice, gpu: GpuChoice): Promise<void> {
  const backend = new GgufBackend({ modelPath: model, threads, gpu, contextSize: 256 });
  try {
    const t0 = performance.now();
    const info = await backend.load();
    process.stderr.write(
      `${name}: model ${path.basename(model)} loaded in ${(performance.now() - t0).toFixed(0)} ms; threads ${String(threads)} -> ${info.threads}, gpu ${String(gpu)} -> ${String(info.gpu)} (${info.gpuLayers} layers offloaded)\n`,
    );
    await backend.chat([{ role: "user", content: prompts[0] }], { maxTokens: 200 });
    const rates: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = await backend.chat([{ role: "user", content: prompts[i % prompts.length] }], { maxTokens: 200 });
      const s = (performance.now() - t) / 1000;
      rates.push(r.usage.completionTokens / s);
      process.stderr.write(`${name} run ${i + 1}: ${r.usage.completionTokens} tokens in ${(s * 1000).toFixed(0)} ms\n`);
    }
    rates.sort((a, b) => a - b);
    process.stdout.write(`BENCH ${name} ${Math.round(rates[(RUNS - 1) / 2])} tokens/s\n`);
  } finally {
    await backend.close();
  }
}

await measure("gguf_tokens_per_s", Number(process.env.BENCH_THREADS ?? 1), false);
await measure("gguf_tokens_per_s_auto", "auto", "auto");
