/** Observability of a node: structured logs (pino), Prometheus metrics (prom-client), readiness checks. */
export {
  createLogger,
  silentLogger,
  lineLog,
  httpLogger,
  installProcessGuards,
  requestIdOf,
  MemoryLogStream,
  LOG_LEVELS,
  type Logger,
  type LogLevel,
  type LoggerOptions,
} from "./log.js";
export { NodeMetrics, type RoundPhase, type SettlementGauges } from "./metrics.js";
export {
  runChecks,
  blockAgeCheck,
  backlogCheck,
  cachedCheck,
  type CheckResult,
  type ReadinessCheck,
  type Readiness,
} from "./health.js";
