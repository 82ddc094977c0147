/**
 * What an operator sees of a node (issue 19): /metrics after real rounds (parsed with parse-prometheus-text-format,
 * a Prometheus text-format parser: prom-client itself ships none; that parser keeps only the last labelled series
 * of a histogram and drops `_count`/`_sum`, so histogram counts are read from their `_count` lines here), JSON logs with a request id per request and the
 * round id on the round's lines, /ready with the reason of each check that fails, and a graceful shutdown that
 * lets a round in flight finish and refuses new ones.
 */
import { expect } from "chai";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { blockAgeCheck, createLogger, MemoryLogStream } from "../../src/obs/index.js";
import type { Mind } from "../../src/round/ports.js";
import { memorySettlement, preferHigherQ, startMemorySwarm } from "../kit/memory-node.js";

type Family = {
  name: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
};

type Metrics = Map<string, Family> & { text: string };

async function metricsOf(url: string): Promise<Metrics> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).to.equal(200);
  expect(res.headers.get("content-type")).to.match(/^text\/plain/);
  const text = await res.text();
  const families = parsePrometheusTextFormat(text) as Family[];
  return Object.assign(new Map(families.map((f) => [f.name, f])), { text });
}

/** A histogram's observation count for these labels, from its `<name>_count{...}` line. */
function count(m: Metrics, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of m.text.split("\n")) {
    const g = new RegExp(`^${name}_count(?:\\{([^}]*)\\})? (\\S+)$`).exec(line);
    if (!g) continue;
    const have = (g.at(1) ?? "").split(",").filter(Boolean);
    if (want.every((w) => have.includes(w))) return Number(g[2]);
  }
  return NaN;
}

const sample = (m: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
  m.get(name)?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
const value = (m: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
  Number(sample(m, name, labels)?.value ?? NaN);

function ask(url: string, content = "Why is the sky blue?", headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "chorus-swarm", messages: [{ role: "user", content }], max_tokens: 16 }),
  });
}

/** A mind that reports token counts, answers after `delayMs`, and fails every answer when `broken`. */
function detailedMind(i: number, opts: { delayMs?: number; broken?: boolean } = {}): Mind {
  const answer = `answer q${i % 10} from node ${i}`;
  return {
    answer: async () => answer,
    answerDetailed: async () => {
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 5));
      if (opts.broken) throw new Error("model crashed");
      return { text: answer, usage: { promptTokens: 12, completionTokens: 8 }, finishReason: "stop" };
    },
    compare: async ({ answerA, answerB }) => ({ outcome: preferHigherQ(answerA, answerB) }),
  };
}

