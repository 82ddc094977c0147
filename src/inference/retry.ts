/**
 * When to try an HTTP backend again: 429 and 5xx replies are retried with exponential backoff (full jitter in the
 * upper half), or after the wait the server asks for (`Retry-After` in seconds or as an HTTP date, or OpenAI's
 * `retry-after-ms`), but never past the request's deadline: a wait that would end after it is not started, and
 * the last reply's error is reported with the attempts made. Pure logic; the backend does the waiting.
 */

export interface RetryPolicy {
  /** Most requests in all (the first one included). Default 6. */
  maxAttempts?: number;
  /** First backoff in ms (doubled per attempt). Default 250. */
  baseDelayMs?: number;
  /** Longest backoff in ms when the server gives no Retry-After. Default 8000. */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryPolicy> = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 8000 };

/** 429 (rate limit) and every 5xx are worth another try; other statuses are the request's fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * The wait a reply asks for, in ms, from `retry-after-ms` or `Retry-After` (delta-seconds or an HTTP date);
 * undefined when absent or unreadable. Negative waits count as 0.
 */
export function retryAfterMs(headers: { get(name: string): string | null }, now = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.max(0, Math.ceil(Number(ms)));
  const v = headers.get("retry-after");
  if (v === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.max(0, Math.ceil(Number(v) * 1000));
  const date = Date.parse(v);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Backoff before attempt `attempt + 1` (attempt counts from 1): base * 2^(attempt-1), capped, jittered in [50%, 100%]. */
export function backoffMs(attempt: number, policy: Required<RetryPolicy>, random = Math.random): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full * (0.5 + 0.5 * random()));
}

/** The next wait, or why there is none: attempts used up, or the wait would end past the deadline. */
export function nextWait(
  attempt: number,
  policy: Required<RetryPolicy>,
  retryAfter: number | undefined,
  deadline: number | undefined,
  now = Date.now(),
  random = Math.random,
): { waitMs: number } | { stop: "attempts" | "deadline"; waitMs: number } {
  const waitMs = retryAfter ?? backoffMs(attempt, policy, random);
  if (attempt >= policy.maxAttempts) return { stop: "attempts", waitMs };
  // leave room for the retried request itself: a wait ending at the deadline would only produce a timeout
  if (deadline !== undefined && now + waitMs + 50 >= deadline) return { stop: "deadline", waitMs };
  return { waitMs };
}
