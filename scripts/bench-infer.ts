/**
 * `npm run bench:infer`: greedy generation speed of the gguf backend on the test model
 * (../shared/models/stories260K.gguf, or CHORUS_TEST_MODEL), 1 thread, context 256.
 *
 *   gguf_tokens_per_s   median over 7 runs of completion tokens / wall time of one chat() call
 *                       (prompt evaluation included), 200 tokens each, after a warm-up run
 *
 * stdout holds only the `BENCH <name> <value> <unit>` line; details go to stderr.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GgufBackend } from "../src/inference/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const model = process.env.CHORUS_TEST_MODEL ?? path.resolve(root, "../shared/models/stories260K.gguf");
const threads = Number(process.env.BENCH_THREADS ?? 1);
const RUNS = 7;

const backend = new GgufBackend({ modelPath: model, threads, contextSize: 256 });
try {
  const t0 = performance.now();
  await backend.load();
  process.stderr.write(`model ${path.basename(model)} loaded in ${(performance.now() - t0).toFixed(0)} ms, ${threads} thread(s)\n`);
  const prompts = ["Once upon a time, a little cat", "Tom and Sue went to the park", "The big red ball", "Lily found a shiny stone"];
  await backend.chat([{ role: "user", content: prompts[0] }], { maxTokens: 200 });
  const rates: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = await backend.chat([{ role: "user", content: prompts[i % prompts.length] }], { maxTokens: 200 });
    const s = (performance.now() - t) / 1000;
    rates.push(r.usage.completionTokens / s);
    process.stderr.write(`run ${i + 1}: ${r.usage.completionTokens} tokens in ${(s * 1000).toFixed(0)} ms\n`);
  }
  rates.sort((a, b) => a - b);
  process.stdout.write(`BENCH gguf_tokens_per_s ${Math.round(rates[(RUNS - 1) / 2])} tokens/s\n`);
} finally {
  await backend.close();
}
