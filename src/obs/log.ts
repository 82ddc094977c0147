/**
 * The node's one logger (pino): JSON lines on stderr by default, human-readable through pino-pretty when asked
 * for (`chorus node start --pretty` on a terminal). Every HTTP request gets a request id (pino-http, see
 * {@link httpLogger}); every round a child logger with its round id. Adapters that take a `log(line)` callback
 * (the submitter, the coordinator, the sequencer) get one from {@link lineLog}, so their lines land in the same
 * stream with a level and a component.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Writable } from "node:stream";
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from "pino";
import { pinoHttp, type HttpLogger } from "pino-http";
import pinoPretty from "pino-pretty";

export type { Logger };
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable lines (pino-pretty) instead of JSON; only where a person reads them. */
  pretty?: boolean;
  /** Where lines go (default stderr). */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Fields on every line (e.g. the node's address). */
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level: LevelWithSilent = opts.level ?? "info";
  const base = { pid: process.pid, ...(opts.base ?? {}) };
  const serializers = { err: pino.stdSerializers.errWithCause };
  if (opts.pretty) {
    // pino-pretty in the same thread (no worker): synchronous, so nothing is lost when the process ends.
    return pino(
      { level, base, serializers },
      pinoPretty({
        destination: (opts.destination as NodeJS.WritableStream | undefined) ?? 2,
        colorize: true,
        sync: true,
        translateTime: "SYS:HH:MM:ss.l",
      }),
    );
  }
  return pino(
    { level, base, serializers, timestamp: pino.stdTimeFunctions.isoTime },
    opts.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything (programmatic nodes in tests that pass none). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** A `log(line)` callback for an adapter: its lines at `level`, tagged with `component`. */
export function lineLog(
  logger: Logger,
  component: string,
  level: "info" | "warn" | "debug" = "info",
): (line: string) => void {
  const child = logger.child({ component });
  return (line) => child[level](line);
}

/**
 * A stream that collects JSON log lines in memory (tests read them back).
 */
export class MemoryLogStream extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    for (const l of chunk.toString("utf8").split("\n"))
      if (l.trim()) this.lines.push(JSON.parse(l) as Record<string, unknown>);
    cb();
  }
}

/** A request id: the client's `X-Request-Id` when it looks like one (16-64 of [A-Za-z0-9_-]), else 16 random hex digits. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  if (typeof given === "string" && /^[A-Za-z0-9_-]{16,64}$/.test(given)) return given;
  return randomBytes(8).toString("hex");
}

/**
 * pino-http: one line per request with its id, method, path, status and time (level by status: 5xx error,
 * 503 and 4xx warn, else info; probes of /health, /ready and /metrics at debug), `req.log` a child logger with the id,
 * and the id echoed in `X-Request-Id`.
 */
export function httpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestIdOf(req);
      res.setHeader("X-Request-Id", id);
      return id;
    },
    customLogLevel: (req, res, err) => {
      if (res.statusCode === 503) return "warn";
      if (err || res.statusCode >= 500) return "error";
      if (res.statusCode >= 400) return "warn";
      return /^\/(health|ready|metrics)\b/.test(req.url ?? "") ? "debug" : "info";
    },
    serializers: {
      // Node types a request's url as possibly undefined
      req: (r: { id: unknown; method: string; url?: string }) => ({
        id: r.id,
        method: r.method,
        url: r.url?.split("?")[0],
      }),
      res: (r: { statusCode: number }) => ({ statusCode: r.statusCode }),
    },
    quietReqLogger: true,
  });
}

/**
 * Process-level guards: an unhandled rejection or an uncaught exception is logged with its cause and the node
 * goes on serving (a promise nobody waited for must not end a node that other rounds depend on). Returns the
 * uninstaller. `onFault` sees each one (counted in the metrics).
 */
export function installProcessGuards(
  logger: Logger,
  onFault?: (kind: "unhandledRejection" | "uncaughtException") => void,
): () => void {
  const rejection = (reason: unknown) => {
    onFault?.("unhandledRejection");
    logger.error(
      { err: reason instanceof Error ? reason : new Error(String(reason)), kind: "unhandledRejection" },
      "unhandled promise rejection (the node keeps serving)",
    );
  };
  const exception = (err: Error) => {
    onFault?.("uncaughtException");
    logger.error({ err, kind: "uncaughtException" }, "uncaught exception (the node keeps serving)");
  };
  process.on("unhandledRejection", rejection);
  process.on("uncaughtException", exception);
  return () => {
    process.off("unhandledRejection", rejection);
    process.off("uncaughtException", exception);
  };
}
