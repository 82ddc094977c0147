/**
 * `chorus ask "question"` and `chorus round show <id>`: a client of a node's gateway.
 *
 * `ask` fails over: with `--fallback-gateway url2,url3` it tries those gateways in turn when one cannot run the
 * round (unreachable, closed the connection mid-round because its node stopped, timed out, or answered 5xx),
 * saying so on stderr. A 4xx answer (the question itself is refused) is final. A retry is a new round on the
 * other node: the first one either never completed (its coordinator stopped) or its answer was lost.
 */
import { z } from "zod";
import { ChorusError, isChorusError } from "../../core/index.js";
import { ANY_ADDRESS, netReasonOf, netRequest, NET_REASONS } from "../../net/index.js";
import type { CliContext } from "../context.js";
import { parseFlags, switchFlag, wholeFlag } from "../parse.js";

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
    if (!ok)
      throw new ChorusError(
        "INPUT_INVALID",
        `--fallback-gateway: '${u}' is not an http(s) URL (give comma-separated URLs)`,
      );
  }
  return urls;
}

/** Largest gateway reply read (the artifact limit); a longer one is cut off while it streams. */
export const MAX_GATEWAY_REPLY_BYTES = 4 * 1024 * 1024;

/**
 * One request to a gateway, through src/net: never follows a redirect, reads at most
 * {@link MAX_GATEWAY_REPLY_BYTES} while the reply streams (a gateway that streams gigabytes costs the
 * client nothing beyond the cap). Any address is allowed: the user chose this URL.
 */
async function call(
  ctx: CliContext,
  path: string,
  init?: { method: "GET" | "POST"; headers?: Record<string, string>; body?: string },
  base = ctx.config.gateway.url,
): Promise<unknown> {
  const url = new URL(path, base);
  let res;
  try {
    res = await netRequest(url, {
      ...init,
      timeoutMs: ctx.config.gateway.timeoutMs,
      maxBytes: MAX_GATEWAY_REPLY_BYTES,
      policy: ANY_ADDRESS,
    });
  } catch (err) {
    const reason = netReasonOf(err);
    if (reason === NET_REASONS.timeout)
      throw new ChorusError(
        "GATEWAY_TIMEOUT",
        `no answer from ${url.origin} within ${ctx.config.gateway.timeoutMs} ms`,
      );
    if (reason === NET_REASONS.tooLarge)
      throw new ChorusError(
        "GATEWAY_TOO_LARGE",
        `gateway ${url.origin} sent a reply over ${MAX_GATEWAY_REPLY_BYTES} bytes: refused`,
        { gateway: url.origin, maxBytes: MAX_GATEWAY_REPLY_BYTES },
      );
    if (reason === NET_REASONS.redirect)
      throw new ChorusError("GATEWAY_REDIRECT", `gateway ${url.origin} answered with a redirect: not followed`, {
        gateway: url.origin,
      });
    if (reason === null) throw err;
    const cause = err instanceof Error ? (err.cause as (Error & { code?: string }) | undefined) : undefined;
    if (
      cause?.code === "ECONNRESET" ||
      /other side closed|socket hang up|aborted/i.test(cause?.message ?? "") ||
      (!cause && reason === NET_REASONS.unreachable)
    ) {
      throw new ChorusError(
        "GATEWAY_DROPPED",
        `gateway ${url.origin} closed the connection before answering (its node stopped mid-round?)`,
        { gateway: url.origin },
      );
    }
    throw new ChorusError(
      "GATEWAY_UNREACHABLE",
      `gateway ${url.origin} is unreachable (${cause?.message ?? reason}); is a node running (\`npm start\`)?`,
      { gateway: url.origin },
    );
  }
  const text = res.body.toString("utf8");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ChorusError("GATEWAY_ERROR", `gateway answered HTTP ${res.status} with a body that is not JSON`, {
      status: res.status,
    });
  }
  if (res.status < 200 || res.status >= 300)
    throw new ChorusError(
      "GATEWAY_ERROR",
      `gateway answered ${res.status}: ${(ErrorReply.safeParse(body).data?.error.message ?? text).slice(0, 200)}`,
      { status: res.status },
    );
  return body;
}

const AskInput = z
  .object({
    question: z.string().refine((q) => q.trim().length > 0, "is empty"),
    rag: switchFlag,
    maxTokens: wholeFlag(1, 4096).optional(),
    json: switchFlag,
    fallbackGateway: z.string().optional(),
  })
  .strict();

