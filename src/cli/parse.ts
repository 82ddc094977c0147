import { getAddress, isAddress, parseEther, type Address, type Hex } from "viem";
import { z } from "zod";
import { ChorusError } from "../core/index.js";

/** "250" or "12.5" CHR -> wei. Rejects anything else with a line that says what was expected. */
export function parseAmount(raw: string, what = "amount"): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(raw.trim())) {
    throw new ChorusError("INPUT_INVALID", `${what} '${raw}' is not a number of CHR (e.g. 250 or 12.5)`);
  }
  const wei = parseEther(raw.trim());
  if (wei === 0n) throw new ChorusError("INPUT_INVALID", `${what} must be greater than 0`);
  return wei;
}

export function parseAddress(raw: string): Address {
  if (!isAddress(raw, { strict: false }))
    throw new ChorusError("INPUT_INVALID", `'${raw}' is not an address (0x + 40 hex digits)`);
  return getAddress(raw);
}

export function parseEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ChorusError("INPUT_INVALID", `--endpoint '${raw}' is not a URL (e.g. http://127.0.0.1:7001)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ChorusError("INPUT_INVALID", `--endpoint must be an http(s) URL, got '${raw}'`);
  }
  if (raw.length > 256) throw new ChorusError("INPUT_INVALID", `--endpoint is longer than 256 characters`);
  return raw;
}

/** A bytes32 hex digest (the on-chain form of a CID). */
export function parseBytes32(raw: string, what: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) throw new ChorusError("INPUT_INVALID", `${what} must be 0x + 64 hex digits`);
  return raw as Hex;
}

/**
 * Validates a command's flags with zod: the first problem becomes one line naming the flag as typed
 * (`--poll-ms: ...`). Commander hands flags as strings (or true for switches).
 */
export function parseFlags<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const key = issue.path.map(String).join(".");
  const flag = key ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : "options";
  throw new ChorusError("INPUT_INVALID", `${flag}: ${issue.message}`);
}

/** A whole number given as a flag (a string of digits) within [min, max]. */
export const wholeFlag = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be from ${min} to ${max}`);

/** A duration flag: seconds, or with a unit (90s, 15m, 2h, 30d). */
export const durationFlag = (minSeconds: number, maxSeconds: number) =>
  z
    .string()
    .regex(/^\d+(s|m|h|d)?$/, "must be seconds or a number with s, m, h or d (e.g. 600, 15m, 30d)")
    .transform((s) => {
      const n = Number(s.replace(/[smhd]$/, ""));
      const unit = s.match(/[smhd]$/)?.[0] ?? "s";
      return n * { s: 1, m: 60, h: 3600, d: 86400 }[unit]!;
    })
    .refine((n) => n >= minSeconds && n <= maxSeconds, `must be from ${minSeconds} s to ${maxSeconds} s`);
