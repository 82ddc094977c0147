/**
 * Readiness: named checks (chain block age, model, IPFS, capability pass, settlement backlog, shutdown), each
 * run with a deadline; the node is ready when every one passes. `/ready` answers 200 or 503 with every failing
 * check's reason; `/health` (liveness) answers 200 while the process serves, with the same checks as detail.
 */
export interface CheckResult {
  ok: boolean;
  /** Why not, in words an operator acts on (absent when ok). */
  reason?: string;
  /** Figures behind the verdict (block age, backlog ...). */
  detail?: Record<string, unknown>;
}

/** The first line of an error's message (or of its string form). */
function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

export type ReadinessCheck = () => Promise<CheckResult> | CheckResult;

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
  /** `<check>: <reason>` for each failing check. */
  reasons: string[];
}

/** Runs every check at once, each failing with "no answer within Nms" past `timeoutMs`, or with its error. */
export async function runChecks(checks: Record<string, ReadinessCheck>, timeoutMs = 3000): Promise<Readiness> {
  const names = Object.keys(checks);
  const results = await Promise.all(
    names.map(async (name): Promise<CheckResult> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          Promise.resolve().then(() => checks[name]()),
          new Promise<CheckResult>((resolve) => {
            timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
          }),
        ]);
      } catch (err) {
        return { ok: false, reason: firstLine(err) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const out: Record<string, CheckResult> = {};
  names.forEach((n, i) => (out[n] = results[i]));
  const reasons = names.filter((n) => !out[n].ok).map((n) => `${n}: ${out[n].reason ?? "not ready"}`);
  return { ready: reasons.length === 0, checks: out, reasons };
}

/** The chain check: the latest block is younger than `maxAgeS` (a stalled chain or RPC is not ready). */
export function blockAgeCheck(
  latest: () => Promise<{ number: bigint; timestamp: bigint }>,
  maxAgeS: number,
  now: () => number = Date.now,
): ReadinessCheck {
  return async () => {
    const b = await latest();
    const ageS = Math.max(0, Math.round(now() / 1000 - Number(b.timestamp)));
    const detail = { block: b.number.toString(), ageS, maxAgeS };
    return ageS <= maxAgeS
      ? { ok: true, detail }
      : { ok: false, reason: `latest block ${b.number} is ${ageS} s old (limit ${maxAgeS} s)`, detail };
  };
}

/** The settlement check: at most `maxDepth` records waiting and none older than `maxAgeS`. */
export function backlogCheck(
  backlog: () => Promise<{ depth: number; oldestAgeS: number }>,
  limits: { maxDepth: number; maxAgeS: number },
): ReadinessCheck {
  return async () => {
    const b = await backlog();
    const detail = { ...b, ...limits };
    if (b.depth > limits.maxDepth)
      return { ok: false, reason: `${b.depth} records wait for settlement (limit ${limits.maxDepth})`, detail };
    if (b.oldestAgeS > limits.maxAgeS)
      return {
        ok: false,
        reason: `the oldest record has waited ${Math.round(b.oldestAgeS)} s for settlement (limit ${limits.maxAgeS} s)`,
        detail,
      };
    return { ok: true, detail };
  };
}

/**
 * A check run at most once per `everyMs` (a model probe or a contract read is not free); between runs, and
 * while one is under way, the last verdict stands (the first call waits for the first run).
 */
export function cachedCheck(check: ReadinessCheck, everyMs: number, now: () => number = Date.now): ReadinessCheck {
  let last: CheckResult | undefined;
  let at = -Infinity;
  let running: Promise<CheckResult> | undefined;
  const run = () =>
    (running ??= Promise.resolve()
      .then(check)
      .catch((err: unknown): CheckResult => ({ ok: false, reason: firstLine(err) }))
      .then((r) => {
        last = r;
        at = now();
        running = undefined;
        return r;
      }));
  return () => {
    if (now() - at < everyMs && last) return last;
    const p = run();
    return last ?? p;
  };
}