describe("node / metrics, logs, readiness, shutdown", function () {
  this.timeout(60_000);

  it("/metrics moves with a real round: rounds by outcome, phase latencies, exclusions and peer errors, queue depth, gas, tokens/s", async () => {
    const settlement = Object.assign(memorySettlement(), {});
    const submit = settlement.submitEpoch.bind(settlement);
    settlement.submitEpoch = async (items) => ({
      ...(await submit(items)),
      gasUsed: 123_456n,
      gasCostWei: 123_456n * 1_000_000_000n,
    });
    const swarm = await startMemorySwarm(7, { settlement, minds: (i) => detailedMind(i, { broken: i === 6 }) });
    try {
      const url = swarm.nodes[0].url;
      const before = await metricsOf(url);
      expect(value(before, "chorus_rounds_total", { outcome: "ok" })).to.be.NaN;
      const res = await ask(url);
      expect(res.status, await res.clone().text()).to.equal(200);
      const m = await metricsOf(url);
      expect(value(m, "chorus_rounds_total", { outcome: "ok" })).to.equal(1);
      expect(count(m, "chorus_round_seconds", { outcome: "ok" })).to.equal(1);
      for (const phase of ["answer", "reveal", "judge", "sign"])
        expect(count(m, "chorus_round_phase_seconds", { phase }), phase).to.equal(1);
      const broken = swarm.nodes[6].address.toLowerCase();
      expect(value(m, "chorus_exclusions_total", { phase: "answer" })).to.equal(1);
      expect(value(m, "chorus_peer_errors_total", { peer: broken, phase: "answer" })).to.equal(1);
      // node 0 answered as a member: its model's tokens and speed
      expect(value(m, "chorus_model_tokens_total", { kind: "completion" })).to.equal(8);
      expect(count(m, "chorus_model_tokens_per_second")).to.equal(1);
      expect(value(m, "chorus_settlement_queue_depth")).to.equal(1);
      expect(value(m, "chorus_settlement_oldest_age_seconds")).to.be.at.least(0);
      expect(value(m, "chorus_process_resident_memory_bytes")).to.be.greaterThan(0);
      await swarm.nodes[0].submitter.flush();
      const after = await metricsOf(url);
      expect(value(after, "chorus_settlement_queue_depth")).to.equal(0);
      expect(value(after, "chorus_settlement_submissions_total", { result: "ok" })).to.equal(1);
      expect(value(after, "chorus_settlement_gas_used_total")).to.equal(123_456);
      expect(value(after, "chorus_settlement_gas_cost_wei_total")).to.equal(123_456e9);
      // a failed round counts by its error code
      const noQuorum = await startMemorySwarm(3, { minds: (i) => detailedMind(i, { broken: i > 0 }) });
      try {
        expect((await ask(noQuorum.nodes[0].url)).status).to.equal(503);
        expect(
          value(await metricsOf(noQuorum.nodes[0].url), "chorus_rounds_total", { outcome: "ROUND_NO_QUORUM" }),
        ).to.equal(1);
      } finally {
        await noQuorum.close();
      }
    } finally {
      await swarm.close();
    }
  });

  it("logs JSON with a request id on every request line and the round id on the round's lines", async () => {
    const stream = new MemoryLogStream();
    const logger = createLogger({ level: "debug", destination: stream });
    const swarm = await startMemorySwarm(7, {
      minds: (i) => detailedMind(i, { broken: i === 6 }),
      options: (i) => (i === 0 ? { logger } : {}),
    });
    try {
      const res = await ask(swarm.nodes[0].url, "Why?", { "x-request-id": "client-chosen-id-0001" });
      expect(res.status).to.equal(200);
      expect(res.headers.get("x-request-id")).to.equal("client-chosen-id-0001");
      const roundId = ((await res.json()) as { chorus: { round_id: string } }).chorus.round_id;
      const other = await ask(swarm.nodes[0].url, "And?");
      const otherId = other.headers.get("x-request-id");
      expect(otherId).to.match(/^[0-9a-f]{16}$/);
      await new Promise((r) => setTimeout(r, 50));
      const lines = stream.lines;
      expect(
        lines.every((l) => typeof l.time === "string" && typeof l.level === "number" && typeof l.msg === "string"),
      ).to.equal(true);
      const done = lines.find((l) => l.msg === "round done" && l.roundId === roundId);
      expect(done, JSON.stringify(lines.slice(-5))).to.not.equal(undefined);
      expect(done!.reqId).to.equal("client-chosen-id-0001");
      const excluded = lines.find((l) => l.roundId === roundId && String(l.msg).includes("excluded at answer"));
      expect(excluded?.level).to.equal(40);
      const completed = lines.filter(
        (l) => l.msg === "request completed" && (l.req as { url?: string } | undefined)?.url === "/v1/chat/completions",
      );
      expect(completed.map((l) => (l.req as { id: string }).id)).to.include.members([
        "client-chosen-id-0001",
        otherId!,
      ]);
    } finally {
      await swarm.close();
    }
  });

  it("/ready answers 503 with the reason of each failing check: chain block age, model, IPFS, capability, settlement backlog, shutdown", async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const checks = {
      chain: blockAgeCheck(async () => ({ number: 42n, timestamp: BigInt(nowS - 900) }), 300),
      model: () => Promise.reject(new Error("INFERENCE_CLOSED: the model is closed")),
      ipfs: () => new Promise<never>(() => {}),
      capability: () => ({ ok: false, reason: "0xabc has no valid capability pass" }),
    };
    const swarm = await startMemorySwarm(7, {
      parts: (i) => (i === 0 ? { checks } : {}),
      options: (i) => (i === 0 ? { ready: { maxBacklog: 0 } } : {}),
    });
    try {
      const url = swarm.nodes[0].url;
      expect((await ask(url)).status).to.equal(200);
      const res = await fetch(`${url}/ready`);
      expect(res.status).to.equal(503);
      const body = (await res.json()) as {
        ready: boolean;
        reasons: string[];
        checks: Record<string, { ok: boolean; reason?: string }>;
      };
      expect(body.ready).to.equal(false);
      const reason = (name: string) => body.reasons.find((r) => r.startsWith(`${name}:`));
      expect(reason("chain")).to.match(/latest block 42 is 9\d\d s old \(limit 300 s\)/);
      expect(reason("model")).to.contain("the model is closed");
      expect(reason("ipfs")).to.match(/no answer within \d+ ms/);
      expect(reason("capability")).to.contain("no valid capability pass");
      expect(reason("settlement")).to.equal("settlement: 1 records wait for settlement (limit 0)");
      expect(reason("shutdown")).to.equal(undefined);
      // liveness is not readiness: /health still answers 200 with the same detail
      const health = (await (await fetch(`${url}/health`)).json()) as {
        ok: boolean;
        ready: boolean;
        reasons: string[];
      };
      expect(health.ok).to.equal(true);
      expect(health.ready).to.equal(false);
      // a node whose checks pass is ready
      const ok = await fetch(`${swarm.nodes[1].url}/ready`);
      expect(ok.status).to.equal(200);
      expect(((await ok.json()) as { reasons: string[] }).reasons).to.deep.equal([]);
      const gauge = await metricsOf(url);
      expect(value(gauge, "chorus_ready", { check: "chain" })).to.equal(0);
    } finally {
      await swarm.close();
    }
  });

  it("shutdown during a round lets it finish, refuses new rounds with 503 SHUTTING_DOWN, and /ready says why", async () => {
    const swarm = await startMemorySwarm(7, { minds: (i) => detailedMind(i, { delayMs: 1500 }), timeoutMs: 10_000 });
    try {
      const node = swarm.nodes[0];
      const inFlight = ask(node.url);
      await new Promise((r) => setTimeout(r, 400)); // the round is in its answer phase
      const closing = node.close();
      expect(node.draining).to.equal(true);
      const refused = await ask(node.url);
      expect(refused.status).to.equal(503);
      expect(refused.headers.get("retry-after")).to.equal("1");
      expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal("SHUTTING_DOWN");
      const ready = await fetch(`${node.url}/ready`);
      expect(ready.status).to.equal(503);
      expect(((await ready.json()) as { reasons: string[] }).reasons).to.include("shutdown: the node is shutting down");
      const res = await inFlight;
      expect(res.status, await res.clone().text()).to.equal(200);
      const roundId = ((await res.json()) as { chorus: { round_id: string } }).chorus.round_id;
      await closing;
      // flushed at shutdown: the round's record reached the (memory) chain
      expect(swarm.settlement.settled.has(roundId.toLowerCase())).to.equal(true);
    } finally {
      await swarm.close();
    }
  });

  it("a round still running when the shutdown bound is past is aborted, and close returns soon after", async () => {
    const swarm = await startMemorySwarm(7, {
      minds: (i) => detailedMind(i, { delayMs: 5000 }),
      timeoutMs: 20_000,
      options: () => ({ shutdownMs: 300 }),
    });
    try {
      const node = swarm.nodes[0];
      const inFlight = ask(node.url).then(
        (r) => r.status,
        () => "cut" as const,
      );
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      await node.close();
      expect(Date.now() - t0).to.be.below(3000);
      expect(await inFlight).to.not.equal(200);
    } finally {
      await swarm.close();
    }
  });
});
