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
 *   soak_rss_growth_mb          then a soak at a steady rate the node serves (--soak-rate 2 requests/s, 2
 *                               connections) for --soak-seconds (600) after --soak-warmup (60): gateway RSS at
 *                               the end (mean of the last 3 samples, 5 s apart) minus at the end of the warm-up
 *                               (target <= 20 MB); soak_ok_per_s and soak_errors alongside
 *
 * Options (flag or env): --seconds / BENCH_LOAD_SECONDS (30), --warmup (5), --connections (100), --nodes (5), --per-ip-per-second (20; 0 = off), --baseline-seconds (10),
 * --concurrent-rounds (2), --queued-rounds (32), --queue-wait-ms (5000: the node's node.queueWaitMs), --ipfs embedded|memory, --timeout-seconds (10).
 * Smoke run: `npm run bench:load -- --seconds 5 --warmup 2 --soak-seconds 20 --soak-warmup 5`.
 */
import autocannon from "autocannon";
import { startLoadSwarm } from "./lib/load-swarm.js";
import { loadFigures, parseLoadOptions, type ResponseLog } from "./lib/load-stats.js";

const opts = parseLoadOptions(process.argv.slice(2), process.env);
const MB = 1024 * 1024;
const body = JSON.stringify({
  model: "chorus-swarm",
  messages: [{ role: "user", content: "What is the capital of France?" }],
  max_tokens: 16,
});

function drive(
  url: string,
  seconds: number,
  log?: ResponseLog[],
  steady?: { rate?: number; connections: number },
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/v1/chat/completions`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        connections: steady?.connections ?? opts.connections,
        ...(steady?.rate !== undefined ? { overallRate: steady.rate } : {}),
        duration: seconds,
        timeout: opts.timeoutSeconds,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (log) instance.on("response", (_client, status, _bytes, latencyMs) => log.push({ status, latencyMs }));
  });
}

/**
 * The soak: a steady rate the node serves, for a long time. RSS after a warm-up against RSS at the end (means of
 * samples, to smooth GC); a leak per round shows as growth. Waits first for the overload run's queue to drain.
 */
async function soak(gateway: string, fmt: (v: number) => string) {
  await new Promise((r) => setTimeout(r, opts.queueWaitMs + 2000));
  console.error(
    `soak: ${opts.soakRate} requests/s on 2 connections, ${opts.soakWarmup} s warm-up + ${opts.soakSeconds} s`,
  );
  if (opts.soakWarmup > 0) await drive(gateway, opts.soakWarmup, undefined, { rate: opts.soakRate, connections: 2 });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const samples: number[] = [];
  let lost: Error | undefined;
  const sample = () =>
    void swarm.rss().then(
      (r) => samples.push(r[0]),
      (e: Error) => (lost ??= e),
    );
  const base = (await swarm.rss())[0];
  const sampler = setInterval(sample, 5000);
  const log: ResponseLog[] = [];
  let result: autocannon.Result;
  try {
    result = await drive(gateway, opts.soakSeconds, log, { rate: opts.soakRate, connections: 2 });
  } finally {
    clearInterval(sampler);
  }
  if (lost) throw new Error(`a node died during the soak: ${lost.message}`);
  samples.push((await swarm.rss())[0]);
  const end = mean(samples.slice(-3));
  const ok = log.filter((r) => r.status >= 200 && r.status < 300).length;
  const errors = log.length - ok + result.errors;
  console.log(`BENCH soak_rss_growth_mb ${fmt((end - base) / MB)} MB`);
  console.log(`BENCH soak_ok_per_s ${fmt(ok / (result.duration || opts.soakSeconds))} rounds/s`);
  console.log(`BENCH soak_errors ${errors} errors`);
  console.error(
    `soak: gateway RSS ${fmt(base / MB)} MB after warm-up, ${fmt(end / MB)} MB at the end (max ${fmt(Math.max(base, ...samples) / MB)} MB); statuses ${JSON.stringify(Object.fromEntries([...new Set(log.map((r) => r.status))].map((s) => [s, log.filter((r) => r.status === s).length])))}`,
  );
}

console.error(
  `load bench: per-IP bucket ${opts.perIpPerSecond || "off"} rounds/s; ${opts.nodes} nodes (ipfs ${opts.ipfs}, ${opts.concurrentRounds} running + ${opts.queuedRounds} queued rounds, queue wait ${opts.queueWaitMs} ms), ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.seconds} s`,
);
const swarm = await startLoadSwarm({
  nodes: opts.nodes,
  concurrentRounds: opts.concurrentRounds,
  queuedRounds: opts.queuedRounds,
  queueWaitMs: opts.queueWaitMs,
  ipfs: opts.ipfs,
  perIpPerSecond: opts.perIpPerSecond,
});
const stop = () => void swarm.close().then(() => process.exit(130));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
try {
  const gateway = swarm.urls[0];
  if (opts.warmup > 0) await drive(gateway, opts.warmup);
  // Unloaded: let the warm-up's queue drain and the per-IP bucket refill, then as many clients as rounds may run.
  await new Promise((r) => setTimeout(r, opts.queueWaitMs + 3000));
  const baseLog: ResponseLog[] = [];
  const baseResult = await drive(gateway, opts.baselineSeconds, baseLog, { connections: opts.concurrentRounds });
  const unloaded = loadFigures(baseLog, baseResult.duration || opts.baselineSeconds, baseResult.errors);
  const base = await swarm.rss();
  const samples: number[][] = [];
  let lost: Error | undefined;
  const sampler = setInterval(
    () =>
      void swarm.rss().then(
        (r) => samples.push(r),
        (e: Error) => (lost ??= e),
      ),
    1000,
  );
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
  console.log(
    `BENCH load_goodput_ratio ${unloaded.okPerSecond > 0 ? (f.okPerSecond / unloaded.okPerSecond).toFixed(2) : "n/a"} ratio`,
  );
  console.log(
    `BENCH load_swarm_rss_growth_mb ${fmt((end.reduce((a, b) => a + b, 0) - base.reduce((a, b) => a + b, 0)) / MB)} MB`,
  );
  console.error(
    `statuses ${JSON.stringify(f.statuses)}, connection errors ${result.errors} (timeouts ${result.timeouts}); ` +
      `gateway RSS ${fmt(base[0] / MB)} MB after warm-up, peak ${fmt(peak / MB)} MB, ${fmt(end[0] / MB)} MB at the end`,
  );
  if (opts.soakSeconds > 0) await soak(gateway, fmt);
} finally {
  await swarm.close();
}
