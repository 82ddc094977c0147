/**
 * `npm run bench:load`: the gateway under overload. A swarm of real node processes on 127.0.0.1 (production
 * rules, production artifact store on disk, the node's default admission limits of 2 running + 32 queued
 * rounds; only the model is an instant deterministic fake, so the load is on the protocol, not inference)
 * takes OpenAI chat completion requests on one gateway from 100 autocannon connections for 30 s, after a
 * warm-up under the same load. The node must answer 503 quickly from its bounded queue instead of growing
 * memory. Prints, one per line:
 *
 *   load_p50_ms / load_p99_ms   latency of every answer (2xx and 503)
 *   load_rounds_per_s           2xx completions per second
 *   load_errors_non503          answers other than 2xx, 503 and 429, plus connection errors and timeouts (target 0)
 *   load_rss_growth_mb          gateway node RSS at the end minus after the warm-up
 *   load_503_count, load_503_p50_ms, load_ok_p50_ms, load_swarm_rss_growth_mb   extra figures
 *
 * Options (flag or env): --seconds / BENCH_LOAD_SECONDS (30), --warmup (5), --connections (100), --nodes (5), --per-ip-per-second (20; 0 = off), --baseline-seconds (10),
 * --concurrent-rounds (2), --queued-rounds (32), --queue-wait-ms (5000: the node's node.queueWaitMs), --ipfs embedded|memory, --timeout-seconds (10).
 * Smoke run: `npm run bench:load -- --seconds 5 --warmup 2`.
 */
import autocannon from "autocannon";
import { startLoadSwarm } from "./lib/load-swarm.js";
import { loadFigures, parseLoadOptions, type ResponseLog } from "./lib/load-stats.js";

const opts = parseLoadOptions(process.argv.slice(2), process.env);
const MB = 1024 * 1024;
const body = JSON.stringify({ model: "chorus-swarm", messages: [{ role: "user", content: "What is the capital of France?" }], max_tokens: 16 });

function drive(url: string, seconds: number, log?: ResponseLog[], connections = opts.connections): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/v1/chat/completions`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        connections,
        duration: seconds,
        timeout: opts.timeoutSeconds,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (log) instance.on("response", (_client, status, _bytes, latencyMs) => log.push({ status, latencyMs }));
  });
}

console.error(`load bench: per-IP bucket ${opts.perIpPerSecond || "off"} rounds/s; ${opts.nodes} nodes (ipfs ${opts.ipfs}, ${opts.concurrentRounds} running + ${opts.queuedRounds} queued rounds, queue wait ${opts.queueWaitMs} ms), ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.seconds} s`);
const swarm = await startLoadSwarm({ nodes: opts.nodes, concurrentRounds: opts.concurrentRounds, queuedRounds: opts.queuedRounds, queueWaitMs: opts.queueWaitMs, ipfs: opts.ipfs, perIpPerSecond: opts.perIpPerSecond });
const stop = () => void swarm.close().then(() => process.exit(130));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
try {
  const gateway = swarm.urls[0];
  if (opts.warmup > 0) await drive(gateway, opts.warmup);
  // Unloaded: let the warm-up's queue drain and the per-IP bucket refill, then as many clients as rounds may run.
  await new Promise((r) => setTimeout(r, opts.queueWaitMs + 3000));
  const baseLog: ResponseLog[] = [];
  const baseResult = await drive(gateway, opts.baselineSeconds, baseLog, opts.concurrentRounds);
  const unloaded = loadFigures(baseLog, baseResult.duration || opts.baselineSeconds, baseResult.errors);
  const base = await swarm.rss();
  const samples: number[][] = [];
  let lost: Error | undefined;
  const sampler = setInterval(() => void swarm.rss().then((r) => samples.push(r), (e: Error) => (lost ??= e)), 1000);
  const log: ResponseLog[] = [];
  let result: autocannon.Result;
  try {
    result = await drive(gateway, opts.seconds, log);
  } finally {
    clearInterval(sampler);
  }
  if (lost) throw new Error(`a node died during the run: ${lost.message}`);
  const end = await swarm.rss();
  const f = loadFigures(log, result.duration || opts.seconds, result.errors);
  const peak = Math.max(...[base, ...samples, end].map((r) => r[0]));
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "n/a");
  console.log(`BENCH load_p50_ms ${fmt(f.p50)} ms`);
  console.log(`BENCH load_p99_ms ${fmt(f.p99)} ms`);
  console.log(`BENCH load_rounds_per_s ${fmt(f.okPerSecond)} rounds/s`);
  console.log(`BENCH load_errors_non503 ${f.errorsNon503} errors`);
  console.log(`BENCH load_rss_growth_mb ${fmt((end[0] - base[0]) / MB)} MB`);
  console.log(`BENCH load_503_count ${f.overloaded} responses`);
  console.log(`BENCH load_429_count ${f.rateLimited} responses`);
  console.log(`BENCH load_503_p50_ms ${fmt(f.overloadedP50)} ms`);
  console.log(`BENCH load_ok_p50_ms ${fmt(f.okP50)} ms`);
  console.log(`BENCH load_unloaded_rounds_per_s ${fmt(unloaded.okPerSecond)} rounds/s`);
  console.log(`BENCH load_goodput_ratio ${unloaded.okPerSecond > 0 ? (f.okPerSecond / unloaded.okPerSecond).toFixed(2) : "n/a"} ratio`);
  console.log(`BENCH load_swarm_rss_growth_mb ${fmt((end.reduce((a, b) => a + b, 0) - base.reduce((a, b) => a + b, 0)) / MB)} MB`);
  console.error(
    `statuses ${JSON.stringify(f.statuses)}, connection errors ${result.errors} (timeouts ${result.timeouts}); ` +
      `gateway RSS ${fmt(base[0] / MB)} MB after warm-up, peak ${fmt(peak / MB)} MB, ${fmt(end[0] / MB)} MB at the end`,
  );
} finally {
  await swarm.close();
}
