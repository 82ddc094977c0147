/**
 * `chorus eval --dataset FILE.jsonl`: runs a multiple-choice data set (GPQA's fields: question, choices,
 * answer) through a real gateway, one round per question, and reports with 95% bootstrap intervals the swarm's
 * accuracy, majority voting over the committee's own answers (read from each round's transcript), the best and
 * the mean committee node, latency and tokens per question. `--nodes url1,url2` (OpenAI-compatible backends,
 * `model@url` to name a model) also asks each backend every question directly: the same models outside the
 * swarm, so a user with real models reproduces the swarm-vs-single-model comparison on their own hardware.
 * Figures: ./eval-stats.ts.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ChorusError } from "../../core/index.js";
import { cidOfCanonical } from "../../core/index.js";
import { ANY_ADDRESS, netRequest } from "../../net/index.js";
import type { CliContext } from "../context.js";
import { parseFlags, switchFlag, wholeFlag } from "../parse.js";
import {
  chosen,
  parseDataset,
  promptOf,
  summarize,
  type Estimate,
  type EvalItem,
  type QuestionResult,
} from "./eval-stats.js";

const MAX_REPLY_BYTES = 4 * 1024 * 1024;

const EvalFlags = z
  .object({
    dataset: z.string().min(1, "must name a JSONL file"),
    nodes: z.string().optional(),
    limit: wholeFlag(1, 1_000_000).optional(),
    maxTokens: wholeFlag(1, 4096).default(1024),
    resamples: wholeFlag(100, 100_000).default(2000),
    seed: z.string().optional(),
    json: switchFlag,
  })
  .strict();

const Tokens = z.object({ total_tokens: z.number() });

/** What eval reads of a chat completion; anything missing or malformed counts as no answer. */
const Reply = z
  .object({
    choices: z
      .array(z.object({ message: z.object({ content: z.string() }) }))
      .optional()
      .catch(undefined),
    usage: Tokens.optional().catch(undefined),
    chorus: z
      .object({ usage: Tokens.optional().catch(undefined), transcript_cid: z.string().optional().catch(undefined) })
      .optional()
      .catch(undefined),
  })
  .catch({});

const ErrorReply = z.object({ error: z.object({ message: z.string() }) });

/** The members' revealed answers in a transcript. */
const Reveals = z.object({
  reveals: z.array(z.object({ from: z.string(), body: z.object({ answer: z.string().optional() }) })).optional(),
});

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

interface Backend {
  name: string;
  url: string;
  model: string;
}

/** `--nodes`: comma-separated OpenAI-compatible base URLs (…/v1), each optionally `model@url`. */
export function parseBackends(raw: string | undefined): Backend[] {
  if (raw === undefined) return [];
  return raw.split(",").map((entry, i) => {
    const e = entry.trim();
    const at = e.lastIndexOf("@", e.indexOf("://") >= 0 ? e.indexOf("://") : e.length);
    const model = at > 0 ? e.slice(0, at) : "default";
    const url = at > 0 ? e.slice(at + 1) : e;
    let ok = false;
    try {
      ok = /^https?:$/.test(new URL(url).protocol);
    } catch {
      ok = false;
    }
    if (!ok)
      throw new ChorusError(
        "INPUT_INVALID",
        `--nodes: '${e}' is not an http(s) URL (give comma-separated OpenAI-compatible base URLs, e.g. http://127.0.0.1:8080/v1, or model@url)`,
      );
    return { name: `${i + 1}:${model}@${new URL(url).host}`, url: url.replace(/\/+$/, ""), model };
  });
}

async function post(
  ctx: CliContext,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const res = await netRequest(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    timeoutMs: ctx.config.gateway.timeoutMs,
    maxBytes: MAX_REPLY_BYTES,
    policy: ANY_ADDRESS,
  }).catch((err: unknown) => {
    throw new ChorusError("GATEWAY_UNREACHABLE", `${new URL(url).origin}: ${messageOf(err)}`, {
      url: new URL(url).origin,
    });
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body.toString("utf8"));
  } catch {
    throw new ChorusError(
      "GATEWAY_ERROR",
      `${new URL(url).origin} answered HTTP ${res.status} with a body that is not JSON`,
      { status: res.status },
    );
  }
  if (res.status < 200 || res.status >= 300) {
    throw new ChorusError(
      "GATEWAY_ERROR",
      `${new URL(url).origin} answered ${res.status}: ${(ErrorReply.safeParse(parsed).data?.error.message ?? "").slice(0, 200)}`,
      { status: res.status },
    );
  }
  return parsed;
}

/** The round's transcript from the gateway's IPFS route, checked against its CID; each member's revealed answer. */
async function memberAnswers(ctx: CliContext, gateway: string, cid: string): Promise<Record<string, string>> {
  const res = await netRequest(new URL(`/ipfs/${cid}?format=raw`, gateway), {
    method: "GET",
    timeoutMs: ctx.config.gateway.timeoutMs,
    maxBytes: MAX_REPLY_BYTES,
    policy: ANY_ADDRESS,
  });
  if (res.status !== 200)
    throw new ChorusError("GATEWAY_ERROR", `transcript ${cid}: HTTP ${res.status}`, { status: res.status });
  const bytes = new Uint8Array(res.body);
  if (cidOfCanonical(bytes) !== cid)
    throw new ChorusError("GATEWAY_ERROR", `transcript ${cid}: the bytes served do not hash to the CID`);
  const t = Reveals.safeParse(JSON.parse(Buffer.from(bytes).toString("utf8")));
  if (!t.success) throw new ChorusError("GATEWAY_ERROR", `transcript ${cid}: its reveals are malformed`);
  return Object.fromEntries((t.data.reveals ?? []).map((r) => [r.from.toLowerCase(), r.body.answer ?? ""]));
}

