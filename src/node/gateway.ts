/**
 * The OpenAI-compatible gateway: POST /v1/chat/completions (plain or `stream: true`), GET /v1/models and
 * /v1/models/{id}, so existing OpenAI clients and agent frameworks work unchanged. Requests are read as clients
 * send them (src/node/openai/request.ts), parameters the swarm cannot honour are refused with a 400 naming them,
 * and the reply carries the winning answer, the winner's token counts and a `chorus` object that leads to the
 * proof (src/node/openai/response.ts). API keys and per-client rate limits guard the door (openai/access.ts).
 * Errors have OpenAI's shape: { error: { message, type, param, code } }; every 5xx is logged with its cause.
 */
import { Router, type ErrorRequestHandler, type Response } from "express";
import { ChorusError } from "../core/index.js";
import type { RoundOutcome } from "../round/coordinator.js";
import { jsonBody, logServerError, route, statusOf } from "../http/index.js";
import type { Logger } from "../obs/index.js";
import { accessControl, type AccessOptions } from "./openai/access.js";
import { ChatRequest, MODEL_ID, toSwarmQuery, type SwarmQuery } from "./openai/request.js";
import { completionOf } from "./openai/response.js";
import { CompletionStream } from "./openai/stream.js";
import { AGENT_CARD_PATH, agentCard, MCP_PATH, mcpRouter } from "../mcp/index.js";

export { MODEL_ID };
/** Seconds a client is asked to wait (Retry-After) when the node refuses a round with 503. */
export const RETRY_AFTER_S = 1;

export interface GatewayDeps {
  /** Runs a round; `log` is the request's logger (pino-http's `req.log`, with the request id) when there is one. */
  ask(input: SwarmQuery, opts: { signal: AbortSignal; log?: Logger }): Promise<RoundOutcome>;
  settlementStatus(roundId: string): Promise<string>;
  bodyLimit?: string;
  /** API keys and per-client limits (default: open, no per-client limit). */
  access?: AccessOptions;
}

const MODEL = { id: MODEL_ID, object: "model", created: 0, owned_by: "chorus" };

/** OpenAI's `param` for a zod issue path: messages.0.content -> messages[0].content. */
const paramOf = (path: PropertyKey[]) =>
  path.reduce<string>((s, p) => (typeof p === "number" ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), "");

function parseChat(body: unknown): ChatRequest {
  const r = ChatRequest.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const param = issue.path.length ? paramOf(issue.path) : null;
  throw new ChorusError("INPUT_INVALID", `${param ?? "body"}: ${issue.message}`, {
    param,
    issues: r.error.issues.map((i) => ({ path: paramOf(i.path), message: i.message })),
  });
}

/** The OpenAI error body of a ChorusError below 500 (5xx go to the node's error handler, which logs them). */
export function openAIError(e: ChorusError) {
  const d = e.details as { param?: string | null; openaiCode?: string; openaiType?: string };
  const status = statusOf(e);
  const type =
    d.openaiType ??
    (status === 401
      ? "invalid_request_error"
      : status === 429
        ? "requests"
        : status >= 500
          ? "server_error"
          : "invalid_request_error");
  return { message: e.message, type, param: d.param ?? null, code: d.openaiCode ?? e.code };
}

const openAIErrors: ErrorRequestHandler = (err, _req, res, next) => {
  if (!(err instanceof ChorusError) || statusOf(err) >= 500 || res.headersSent) {
    next(err);
    return;
  }
  res.status(statusOf(err)).json({ error: openAIError(err) });
};

export function gatewayRouter(deps: GatewayDeps): Router & { open: boolean } {
  const r = Router() as Router & { open: boolean };
  const access = accessControl(deps.access);
  r.open = access.open;
  r.get("/v1/models", access.handler, (_req, res) => {
    res.json({ object: "list", data: [MODEL] });
  });
  r.get("/v1/models/:id", access.handler, (req, res, next) => {
    const id = String(req.params.id);
    if (id !== MODEL_ID) {
      next(
        new ChorusError("MODEL_NOT_FOUND", `The model '${id}' does not exist`, {
          param: "model",
          openaiCode: "model_not_found",
        }),
      );
      return;
    }
    res.json(MODEL);
  });
  // Set when a round is refused as OVERLOADED, cleared when any round ends. In between the node is full (a
  // round only leaves its slot or queue by ending), so further queries are refused before their body is read
  // or validated: under overload a refusal costs as little as possible and rounds keep the event loop.
  let full: ChorusError | undefined;
  const refuse = (err: unknown, res: Response) => {
    full = err instanceof ChorusError && err.code === "OVERLOADED" ? err : undefined;
    // overloaded or no quorum: a temporary refusal, so tell well-behaved clients when to come back
    if (err instanceof ChorusError && statusOf(err) === 503 && !res.headersSent)
      res.set("Retry-After", String(RETRY_AFTER_S));
    throw err;
  };
  r.post(
    "/v1/chat/completions",
    access.handler,
    (_req, res, next) => {
      if (!full) {
        next();
        return;
      }
      res.set("Retry-After", String(RETRY_AFTER_S));
      next(new ChorusError("OVERLOADED", full.message));
    },
    jsonBody(deps.bodyLimit ?? "256kb"),
    route(async (req, res) => {
      const body = parseChat(req.body);
      const query = toSwarmQuery(body);
      const controller = new AbortController();
      const log = (req as { log?: Logger }).log;
      res.on("close", () => {
        if (!res.writableFinished) controller.abort();
      });
      if (!body.stream) {
        const out = await deps.ask(query, { signal: controller.signal, log }).then(
          (o) => ((full = undefined), o),
          (err: unknown) => refuse(err, res),
        );
        res.json(completionOf(out, await deps.settlementStatus(out.roundId)));
        return;
      }
      const stream = new CompletionStream(res);
      try {
        const out = await deps.ask(query, { signal: controller.signal, log }).then(
          (o) => ((full = undefined), o),
          (err: unknown) => refuse(err, res),
        );
        stream.finish(out, await deps.settlementStatus(out.roundId), body.stream_options?.include_usage === true);
      } catch (err) {
        stream.stop();
        if (controller.signal.aborted) return; // the client left; the round was aborted
        const e = err instanceof ChorusError ? err : new ChorusError("INTERNAL", "internal error", {}, { cause: err });
        const status = statusOf(e);
        if (status >= 500) {
          const cause = e.cause instanceof Error ? ` (cause: ${e.cause.message.split("\n")[0]})` : "";
          logServerError(
            req,
            `[chorus] stream ${stream.id} ${req.method} ${req.path} failed with ${status} ${e.code}: ${e.message}${cause}`,
            { status, code: e.code, cause: e.cause },
          );
          stream.fail({
            message: status === 503 ? "temporarily unavailable; retry later" : "internal error",
            type: "server_error",
            code: e.code,
          });
        } else stream.fail(openAIError(e));
      }
    }),
  );
  // Agents: the A2A card and MCP over streamable HTTP (its tools call this gateway with the caller's key).
  r.get(AGENT_CARD_PATH, (req, res) => {
    res.json(agentCard(`${req.protocol}://${req.get("host") ?? "127.0.0.1"}`, { keysRequired: !access.open }));
  });
  r.use(MCP_PATH, access.handler);
  r.use(mcpRouter({ bodyLimit: deps.bodyLimit }));
  r.use(openAIErrors);
  return r;
}
