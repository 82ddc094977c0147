import { getAddress, isAddress, parseEther, type Address, type Hex } from "viem";
import { z } from "zod";
import { ChorusError } from "../core/index.js";

/**
 * Validation of what commander hands a command, with zod: positional arguments arrive as strings, flags as an
 * object of strings and `true` for switches. The first problem becomes one `INPUT_INVALID` line that names the
 * argument (`amount`) or flag (`--max-tokens`) as typed, says what is expected, and repeats what was given:
 * `--port must be 0..65535, got '70000'`.
 */

/** The name of a positional argument named in `positional` (`amount`), else the flag as typed (`pollMs` -> `--poll-ms`). */
function labelOf(key: string, positional: readonly string[]): string {
  if (!key) return "options";
  if (positional.includes(key)) return key;
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const k of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/**
 * Validates a command's flags (and, named in `positional`, its arguments) with `schema`. Messages of the schemas
 * here read after the name (`must be ...`); zod's own (`Invalid input ...`) follow a colon.
 */
export function parseFlags<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  positional: readonly string[] = [],
): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const label = labelOf(issue.path.map(String).join("."), positional);
  const given = valueAt(raw, issue.path);
  const got = typeof given === "string" ? `, got '${given.length > 80 ? `${given.slice(0, 80)}…` : given}'` : "";
  const phrase = /^(must|is|needs|cannot)\b/.test(issue.message);
  throw new ChorusError("INPUT_INVALID", `${label}${phrase ? " " : ": "}${issue.message}${got}`);
}

/** One positional argument checked with `schema`, called `name` in the error (`round id must be ...`). */
export function parseArg<S extends z.ZodType>(schema: S, raw: unknown, name: string): z.output<S> {
  return parseFlags(z.object({ [name]: schema }), { [name]: raw }, [name])[name] as z.output<S>;
}

/** A switch (`--json`): commander gives `true` or nothing. */
export const switchFlag = z.boolean().optional();

/** A CHR amount, "250" or "12.5" (at most 18 decimals), more than 0: in wei. */
export const chrAmount = z
  .string()
  .trim()
  .regex(/^\d+(\.\d{1,18})?$/, "must be a number of CHR (e.g. 250 or 12.5)")
  .transform((s) => parseEther(s))
  .refine((wei) => wei > 0n, "must be greater than 0");

/** An address (any case), checksummed. */
export const addressValue = z
  .string()
  .refine((s) => isAddress(s, { strict: false }), "must be an address (0x + 40 hex digits)")
  .transform((s): Address => getAddress(s));

/** An http(s) URL of at most 256 characters (what NodeRegistry and SourceRegistry store). */
export const httpUrl = z
  .string()
  .refine((s) => URL.canParse(s), "must be a URL (e.g. http://127.0.0.1:7001)")
  // every check runs (zod goes on after a failed refine): each must hold on any string
  .refine((s) => !URL.canParse(s) || /^https?:$/.test(new URL(s).protocol), "must be an http(s) URL")
  .refine((s) => s.length <= 256, "must be at most 256 characters");

/** A bytes32 hex digest (the on-chain form of a CID). */
export const bytes32Value = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x + 64 hex digits")
  .transform((s) => s as Hex);

/** A TCP port to listen on (0: any free port). */
export const portFlag = z
  .string()
  .refine((s) => /^\d{1,5}$/.test(s) && Number(s) <= 65535, "must be 0..65535")
  .transform(Number);

/** An address to bind: an IPv4/IPv6 address or a host name. */
export const hostFlag = z
  .string()
  .regex(
    /^(\[?[0-9a-fA-F:.]+\]?|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/,
    "must be an IP address or a host name",
  );

/** "250" or "12.5" CHR -> wei. */
export function parseAmount(raw: string, name = "amount"): bigint {
  return parseArg(chrAmount, raw, name);
}

export function parseAddress(raw: string, name = "address"): Address {
  return parseArg(addressValue, raw, name);
}

/** A bytes32 hex digest given as flag `flag` (e.g. "metadata" for --metadata). */
export function parseBytes32(raw: string, flag: string): Hex {
  return parseFlags(z.object({ [flag]: bytes32Value }), { [flag]: raw })[flag];
}

/** A whole number given as a flag (a string of digits) within [min, max]. */
export const wholeFlag = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be from ${min} to ${max}`);

const SECONDS_PER: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** A duration flag: seconds, or with a unit (90s, 15m, 2h, 30d). */
export const durationFlag = (minSeconds: number, maxSeconds: number) =>
  z
    .string()
    .regex(/^\d+(s|m|h|d)?$/, "must be seconds or a number with s, m, h or d (e.g. 600, 15m, 30d)")
    .transform((s) => {
      const n = Number(s.replace(/[smhd]$/, ""));
      const unit = /[smhd]$/.exec(s)?.[0] ?? "s";
      return n * SECONDS_PER[unit];
    })
    .refine((n) => n >= minSeconds && n <= maxSeconds, `must be from ${minSeconds} s to ${maxSeconds} s`);