async function runQuestion(
  ctx: CliContext,
  item: EvalItem,
  backends: Backend[],
  opts: { maxTokens: number; apiKey?: string },
): Promise<QuestionResult> {
  const gateway = ctx.config.gateway.url;
  const messages = [{ role: "user", content: promptOf(item) }];
  const out: QuestionResult = { id: item.id, answer: item.answer, members: {}, backends: {}, latencyMs: 0 };
  const t0 = performance.now();
  try {
    const reply = await post(
      ctx,
      new URL("/v1/chat/completions", gateway).toString(),
      { model: "chorus-swarm", messages, max_tokens: opts.maxTokens },
      opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
    );
    out.latencyMs = performance.now() - t0;
    const body = Reply.parse(reply);
    out.swarm = chosen(body.choices?.at(0)?.message.content);
    const usage = body.chorus?.usage ?? body.usage;
    if (usage && Number.isFinite(usage.total_tokens)) out.tokens = usage.total_tokens;
    const transcriptCid = body.chorus?.transcript_cid;
    if (transcriptCid !== undefined) {
      try {
        const answers = await memberAnswers(ctx, gateway, transcriptCid);
        for (const [m, a] of Object.entries(answers)) out.members[m] = chosen(a);
      } catch (err) {
        ctx.io.err(`chorus eval: question ${item.id}: members' answers not read (${messageOf(err)})`);
      }
    }
  } catch (err) {
    out.latencyMs = performance.now() - t0;
    out.error = messageOf(err);
    ctx.io.err(`chorus eval: question ${item.id}: ${out.error}`);
  }
  for (const b of backends) {
    try {
      const r = await post(ctx, `${b.url}/chat/completions`, { model: b.model, messages, max_tokens: opts.maxTokens });
      out.backends[b.name] = chosen(Reply.parse(r).choices?.at(0)?.message.content);
    } catch (err) {
      out.backends[b.name] = undefined;
      ctx.io.err(`chorus eval: question ${item.id}: backend ${b.name}: ${messageOf(err)}`);
    }
  }
  return out;
}

const pct = (e: Estimate) => `${e.value.toFixed(1)}%  [${e.lo.toFixed(1)}, ${e.hi.toFixed(1)}]`;
const num = (e: Estimate, unit: string) => `${e.value.toFixed(0)} ${unit}  [${e.lo.toFixed(0)}, ${e.hi.toFixed(0)}]`;

export async function evalCommand(ctx: CliContext, raw: Record<string, unknown>, apiKey?: string): Promise<void> {
  const opts = parseFlags(EvalFlags, raw);
  const { maxTokens, resamples } = opts;
  const text = await readFile(opts.dataset, "utf8").catch((err: unknown) => {
    throw new ChorusError("INPUT_INVALID", `--dataset ${opts.dataset}: ${messageOf(err)}`);
  });
  const all = parseDataset(text, opts.dataset);
  const limit = opts.limit ?? all.length;
  const backends = parseBackends(opts.nodes);
  const items = all.slice(0, limit);
  const results: QuestionResult[] = [];
  for (const [i, item] of items.entries()) {
    const r = await runQuestion(ctx, item, backends, { maxTokens, apiKey });
    results.push(r);
    if (!opts.json)
      ctx.io.err(
        `chorus eval: ${i + 1}/${items.length} swarm ${r.swarm ?? "-"} (right ${r.answer}) ${r.latencyMs.toFixed(0)} ms`,
      );
  }
  const s = summarize(results, { resamples, seed: opts.seed });
  if (opts.json) {
    ctx.json({
      dataset: opts.dataset,
      gateway: ctx.config.gateway.url,
      backends: backends.map((b) => b.name),
      summary: s,
      results,
    });
    return;
  }
  const io = ctx.io;
  io.out(
    `data set    ${opts.dataset}: ${s.questions} questions (${s.errors} failed rounds, counted wrong); gateway ${ctx.config.gateway.url}`,
  );
  io.out(`            accuracy, 95% bootstrap interval over the questions (${resamples} resamples)`);
  io.out(`swarm                         ${pct(s.swarm)}`);
  if (s.members) {
    io.out(`majority (committee answers)  ${pct(s.members.majority)}`);
    io.out(
      `best committee node           ${pct(s.members.best)}  ${s.members.best.who} (${s.members.best.n} questions)`,
    );
    io.out(
      `mean committee node           ${pct(s.members.mean)}  over ${s.members.nodes.length} nodes that answered >= half the questions`,
    );
  } else io.out(`committee nodes               (no transcript could be read: no per-node figures)`);
  if (s.backends) {
    io.out(`majority (--nodes, direct)    ${pct(s.backends.majority)}`);
    io.out(`best --nodes backend          ${pct(s.backends.best)}  ${s.backends.best.who}`);
    io.out(`mean --nodes backend          ${pct(s.backends.mean)}  over ${s.backends.nodes.length} backends`);
  }
  io.out(`latency per question          ${num(s.latencyMs, "ms")}`);
  io.out(
    s.tokens
      ? `tokens per question           ${num(s.tokens, "tokens")}  (committee total where the gateway reports it)`
      : `tokens per question           (not reported)`,
  );
}
