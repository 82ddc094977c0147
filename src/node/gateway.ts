/**
 * The OpenAI-compatible gateway: POST /v1/chat/completions and GET /v1/models, so existing OpenAI clients
 * work unchanged. The reply carries the winning answer plus a `chorus` object that leads to the proof:
 * round id, transcript CID, winner node, scores, committee size and settlement status.
 */
import { Router } from "express";
import { z } from "zod";
import { ChorusError } from "../core/index.js";
import type { RoundOutcome } from "../round/coordinator.js";
import { jsonBody, parseBody, route, statusOf } from "../http/index.js";

export const MODEL_ID = "chorus-swarm";
/** Seconds a client is asked to wait (Retry-After) when the node refuses a round with 503. */
export const RETRY_AFTER_S = 1;

const Message = z
  .object({
    role: z.enum(["system", "user", "assistant"], { error: "must be system, user or assistant" }),
    content: z.string({ error: "must be a string" }).max(32_000, "is longer than 32000 characters"),
    name: z.string().max(64).optional(),
  })
  .strip();

export const ChatRequest = z
  .object({
    model: z.string().min(1).max(128).optional(),
    messages: z.array(Message).min(1, "must hold at least one message").max(64),
    max_tokens: z.number().int().min(1).max(4096).optional(),
    max_completion_tokens: z.number().int().min(1).max(4096).optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    n: z.literal(1, { error: "only n = 1 is supported: the swarm returns one consensus answer" }).optional(),
    stream: z.literal(false, { error: "streaming is not supported: a consensus answer exists only once the round ends" }).optional(),
    user: z.string().max(256).optional(),
    chorus: z.object({ rag: z.boolean().optional() }).strict().optional(),
  })
  .strip()
  .refine((r) => r.messages.some((m) => m.role === "user"), { message: "must include a user message", path: ["messages"] });
export type ChatRequest = z.infer<typeof ChatRequest>;

export interface GatewayDeps {
  ask(input: { messages: { role: "system" | "user" | "assistant"; content: string }[]; maxTokens: number; rag: boolean }, opts: { signal: AbortSignal }): Promise<RoundOutcome>;
  settlementStatus(roundId: string): Promise<string>;
  bodyLimit?: string;
}

export function gatewayRouter(deps: GatewayDeps): Router {
  const r = Router();
  r.get("/v1/models", (_req, res) => {
    res.json({ object: "list", data: [{ id: MODEL_ID, object: "model", created: 0, owned_by: "chorus" }] });
  });
  // Set when a round is refused as OVERLOADED, cleared when any round ends. In between the node is full (a
  // round only leaves its slot or queue by ending), so further queries are refused before their body is read
  // or validated: under overload a refusal costs as little as possible and rounds keep the event loop.
  let full: ChorusError | undefined;
  r.post(
    "/v1/chat/completions",
    (_req, res, next) => {
      if (!full) return next();
      res.set("Retry-After", String(RETRY_AFTER_S));
      next(new ChorusError("OVERLOADED", full.message));
    },
    jsonBody(deps.bodyLimit ?? "256kb"),
    route(async (req, res) => {
      const body = parseBody(ChatRequest, req.body);
      if (body.model && body.model !== MODEL_ID) {
        throw new ChorusError("INPUT_INVALID", `model: unknown model '${body.model}' (this gateway serves '${MODEL_ID}')`);
      }
      const controller = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) controller.abort();
      });
      const out = await deps
        .ask(
          {
            messages: body.messages.map((m) => ({ role: m.role, content: m.content })),
            maxTokens: body.max_completion_tokens ?? body.max_tokens ?? 256,
            rag: body.chorus?.rag ?? false,
          },
          { signal: controller.signal },
        )
        .then(
          (out) => ((full = undefined), out),
          (err: unknown) => {
            full = err instanceof ChorusError && err.code === "OVERLOADED" ? err : undefined;
            // overloaded or no quorum: a temporary refusal, so tell well-behaved clients when to come back
            if (err instanceof ChorusError && statusOf(err) === 503) res.set("Retry-After", String(RETRY_AFTER_S));
            throw err;
          },
        );
      const promptChars = body.messages.reduce((s, m) => s + m.content.length, 0);
      res.json({
        id: `chatcmpl-${out.roundId.slice(2, 26)}`,
        object: "chat.completion",
        created: Math.floor(out.transcript.query.createdAt / 1000),
        model: MODEL_ID,
        choices: [{ index: 0, message: { role: "assistant", content: out.winnerAnswer }, finish_reason: "stop", logprobs: null }],
        usage: { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil(out.winnerAnswer.length / 4), total_tokens: Math.ceil((promptChars + out.winnerAnswer.length) / 4) },
        chorus: {
          round_id: out.roundId,
          query_cid: out.queryCid,
          transcript_cid: out.transcriptCid,
          winner: out.result.winner,
          scores: out.result.scores,
          ranking: out.result.ranking,
          committee_size: out.transcript.committee.members.length,
          answered: out.transcript.reveals.length,
          // sign-phase exclusions (a wrong record signature) are not in the transcript: the record commits to its CID
          excluded: [...out.transcript.excluded, ...(out.signExcluded ?? [])].map((e) => ({ member: e.member, phase: e.phase, reason: e.reason })),
          signatures: Object.keys(out.signatures).length,
          settlement: await deps.settlementStatus(out.roundId),
        },
      });
    }),
  );
  return r;
}
