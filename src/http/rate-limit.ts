/**
 * Per-IP token buckets for public endpoints (explorer API, a source's `POST /retrieve`): each client address
 * gets `burst` tokens, refilled at `perSecond`; a request without a token is refused with 429, a
 * Retry-After header (whole seconds until the next token) and the JSON error body, before any work is done.
 * The table of buckets is bounded (`maxClients`, least recently refilled dropped first), so many addresses
 * cannot grow it without limit.
 */
import type { RequestHandler } from "express";
import { ChorusError, present } from "../core/index.js";

export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  maxClients?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly max: number;
  private readonly now: () => number;

  constructor(private readonly opts: RateLimitOptions) {
    if (!(opts.perSecond > 0) || !(opts.burst >= 1))
      throw new ChorusError("CONFIG_INVALID", "rate limit needs perSecond > 0 and burst >= 1", { ...opts });
    this.max = opts.maxClients ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Takes a token for `key`: 0 when granted, else the seconds until one is free. */
  take(key: string): number {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.opts.burst, at: now };
    this.buckets.delete(key); // re-inserted below: the map's order is least recently used first
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.perSecond);
    b.at = now;
    let wait = 0;
    if (b.tokens >= 1) b.tokens -= 1;
    else wait = Math.max(1, Math.ceil((1 - b.tokens) / this.opts.perSecond));
    this.buckets.set(key, b);
    while (this.buckets.size > this.max)
      this.buckets.delete(present(this.buckets.keys().next().value, "the oldest bucket"));
    return wait;
  }
}

/** Express middleware: one bucket per client IP (the socket's address; no proxy header is trusted). */
export function ipRateLimit(opts: RateLimitOptions): RequestHandler {
  const buckets = new TokenBuckets(opts);
  return (req, res, next) => {
    const wait = buckets.take(req.socket.remoteAddress ?? "unknown");
    if (wait === 0) {
      next();
      return;
    }
    res.set("Retry-After", String(wait));
    next(
      new ChorusError("RATE_LIMITED", `too many requests from this address; retry in ${wait} s`, { retryAfter: wait }),
    );
  };
}
