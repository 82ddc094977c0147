/**
 * The node's Prometheus metrics (prom-client), served at GET /metrics. One registry per node (several nodes may
 * share a process in tests and benches), with the process defaults (RSS, heap, event-loop lag, fds) prefixed
 * `chorus_`. Names and labels are documented in docs/operations.md; labels are bounded sets (outcome and reason
 * are error codes, phase one of four, peer an address of the active set).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export type RoundPhase = "answer" | "reveal" | "judge" | "sign";

/** Seconds, for round phases (a phase waits up to its timeout: 10 s to minutes with a real model). */
const PHASE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface SettlementGauges {
  /** Records waiting to settle and the age in seconds of the oldest one (0 when none). */
  backlog(): Promise<{ depth: number; oldestAgeS: number }>;
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly rounds: Counter<"outcome">;
  readonly roundSeconds: Histogram<"outcome">;
  readonly phaseSeconds: Histogram<"phase">;
  readonly exclusions: Counter<"phase" | "reason">;
  readonly peerErrors: Counter<"peer" | "phase">;
  readonly roundsInFlight: Gauge<"state">;
  readonly settlementDepth: Gauge;
  readonly settlementAge: Gauge;
  readonly settlementTxs: Counter<"result">;
  readonly gasUsed: Counter;
  readonly gasCostWei: Counter;
  readonly modelTokens: Counter<"kind">;
  readonly modelSeconds: Counter;
  readonly modelTokensPerSecond: Histogram;
  readonly faults: Counter<"kind">;
  readonly ready: Gauge<"check">;

  constructor(
    opts: { settlement?: SettlementGauges; load?: () => { running: number; waiting: number }; defaults?: boolean } = {},
  ) {
    const registers = [this.registry];
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: "chorus_" });
    this.rounds = new Counter({
      name: "chorus_rounds_total",
      help: "Rounds this node coordinated, by outcome (ok or the error code)",
      labelNames: ["outcome"],
      registers,
    });
    this.roundSeconds = new Histogram({
      name: "chorus_round_seconds",
      help: "Whole-round latency as the client saw it, by outcome",
      labelNames: ["outcome"],
      buckets: PHASE_BUCKETS,
      registers,
    });
    this.phaseSeconds = new Histogram({
      name: "chorus_round_phase_seconds",
      help: "Latency of each round phase (answer, reveal, judge, sign)",
      labelNames: ["phase"],
      buckets: PHASE_BUCKETS,
      registers,
    });
    this.exclusions = new Counter({
      name: "chorus_exclusions_total",
      help: "Committee members excluded from rounds, by phase and reason (error code)",
      labelNames: ["phase", "reason"],
      registers,
    });
    this.peerErrors = new Counter({
      name: "chorus_peer_errors_total",
      help: "Failed calls to a committee member, by peer address and phase",
      labelNames: ["peer", "phase"],
      registers,
    });
    const load = opts.load;
    this.roundsInFlight = new Gauge({
      name: "chorus_rounds_in_flight",
      help: "Rounds running and queries waiting for a round slot",
      labelNames: ["state"],
      registers,
      collect() {
        if (!load) return;
        const l = load();
        this.set({ state: "running" }, l.running);
        this.set({ state: "waiting" }, l.waiting);
      },
    });
    const settlement = opts.settlement;
    // One read of the queue per scrape feeds both gauges.
    let backlog: Promise<{ depth: number; oldestAgeS: number }> | undefined;
    const read = () =>
      (backlog ??= (settlement?.backlog() ?? Promise.resolve({ depth: 0, oldestAgeS: 0 })).finally(() =>
        setTimeout(() => (backlog = undefined), 0),
      ));
    this.settlementDepth = new Gauge({
      name: "chorus_settlement_queue_depth",
      help: "Round records waiting to be settled on chain",
      registers,
      async collect() {
        this.set((await read()).depth);
      },
    });
    this.settlementAge = new Gauge({
      name: "chorus_settlement_oldest_age_seconds",
      help: "Age of the oldest record waiting to be settled (0 when none)",
      registers,
      async collect() {
        this.set((await read()).oldestAgeS);
      },
    });
    this.settlementTxs = new Counter({
      name: "chorus_settlement_submissions_total",
      help: "Epoch submissions, by result (ok, deferred, error)",
      labelNames: ["result"],
      registers,
    });
    this.gasUsed = new Counter({
      name: "chorus_settlement_gas_used_total",
      help: "Gas used by this node's settlement transactions",
      registers,
    });
    this.gasCostWei = new Counter({
      name: "chorus_settlement_gas_cost_wei_total",
      help: "Wei paid for gas by this node's settlement transactions",
      registers,
    });
    this.modelTokens = new Counter({
      name: "chorus_model_tokens_total",
      help: "Tokens the node's model read (prompt) and wrote (completion) answering rounds",
      labelNames: ["kind"],
      registers,
    });
    this.modelSeconds = new Counter({
      name: "chorus_model_generation_seconds_total",
      help: "Seconds the node's model spent answering rounds",
      registers,
    });
    this.modelTokensPerSecond = new Histogram({
      name: "chorus_model_tokens_per_second",
      help: "Completion tokens per second of each answer the model generated",
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      registers,
    });
    this.faults = new Counter({
      name: "chorus_process_faults_total",
      help: "Unhandled rejections and uncaught exceptions the node survived",
      labelNames: ["kind"],
      registers,
    });
    this.ready = new Gauge({
      name: "chorus_ready",
      help: "1 when the readiness check passes, by check (last /ready)",
      labelNames: ["check"],
      registers,
    });
  }

  /** A finished round (ok) or its error code, with its wall time. */
  round(outcome: string, seconds: number): void {
    this.rounds.inc({ outcome });
    this.roundSeconds.observe({ outcome }, seconds);
  }

  phase(phase: RoundPhase, seconds: number): void {
    this.phaseSeconds.observe({ phase }, seconds);
  }

  excluded(peer: string, phase: string, reason: string): void {
    this.exclusions.inc({ phase, reason });
    this.peerErrors.inc({ peer: peer.toLowerCase(), phase });
  }

  generated(usage: { promptTokens: number; completionTokens: number } | undefined, seconds: number): void {
    this.modelSeconds.inc(seconds);
    if (!usage) return;
    this.modelTokens.inc({ kind: "prompt" }, usage.promptTokens);
    this.modelTokens.inc({ kind: "completion" }, usage.completionTokens);
    if (seconds > 0 && usage.completionTokens > 0) this.modelTokensPerSecond.observe(usage.completionTokens / seconds);
  }

  settled(result: "ok" | "deferred" | "error", gas?: { gasUsed?: bigint; gasCostWei?: bigint }): void {
    this.settlementTxs.inc({ result });
    if (gas?.gasUsed) this.gasUsed.inc(Number(gas.gasUsed));
    if (gas?.gasCostWei) this.gasCostWei.inc(Number(gas.gasCostWei));
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
