/**
 * The node's observability wiring: the round observer (phase latency, exclusions, peer errors, a child logger
 * with the round id), the model's tokens per second, settlement gas and results, and the operator routes
 * GET /health (liveness, with every check as detail), GET /ready (200 or 503 with the reasons) and GET /metrics.
 */
import { Router } from "express";
import type { Hex } from "viem";
import { isChorusError } from "../core/index.js";
import { route } from "../http/index.js";
import { runChecks, type Logger, type NodeMetrics, type ReadinessCheck, type Readiness } from "../obs/index.js";
import type { RoundObserver } from "../round/coordinator.js";
import type { Mind } from "../round/ports.js";
import type { SettlementPort } from "../settlement/index.js";

/** One round's observer: metrics, and log lines on a child logger that carries the round id. */
export function roundObserver(metrics: NodeMetrics, log: Logger): RoundObserver & { log: Logger; roundId?: Hex } {
  const o: RoundObserver & { log: Logger; roundId?: Hex } = {
    log,
    started(roundId) {
      o.roundId = roundId;
      o.log = log.child({ roundId });
      o.log.debug("round started");
    },
    phase(_roundId, phase, seconds) {
      metrics.phase(phase, seconds);
    },
    excluded(_roundId, e) {
      metrics.excluded(e.member, e.phase, e.code);
      o.log.warn({ member: e.member, phase: e.phase, code: e.code }, `member excluded at ${e.phase}: ${e.reason}`);
    },
  };
  return o;
}

/** The outcome label of a round: ok, or its error code (INTERNAL for anything else). */
export function outcomeOf(err?: unknown): string {
  if (err === undefined) return "ok";
  return isChorusError(err) ? err.code : "INTERNAL";
}

/** The member's mind, timed: seconds generating and tokens per second of each answer (when the backend counts). */
export function meteredMind(mind: Mind, metrics: NodeMetrics): Mind {
  const timed = async <T>(
    fn: () => Promise<T>,
    usage: (v: T) => { promptTokens: number; completionTokens: number } | undefined,
  ): Promise<T> => {
    const t0 = performance.now();
    const v = await fn();
    metrics.generated(usage(v), (performance.now() - t0) / 1000);
    return v;
  };
  const out: Mind = {
    answer: (q, o) =>
      timed(
        () => mind.answer(q, o),
        () => undefined,
      ),
    compare: (i, o) => mind.compare(i, o),
  };
  const answerDetailed = mind.answerDetailed?.bind(mind);
  const screen = mind.screen?.bind(mind);
  if (answerDetailed)
    out.answerDetailed = (q, o) =>
      timed(
        () => answerDetailed(q, o),
        (d) => d.usage,
      );
  if (screen) out.screen = (i, o) => screen(i, o);
  return out;
}

/** The settlement port, counted: submissions by result, gas used and paid. */
export function meteredSettlement<R>(port: SettlementPort<R>, metrics: NodeMetrics): SettlementPort<R> {
  return {
    settledOnChain: (ids) => port.settledOnChain(ids),
    submitEpoch: async (records, state) => {
      try {
        const r = await port.submitEpoch(records, state);
        metrics.settled(r.deferred ? "deferred" : "ok", r);
        return r;
      } catch (err) {
        metrics.settled("error");
        throw err;
      }
    },
    ...(port.sequenced ? { sequenced: true } : {}),
  };
}

export interface OpsDeps {
  address: string;
  metrics: NodeMetrics;
  checks: () => Record<string, ReadinessCheck>;
  /** Extra liveness detail (load, settlement errors). */
  detail: () => Promise<Record<string, unknown>>;
  log: Logger;
}

/** GET /health, /ready and /metrics. */
export function opsRouter(deps: OpsDeps): Router & { readiness(): Promise<Readiness> } {
  const r = Router() as Router & { readiness(): Promise<Readiness> };
  let lastReady: boolean | undefined;
  const readiness = async () => {
    const out = await runChecks(deps.checks());
    for (const [name, c] of Object.entries(out.checks)) deps.metrics.ready.set({ check: name }, c.ok ? 1 : 0);
    if (out.ready !== lastReady) {
      if (out.ready) deps.log.info("ready");
      else deps.log.warn({ reasons: out.reasons }, "not ready");
      lastReady = out.ready;
    }
    return out;
  };
  r.readiness = readiness;
  r.get(
    "/health",
    route(async (_req, res) => {
      const [ready, detail] = await Promise.all([readiness(), deps.detail()]);
      res.json({
        ok: true,
        node: deps.address,
        ready: ready.ready,
        reasons: ready.reasons,
        checks: ready.checks,
        ...detail,
      });
    }),
  );
  r.get(
    "/ready",
    route(async (_req, res) => {
      const ready = await readiness();
      res
        .status(ready.ready ? 200 : 503)
        .json({ ready: ready.ready, node: deps.address, reasons: ready.reasons, checks: ready.checks });
    }),
  );
  r.get(
    "/metrics",
    route(async (_req, res) => {
      res.set("Content-Type", deps.metrics.contentType).send(await deps.metrics.text());
    }),
  );
  return r;
}
