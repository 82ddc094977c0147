/**
 * Pure helpers of the load bench: the validated options, percentiles, and the figures computed from the
 * responses autocannon saw (status and latency of each) and the RSS samples.
 */
import { z } from "zod";

export const LoadOptions = z
  .object({
    seconds: z.coerce.number().positive().max(3600).default(30),
    warmup: z.coerce.number().min(0).max(600).default(5),
    connections: z.coerce.number().int().min(1).max(10_000).default(100),
    nodes: z.coerce.number().int().min(2).max(16).default(5),
    concurrentRounds: z.coerce.number().int().min(1).max(256).default(2),
    queuedRounds: z.coerce.number().int().min(0).max(10_000).default(32),
    /** The node's node.queueWaitMs: half the client timeout, so a queued query is refused, never timed out. */
    queueWaitMs: z.coerce.number().int().min(1).max(600_000).default(5000),
    ipfs: z.enum(["embedded", "memory"]).default("embedded"),
    timeoutSeconds: z.coerce.number().positive().max(600).default(10),
    /** Per-client-IP bucket of the gateway, rounds/s (the config's default, gateway.apiKeys.perIp: 20/s, burst 40); 0 = off. */
    perIpPerSecond: z.coerce.number().min(0).max(10_000).default(20),
    /** Seconds of the unloaded phase (closed loop, one connection per running round) that goodput is measured against. */
    baselineSeconds: z.coerce.number().positive().max(600).default(10),
    /** The soak after the overload run: this many seconds at a steady rate (0: no soak). */
    soakSeconds: z.coerce.number().min(0).max(86_400).default(600),
    /** Warm-up of the soak (RSS growth is measured from its end). */
    soakWarmup: z.coerce.number().min(0).max(3600).default(60),
    /** Steady request rate of the soak, requests per second over all its connections. */
    soakRate: z.coerce.number().positive().max(10_000).default(2),
  })
  .strict();
export type LoadOptions = z.infer<typeof LoadOptions>;

/** Options from `--name value` flags (kebab-case of the keys above) over BENCH_LOAD_<NAME> env variables. */
export function parseLoadOptions(argv: string[], env: NodeJS.ProcessEnv): LoadOptions {
  const raw: Record<string, string> = {};
  const keys = Object.keys(LoadOptions.shape);
  const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  for (const k of keys) {
    const v = env[`BENCH_LOAD_${kebab(k).replace(/-/g, "_").toUpperCase()}`];
    if (v !== undefined) raw[k] = v;
  }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const k = keys.find((x) => `--${kebab(x)}` === flag);
    if (!k) throw new Error(`unknown option ${flag} (known: ${keys.map((x) => `--${kebab(x)}`).join(", ")})`);
    if (i + 1 >= argv.length) throw new Error(`option ${flag} needs a value`);
    raw[k] = argv[++i];
  }
  const r = LoadOptions.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`invalid option ${issue.path.join(".")}: ${issue.message}`);
  }
  return r.data;
}

/** The p-th percentile (nearest rank) of `sorted` ascending values; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface ResponseLog {
  status: number;
  latencyMs: number;
}

export interface LoadFigures {
  p50: number;
  p99: number;
  okPerSecond: number;
  ok: number;
  overloaded: number;
  overloadedP50: number;
  okP50: number;
  errorsNon503: number;
  /** 429s: refusals by the per-client buckets (intended under a flood, so not errors). */
  rateLimited: number;
  statuses: Record<string, number>;
}

/**
 * Figures of one run: latency percentiles over every answer, 2xx per second, 503s and their median latency,
 * 429s (the per-client buckets' refusals), and errors that are neither 2xx, 503 nor 429 (other statuses, plus
 * connection errors: autocannon's `errors`, which include its timeouts).
 */
export function loadFigures(responses: readonly ResponseLog[], seconds: number, connectionErrors: number): LoadFigures {
  const all = responses.map((r) => r.latencyMs).sort((a, b) => a - b);
  const ok = responses.filter((r) => r.status >= 200 && r.status < 300);
  const busy = responses.filter((r) => r.status === 503);
  const rateLimited = responses.filter((r) => r.status === 429).length;
  const statuses: Record<string, number> = {};
  for (const r of responses) statuses[r.status] = (r.status in statuses ? statuses[r.status] : 0) + 1;
  const sortedOf = (rs: readonly ResponseLog[]) => rs.map((r) => r.latencyMs).sort((a, b) => a - b);
  return {
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    okPerSecond: ok.length / seconds,
    ok: ok.length,
    overloaded: busy.length,
    overloadedP50: percentile(sortedOf(busy), 50),
    okP50: percentile(sortedOf(ok), 50),
    errorsNon503: responses.length - ok.length - busy.length - rateLimited + connectionErrors,
    rateLimited,
    statuses,
  };
}
