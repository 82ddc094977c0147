/**
 * Express plumbing shared by every route: JSON bodies with a size limit, zod validation that answers 400 with
 * the failing field, and one error handler that maps ChorusError codes to HTTP statuses. A malformed request
 * never reaches the round logic, and the server keeps serving.
 */
import { randomBytes } from "node:crypto";
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import type { z } from "zod";
import { ChorusError, httpStatusOf } from "../core/index.js";

/** HTTP status of `err`: the one status table, src/core/errors.ts `ERROR_STATUS`. */
export function statusOf(err: ChorusError): number {
  return httpStatusOf(err.code);
}

/** JSON bodies up to `limit`; with `keepRaw`, the exact bytes are kept as `req.rawBody` (for signatures over them). */
export function jsonBody(limit: string, opts: { keepRaw?: boolean } = {}): RequestHandler {
  return express.json({
    limit,
    strict: true,
    type: () => true,
    verify: opts.keepRaw ? (req, _res, buf) => void ((req as { rawBody?: Buffer }).rawBody = buf) : undefined,
  });
}

/** Parses req.body with `schema`; a failure becomes ChorusError INPUT_INVALID naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "body";
    throw new ChorusError("INPUT_INVALID", `${where}: ${issue.message}`, {
      issues: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return r.data;
}

/** Wraps an async handler so its errors reach the error handler. */
export function route(fn: (req: express.Request, res: express.Response) => Promise<void> | void): RequestHandler {
  return (req, res, next) => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch(next);
  };
}

/**
 * What a client is told for a 5xx: a fixed text per code (a server error's own message may hold a secret, an
 * RPC URL, or a peer's words), never its details. The full error goes to the node's log with the request id
 * the client also gets (`request_id` in the body, `X-Request-Id` header).
 */
const PUBLIC_5XX: Record<string, string> = {
  OVERLOADED: "node is at capacity; retry later",
  SHUTTING_DOWN: "node is shutting down; retry on another node",
  ROUND_NO_QUORUM: "the round did not reach a quorum of committee members; retry later",
  ROUND_UNAVAILABLE: "no committee can be formed now; retry later",
};

const stderrLine = (line: string) => void process.stderr.write(`${line}\n`);
/**
 * Where 5xx causes are logged: the request's own logger when the app has one (pino-http's `req.log`, a JSON line
 * with the request id and the cause), else stderr. Tests may replace `write` to watch the lines.
 */
export const serverErrorLog: { write(line: string): void } = { write: stderrLine };

interface RequestLog {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  isLevelEnabled?(level: string): boolean;
}

/** The request id pino-http gave this request (when it is one of ours: 16-64 of [A-Za-z0-9_-]), else a new one. */
function requestIdOf(req: express.Request): string {
  const id = (req as { id?: unknown }).id;
  return typeof id === "string" && /^[A-Za-z0-9_-]{16,64}$/.test(id) ? id : randomBytes(8).toString("hex");
}

/** Logs a 5xx with its cause: error; 503 (overload, shutdown) warn; info when the client had already gone (nobody to tell). */
export function logServerError(
  req: express.Request,
  line: string,
  fields: { status: number; code: string; cause?: unknown },
): void {
  const log = (req as { log?: RequestLog }).log;
  // no request logger, a silent one (a programmatic node given none), or a test watching: the plain line
  if (!log || serverErrorLog.write !== stderrLine || log.isLevelEnabled?.("error") === false) {
    serverErrorLog.write(line);
    return;
  }
  // Node types the socket as always there; this runs late in a failed request, so a missing one is tolerated
  const socket = req.socket as typeof req.socket | null | undefined;
  const gone = fields.code === "ABORTED" || req.destroyed || (socket?.destroyed ?? false);
  const err = fields.cause instanceof Error ? fields.cause : undefined;
  if (gone) log.info({ status: fields.status, code: fields.code, err }, `${line} (the client had gone)`);
  else if (fields.status === 503) log.warn({ status: fields.status, code: fields.code, err }, line);
  else log.error({ status: fields.status, code: fields.code, err }, line);
}

/** OpenAI-style error body: { error: { message, type, code } }, with Chorus details when present (4xx only). */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- express knows an error handler by its four parameters
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  // body-parser's errors carry type, limit and status (and a message); anything else is an internal error
  const b = (err ?? {}) as { type?: unknown; limit?: unknown; message?: unknown; status?: unknown };
  let e: ChorusError;
  if (err instanceof ChorusError) e = err;
  else if (b.type === "entity.too.large")
    e = new ChorusError("HTTP_TOO_LARGE", `request body exceeds the limit of ${String(b.limit)} bytes`);
  else if (b.type === "entity.parse.failed" || err instanceof SyntaxError)
    e = new ChorusError("HTTP_BAD_BODY", `body is not valid JSON: ${String(b.message)}`);
  else if (b.type === "encoding.unsupported" || b.type === "charset.unsupported")
    e = new ChorusError("HTTP_BAD_BODY", String(b.message));
  else if (typeof b.status === "number" && b.status >= 400 && b.status < 500)
    e = new ChorusError("HTTP_BAD_BODY", String(b.message));
  else e = new ChorusError("INTERNAL", "internal error", {}, { cause: err });
  const status = statusOf(e);
  if (status >= 500) {
    const requestId = requestIdOf(req);
    const cause = e.cause instanceof Error ? ` (cause: ${e.cause.message.split("\n")[0]})` : "";
    logServerError(
      req,
      `[chorus] request ${requestId} ${req.method} ${req.path} failed with ${status} ${e.code}: ${e.message}${cause}`,
      { status, code: e.code, cause: e.cause },
    );
    if (res.headersSent) return;
    res.set("X-Request-Id", requestId);
    res.status(status).json({
      error: {
        message: `${PUBLIC_5XX[e.code] ?? (status === 503 ? "temporarily unavailable; retry later" : "internal error")} (request id ${requestId})`,
        type: "server_error",
        code: e.code,
        request_id: requestId,
      },
    });
    return;
  }
  if (res.headersSent) return;
  res.status(status).json({
    error: { message: e.message, type: "invalid_request_error", code: e.code, details: e.toJSON().details },
  });
};