/** An error reply of the gateway (OpenAI's shape). */
const ErrorReply = z.object({ error: z.object({ message: z.string() }) });

const Usage = z.object({ prompt_tokens: z.number(), completion_tokens: z.number() });

/** What `ask` prints of a chat completion; the rest of the reply is kept for --json. */
const Completion = z.looseObject({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
  usage: Usage.optional(),
  chorus: z.looseObject({
    round_id: z.string(),
    transcript_cid: z.string(),
    winner: z.string(),
    answered: z.number(),
    committee_size: z.number(),
    signatures: z.number(),
    settlement: z.string(),
    usage: Usage.extend({ reported_by: z.number() }).optional(),
    rag: z
      .object({
        sources: z.array(z.string()),
        winner_contexts: z.array(z.object({ source: z.string(), id: z.string() })),
        members: z.array(
          z.object({
            member: z.string(),
            retrieval: z.string(),
            reason: z.string().optional(),
            contexts: z.array(z.unknown()),
          }),
        ),
      })
      .optional(),
  }),
});
type Rag = NonNullable<z.infer<typeof Completion>["chorus"]["rag"]>;

export async function askCommand(
  ctx: CliContext,
  question: string,
  raw: Record<string, unknown>,
  apiKey?: string,
): Promise<void> {
  const opts = parseFlags(AskInput, { ...raw, question }, ["question"]);
  const gateways = [ctx.config.gateway.url, ...parseGateways(opts.fallbackGateway)];
  const init = {
    method: "POST" as const,
    headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({
      model: "chorus-swarm",
      messages: [{ role: "user", content: question }],
      max_tokens: opts.maxTokens,
      chorus: { rag: !!opts.rag },
    }),
  };
  let reply: unknown;
  let answeredBy = gateways[0];
  const failures: string[] = [];
  for (const [i, gateway] of gateways.entries()) {
    try {
      reply = await call(ctx, "/v1/chat/completions", init, gateway);
      answeredBy = gateway;
      break;
    } catch (err) {
      if (!canFailOver(err) || !(err instanceof Error)) throw err;
      failures.push(err.message);
      if (i === gateways.length - 1) {
        if (gateways.length === 1) throw err;
        throw new ChorusError("GATEWAY_ALL_FAILED", `every gateway failed: ${failures.join("; ")}`, { gateways });
      }
      ctx.io.err(`chorus: ${err.message}; trying ${gateways[i + 1]}`);
    }
  }
  const parsed = Completion.safeParse(reply);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ChorusError(
      "GATEWAY_ERROR",
      `gateway ${answeredBy} answered with a reply that is not a Chorus completion (${issue.path.join(".")}: ${issue.message})`,
    );
  }
  const body = parsed.data;
  if (opts.json) {
    ctx.json(body);
    return;
  }
  const c = body.chorus;
  ctx.io.out(body.choices[0].message.content);
  ctx.io.out("");
  ctx.io.out(`round       ${c.round_id}`);
  ctx.io.out(`gateway     ${answeredBy}`);
  ctx.io.out(`transcript  ${c.transcript_cid}  (${new URL(`/ipfs/${c.transcript_cid}`, answeredBy).href})`);
  ctx.io.out(
    `winner      ${c.winner}  (${c.answered}/${c.committee_size} answered, ${c.signatures} signed; settlement ${c.settlement})`,
  );
  if (c.usage && body.usage)
    ctx.io.out(
      `usage       winner ${body.usage.prompt_tokens}+${body.usage.completion_tokens} tokens; committee ${c.usage.prompt_tokens}+${c.usage.completion_tokens} (${c.usage.reported_by} reported)`,
    );
  if (c.rag) printRag(ctx, c.rag);
}

/** Which sources and contexts a RAG round used: the winner's, then each member's retrieval. */
function printRag(ctx: CliContext, rag: Rag) {
  ctx.io.out(`sources     ${rag.sources.length ? rag.sources.join(", ") : "none (answered from the models alone)"}`);
  for (const x of rag.winner_contexts) ctx.io.out(`  winner used ${x.id}  from ${x.source}`);
  for (const m of rag.members)
    ctx.io.out(
      `  member ${m.member}: ${m.retrieval}, ${m.contexts.length} context(s)${m.reason ? ` (${m.reason})` : ""}`,
    );
}

/** The round as the gateway that coordinated it reports it (GET /chorus/v1/rounds/:id). */
export async function gatewayRound(ctx: CliContext, id: string) {
  return call(ctx, `/chorus/v1/rounds/${id}`);
}
