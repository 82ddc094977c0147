/**
 * Who may make the committee run inference: API keys and per-client token buckets in front of the gateway.
 * Keys are kept as SHA-256 hashes (hex); a presented `Authorization: Bearer` key is hashed and compared with
 * every configured hash by `crypto.timingSafeEqual` (equal-length digests, no early exit), so neither the
 * comparison's time nor a leaked config reveals a key. No keys configured = open (the devnet), and the node says
 * so at start. Per-IP buckets are taken before the key check (guessing keys costs tokens too), per-key buckets
 * after; a refusal is a 429 with `Retry-After`, before the body is read.
 */
import crypto, { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RequestHandler } from "express";
import { ChorusError } from "../../core/index.js";
import { TokenBuckets } from "../../http/index.js";

export interface BucketOptions {
  perSecond: number;
  burst: number;
}

export interface AccessOptions {
  /** SHA-256 hashes (64 hex digits) of the accepted keys; empty = open. */
  keyHashes?: string[];
  /** Per-client-IP bucket (none when absent; the config's default is 20/s, burst 40). */
  perIp?: BucketOptions;
  /** Per-key bucket (default 5/s, burst 20); only with keys. */
  perKey?: BucketOptions;
  now?: () => number;
}

export const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

/** Reads a keys file: one SHA-256 hex hash per line, `#` comments and blank lines ignored. */
export function readKeyHashes(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ChorusError("CONFIG_FILE_UNREADABLE", `cannot read the API keys file ${file}`, { file }, { cause: err });
  }
  const hashes = text
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
  const bad = hashes.findIndex((h) => !/^[0-9a-fA-F]{64}$/.test(h));
  if (bad >= 0) throw new ChorusError("CONFIG_INVALID", `API keys file ${file}: entry ${bad + 1} is not a SHA-256 hex hash`, { file, entry: bad + 1 });
  return hashes;
}

/** True when `presented` hashes to one of `hashes`; every hash is compared, in constant time each. */
export function keyMatches(presented: string, hashes: readonly Buffer[]): boolean {
  const digest = createHash("sha256").update(presented, "utf8").digest();
  let found = false;
  for (const h of hashes) found = crypto.timingSafeEqual(digest, h) || found;
  return found;
}

function limited(wait: number, who: string): ChorusError {
  return new ChorusError("RATE_LIMITED", `Rate limit reached for ${who}; retry in ${wait} s`, { retryAfter: wait, openaiCode: "rate_limit_exceeded", openaiType: "requests" });
}

/** The gateway's access check; `open` says whether any key is required. */
export function accessControl(opts: AccessOptions = {}): { handler: RequestHandler; open: boolean } {
  const hashes = (opts.keyHashes ?? []).map((h) => {
    if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new ChorusError("CONFIG_INVALID", "gateway.apiKeys.hashes: each entry must be a SHA-256 hex hash", { hash: h });
    return Buffer.from(h, "hex");
  });
  const perIp = opts.perIp ? new TokenBuckets({ ...opts.perIp, now: opts.now }) : undefined;
  const perKey = new TokenBuckets({ ...(opts.perKey ?? { perSecond: 5, burst: 20 }), now: opts.now });
  const handler: RequestHandler = (req, res, next) => {
    const ipWait = perIp ? perIp.take(req.socket.remoteAddress ?? "unknown") : 0;
    if (ipWait > 0) {
      res.set("Retry-After", String(ipWait));
      return next(limited(ipWait, "this address"));
    }
    if (hashes.length === 0) return next();
    const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(req.get("authorization") ?? "");
    if (!m || !keyMatches(m[1], hashes)) {
      return next(new ChorusError("API_KEY_INVALID", m ? "Incorrect API key provided" : "Missing API key: send Authorization: Bearer <key>", { openaiCode: "invalid_api_key" }));
    }
    const keyWait = perKey.take(hashApiKey(m[1]));
    if (keyWait > 0) {
      res.set("Retry-After", String(keyWait));
      return next(limited(keyWait, "this API key"));
    }
    next();
  };
  return { handler, open: hashes.length === 0 };
}
