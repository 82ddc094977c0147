/** `chorus ask "question"` and `chorus round show <id>`: a client of a node's gateway. */
import { ChorusError } from "../../errors.js";
import type { CliContext } from "../context.js";

async function call(ctx: CliContext, path: string, init?: RequestInit): Promise<any> {
  const url = new URL(path, ctx.config.gateway.url);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(ctx.config.gateway.timeoutMs) });
  } catch (err) {
    const e = err as Error;
    if (e.name === "TimeoutError") throw new ChorusError("GATEWAY_TIMEOUT", `no answer from ${url.origin} within ${ctx.config.gateway.timeoutMs} ms`);
    throw new ChorusError("GATEWAY_UNREACHABLE", `gateway ${url.origin} is unreachable (${(e.cause as Error)?.message ?? e.message}); is a node running (\`npm start\`)?`);
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

export async function askCommand(ctx: CliContext, question: string, opts: { json?: boolean; rag?: boolean; maxTokens?: string }) {
  if (!question.trim()) throw new ChorusError("INPUT_INVALID", "the question is empty");
  let maxTokens: number | undefined;
  if (opts.maxTokens !== undefined) {
    maxTokens = Number(opts.maxTokens);
    if (!/^\d+$/.test(opts.maxTokens) || maxTokens < 1 || maxTokens > 4096) {
      throw new ChorusError("INPUT_INVALID", `--max-tokens must be a whole number from 1 to 4096, got '${opts.maxTokens}'`);
    }
  }
  const body = await call(ctx, "/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "chorus-swarm", messages: [{ role: "user", content: question }], max_tokens: maxTokens, chorus: { rag: !!opts.rag } }),
  });
  if (opts.json) return ctx.json(body);
  const c = body.chorus;
  ctx.io.out(body.choices[0].message.content);
  ctx.io.out("");
  ctx.io.out(`round       ${c.round_id}`);
  ctx.io.out(`transcript  ${c.transcript_cid}  (${new URL(`/ipfs/${c.transcript_cid}`, ctx.config.gateway.url)})`);
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
