/**
 * Who may make the committee run inference: API keys and per-client token buckets in front of the gateway.
 * Keys are kept as SHA-256 hashes (hex); a presented `Authorization: Bearer` key is hashed and compared with
 * every configured hash by `crypto.timingSafeEqual` (equal-length digests, no early exit), so neither the
 * comparison's time nor a leaked config reveals a key. No keys configured = open (the devnet), and the node says
 * so at start. Per-IP buckets are taken before the key check (guessing keys costs tokens too), per-key buckets
 * after; a refusal is a 429 with `Retry-After`, before the body is read.
 *
 * A refusal is held for `holdRefusalsMs` (default 1 s, never longer than its Retry-After) before it is sent: a
 * client that ignores Retry-After and asks again at once (a flood of keep-alive connections) then costs the node
 * one cheap refusal per connection per hold instead of thousands a second, which left no CPU for the rounds
 * (bench:load: 3.5 rounds/s under a 100-connection flood against about 30 unloaded). A held refusal is a timer
 * and an idle socket; it is dropped when the client goes away.
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
  /** How long a 429 is held before it is sent, capped by its Retry-After (default 1000 ms; 0 = at once). */
  holdRefusalsMs?: number;
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
  if (bad >= 0)
    throw new ChorusError("CONFIG_INVALID", `API keys file ${file}: entry ${bad + 1} is not a SHA-256 hex hash`, {
      file,
      entry: bad + 1,
    });
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
  return new ChorusError("RATE_LIMITED", `Rate limit reached for ${who}; retry in ${wait} s`, {
    retryAfter: wait,
    openaiCode: "rate_limit_exceeded",
    openaiType: "requests",
  });
}

/** The gateway's access check; `open` says whether any key is required. */
export function accessControl(opts: AccessOptions = {}): { handler: RequestHandler; open: boolean } {
  const hashes = (opts.keyHashes ?? []).map((h) => {
    if (!/^[0-9a-fA-F]{64}$/.test(h))
      throw new ChorusError("CONFIG_INVALID", "gateway.apiKeys.hashes: each entry must be a SHA-256 hex hash", {
        hash: h,
      });
    return Buffer.from(h, "hex");
  });
  const perIp = opts.perIp ? new TokenBuckets({ ...opts.perIp, now: opts.now }) : undefined;
  const perKey = new TokenBuckets({ ...(opts.perKey ?? { perSecond: 5, burst: 20 }), now: opts.now });
  const holdMs = opts.holdRefusalsMs ?? 1000;
  if (!Number.isInteger(holdMs) || holdMs < 0 || holdMs > 60_000)
    throw new ChorusError("CONFIG_INVALID", "holdRefusalsMs must be an integer from 0 to 60000", {
      holdRefusalsMs: holdMs,
    });
  const refuse = (
    res: Parameters<RequestHandler>[1],
    next: Parameters<RequestHandler>[2],
    wait: number,
    who: string,
  ) => {
    res.set("Retry-After", String(wait));
    const hold = Math.min(holdMs, wait * 1000);
    if (hold === 0) {
      next(limited(wait, who));
      return;
    }
    const timer = setTimeout(() => {
      res.off("close", drop);
      next(limited(wait, who));
    }, hold);
    // the response's close before it is sent = the client went away
    const drop = () => clearTimeout(timer);
    res.once("close", drop);
  };
  const handler: RequestHandler = (req, res, next) => {
    const ipWait = perIp ? perIp.take(req.socket.remoteAddress ?? "unknown") : 0;
    if (ipWait > 0) {
      refuse(res, next, ipWait, "this address");
      return;
    }
    if (hashes.length === 0) {
      next();
      return;
    }
    const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(req.get("authorization") ?? "");
    if (!m || !keyMatches(m[1], hashes)) {
      next(
        new ChorusError(
          "API_KEY_INVALID",
          m ? "Incorrect API key provided" : "Missing API key: send Authorization: Bearer <key>",
          { openaiCode: "invalid_api_key" },
        ),
      );
      return;
    }
    const keyWait = perKey.take(hashApiKey(m[1]));
    if (keyWait > 0) {
      refuse(res, next, keyWait, "this API key");
      return;
    }
    next();
  };
  return { handler, open: hashes.length === 0 };
}
