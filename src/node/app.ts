/**
 * The node's HTTP service: peer protocol, OpenAI-compatible gateway, IPFS trustless gateway, explorer, and the
 * operator routes (/health, /ready, /metrics), on one express app. Every request gets a request id and a log
 * line (pino-http); every body is size-limited and validated; every error is a JSON answer with a status and a
 * message, and the server keeps serving.
 */
import express, { type Express, type Router } from "express";
import type { Member } from "../round/member.js";
import { errorHandler, route } from "../http/index.js";
import { httpLogger, type Logger } from "../obs/index.js";
import { peerRoute } from "./peer-route.js";
import { gatewayRouter, type GatewayDeps } from "./gateway.js";
import { PEER_PATH } from "../round/coordinator.js";

export interface NodeAppDeps {
  address: string;
  member: Member;
  gateway: GatewayDeps;
  /** Extra routers mounted at / (IPFS gateway, explorer). */
  routers?: Router[];
  /** The request log (one line per request, `req.log` with its id); none: no request lines. */
  logger?: Logger;
  /** /health, /ready and /metrics (service.ts); without it, a plain /health with `health()`'s detail. */
  ops?: Router;
  health?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
}

export function createNodeApp(deps: NodeAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  if (deps.logger) app.use(httpLogger(deps.logger));
  // Peer messages: head checked, per-kind size held while streaming, before any parsing (peer-route.ts).
  app.post(PEER_PATH, peerRoute(deps.member));
  if (deps.ops) app.use(deps.ops);
  app.use(gatewayRouter(deps.gateway));
  for (const r of deps.routers ?? []) app.use(r);
  if (!deps.ops) {
    app.get(
      "/health",
      route(async (_req, res) => {
        res.json({ ok: true, node: deps.address, ...(await deps.health?.()) });
      }),
    );
  }
  app.use((_req, res) => {
    res.status(404).json({ error: { message: "no such route", type: "invalid_request_error", code: "NOT_FOUND" } });
  });
  app.use(errorHandler);
  return app;
}
