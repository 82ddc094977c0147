/**
 * `chorus ask "question"` and `chorus round show <id>`: a client of a node's gateway.
 *
 * `ask` fails over: with `--fallback-gateway url2,url3` it tries those gateways in turn when one cannot run the
 * round (unreachable, closed the connection mid-round because its node stopped, timed out, or answered 5xx),
 * saying so on stderr. A 4xx answer (the question itself is refused) is final. A retry is a new round on the
 * other node: the first one either never completed (its coordinator stopped) or its answer was lost.
 */
import { ChorusError, isChorusError } from "../../errors.js";
import type { CliContext } from "../context.js";

/** Errors after which another gateway may still answer. */
const FAILOVER_CODES = new Set(["GATEWAY_UNREACHABLE", "GATEWAY_DROPPED", "GATEWAY_TIMEOUT"]);

function canFailOver(err: unknown): boolean {
  if (!isChorusError(err)) return false;
  if (FAILOVER_CODES.has(err.code)) return true;
  return err.code === "GATEWAY_ERROR" && Number(err.details.status) >= 500;
}

/** Parses `--fallback-gateway`: comma-separated http(s) URLs. */
export function parseGateways(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const urls = raw.split(",").map((u) => u.trim());
  for (const u of urls) {
    let ok = false;
    try {
      ok = /^https?:$/.test(new URL(u).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new ChorusError("INPUT_INVALID", `--fallback-gateway: '${u}' is not an http(s) URL (give comma-separated URLs)`);
  }
  return urls;
}

async function call(ctx: CliContext, path: string, init?: RequestInit, base = ctx.config.gateway.url): Promise<any> {
  const url = new URL(path, base);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(ctx.config.gateway.timeoutMs) });
  } catch (err) {
    const e = err as Error;
    if (e.name === "TimeoutError") throw new ChorusError("GATEWAY_TIMEOUT", `no answer from ${url.origin} within ${ctx.config.gateway.timeoutMs} ms`);
    const cause = e.cause as (Error & { code?: string }) | undefined;
    if (cause?.code === "UND_ERR_SOCKET" || /other side closed|socket hang up|ECONNRESET/i.test(cause?.message ?? "")) {
      throw new ChorusError("GATEWAY_DROPPED", `gateway ${url.origin} closed the connection before answering (its node stopped mid-round?)`, { gateway: url.origin });
    }
    throw new ChorusError("GATEWAY_UNREACHABLE", `gateway ${url.origin} is unreachable (${cause?.message ?? e.message}); is a node running (\`npm start\`)?`, { gateway: url.origin });
  }
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ChorusError("GATEWAY_ERROR", `gateway answered HTTP ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) throw new ChorusError("GATEWAY_ERROR", `gateway answered ${res.status}: ${body?.error?.message ?? text.slice(0, 200)}`, { status: res.status });
  return body;
}

export async function askCommand(ctx: CliContext, question: string, opts: { json?: boolean; rag?: boolean; maxTokens?: string; fallbackGateway?: string }) {
  if (!question.trim()) throw new ChorusError("INPUT_INVALID", "the question is empty");
  let maxTokens: number | undefined;
  if (opts.maxTokens !== undefined) {
    maxTokens = Number(opts.maxTokens);
    if (!/^\d+$/.test(opts.maxTokens) || maxTokens < 1 || maxTokens > 4096) {
      throw new ChorusError("INPUT_INVALID", `--max-tokens must be a whole number from 1 to 4096, got '${opts.maxTokens}'`);
    }
  }
  const gateways = [ctx.config.gateway.url, ...parseGateways(opts.fallbackGateway)];
  const init = {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "chorus-swarm", messages: [{ role: "user", content: question }], max_tokens: maxTokens, chorus: { rag: !!opts.rag } }),
  };
  let body: any;
  let answeredBy = gateways[0];
  const failures: string[] = [];
  for (const [i, gateway] of gateways.entries()) {
    try {
      body = await call(ctx, "/v1/chat/completions", init, gateway);
      answeredBy = gateway;
      break;
    } catch (err) {
      if (!canFailOver(err)) throw err;
      failures.push((err as Error).message);
      if (i === gateways.length - 1) {
        if (gateways.length === 1) throw err;
        throw new ChorusError("GATEWAY_ALL_FAILED", `every gateway failed: ${failures.join("; ")}`, { gateways });
      }
      ctx.io.err(`chorus: ${(err as Error).message}; trying ${gateways[i + 1]}`);
    }
  }
  if (opts.json) return ctx.json(body);
  const c = body.chorus;
  ctx.io.out(body.choices[0].message.content);
  ctx.io.out("");
  ctx.io.out(`round       ${c.round_id}`);
  ctx.io.out(`gateway     ${answeredBy}`);
  ctx.io.out(`transcript  ${c.transcript_cid}  (${new URL(`/ipfs/${c.transcript_cid}`, answeredBy)})`);
  ctx.io.out(`winner      ${c.winner}  (${c.answered}/${c.committee_size} answered, ${c.signatures} signed; settlement ${c.settlement})`);
}

export async function roundShowCommand(ctx: CliContext, id: string, opts: { json?: boolean }) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new ChorusError("INPUT_INVALID", `round id must be 0x + 64 hex digits, got '${id}'`);
  const round = await call(ctx, `/chorus/v1/rounds/${id}`);
  if (opts.json) return ctx.json(round);
  ctx.io.out(`round       ${round.roundId}`);
  ctx.io.out(`query       ${round.queryCid}`);
  ctx.io.out(`transcript  ${round.transcriptCid}`);
  ctx.io.out(`winner      ${round.winner}`);
  ctx.io.out(`settlement  ${round.settlement}${round.txHash ? ` (tx ${round.txHash})` : ""}`);
  for (const [i, a] of (round.ranking as string[]).entries()) ctx.io.out(`  ${i + 1}. ${a}  score ${(Number(round.scores[a]) / 1e6).toFixed(4)}`);
  for (const e of round.excluded ?? []) ctx.io.out(`  excluded ${e.member} at ${e.phase}: ${e.reason}`);
}
