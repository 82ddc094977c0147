/**
 * `npm run bench:round`: the protocol's own cost. Seven nodes on 127.0.0.1 in this process, each with its own
 * HTTP server, an instant fake model, the production consensus rules, round-record signing and an artifact
 * store; one node's gateway takes the queries.
 *
 *   round_overhead_p50_ms / _p95_ms  client-side round time minus the slowest member's answer time
 *                                    (sequential rounds after a warm-up)
 *   gateway_rounds_per_s             autocannon against POST /v1/chat/completions, 8 connections, 10 s
 *   stream_first_byte_ms             `stream: true`: time to the first SSE byte (the role chunk), p50 of
 *                                    sequential rounds, each read to [DONE] (target <= 50 ms)
 */
import autocannon from "autocannon";
import { buildBenchSwarm } from "./lib/bench-swarm.js";

const WARMUP = 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);

const swarm = await buildBenchSwarm(7);
const gateway = swarm.nodes[0].url;
const body = JSON.stringify({
  model: "chorus-swarm",
  messages: [{ role: "user", content: "What is the capital of France?" }],
  max_tokens: 16,
});

async function ask(): Promise<number> {
  swarm.resetSlowest();
  const t0 = performance.now();
  const res = await fetch(`${gateway}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  if (res.status !== 200) throw new Error(`round failed: HTTP ${res.status} ${await res.text()}`);
  await res.json();
  return performance.now() - t0 - swarm.slowestAnswerMs();
}

/** One streamed round: ms to the first body byte; the stream is read to its end. */
async function firstByte(): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${gateway}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...JSON.parse(body), stream: true }),
  });
  if (res.status !== 200 || !res.body) throw new Error(`stream failed: HTTP ${res.status} ${await res.text()}`);
  const reader = res.body.getReader();
  let first = -1;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (first < 0) first = performance.now() - t0;
    text += new TextDecoder().decode(value);
  }
  if (!text.includes("data: [DONE]")) throw new Error(`stream did not end with [DONE]: ${text.slice(-200)}`);
  return first;
}

try {
  for (let i = 0; i < WARMUP; i++) await ask();
  const overheads: number[] = [];
  for (let i = 0; i < ROUNDS; i++) overheads.push(await ask());
  overheads.sort((a, b) => a - b);
  const pct = (p: number) => overheads[Math.min(overheads.length - 1, Math.floor((p / 100) * overheads.length))];

  const firsts: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 50); i++) firsts.push(await firstByte());
  firsts.sort((a, b) => a - b);

  const result = await autocannon({
    url: `${gateway}/v1/chat/completions`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    connections: 8,
    duration: Number(process.env.BENCH_SECONDS ?? 10),
  });
  const ok = result["2xx"];
  console.log(`BENCH round_overhead_p50_ms ${pct(50).toFixed(1)} ms`);
  console.log(`BENCH round_overhead_p95_ms ${pct(95).toFixed(1)} ms`);
  console.log(`BENCH stream_first_byte_ms ${firsts[Math.floor(firsts.length / 2)].toFixed(1)} ms`);
  console.log(`BENCH gateway_rounds_per_s ${(ok / (result.duration || 1)).toFixed(1)} rounds/s`);
  if (result.non2xx > 0)
    console.error(`(${result.non2xx} non-2xx answers during the load phase: overload 503s from the bounded queue)`);
} finally {
  await swarm.close();
}
