import { readFileSync } from "node:fs";
import { ChorusError } from "../core/index.js";
import { ConfigSchema, DEVNET_RPC_URL, ENV_KEYS, type ChorusConfig } from "./schema.js";

type Plain = Record<string, unknown>;

export interface LoadConfigOptions {
  /** JSON config file; CHORUS_CONFIG when not given. A named file that cannot be read is an error. */
  file?: string;
  /** Environment to read CHORUS_* from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Values from CLI flags, in config shape (highest precedence). */
  overrides?: Plain;
}

/**
 * Builds the validated configuration. Throws ChorusError CONFIG_INVALID naming every bad key and where its
 * value came from; never falls back silently to a default for a value that was given but is wrong.
 */
export function loadConfig(opts: LoadConfigOptions = {}): ChorusConfig {
  const env = opts.env ?? process.env;
  const origin = new Map<string, string>();
  let merged: Plain = {};

  const file = opts.file ?? env.CHORUS_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (cause) {
      throw new ChorusError("CONFIG_FILE_UNREADABLE", `cannot read config file ${file}`, { file }, { cause });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new ChorusError("CONFIG_INVALID", `config file ${file} is not valid JSON: ${(cause as Error).message}`, {
        file,
      });
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new ChorusError("CONFIG_INVALID", `config file ${file} must hold a JSON object`, { file });
    }
    merged = deepMerge(merged, parsed as Plain, `file ${file}`, origin, []);
  }

  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    let value: unknown = raw;
    if (spec.type === "int") {
      value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    } else if (spec.type === "number") {
      value = /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    } else if (spec.type === "list") {
      value = raw
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== "");
    }
    merged = deepMerge(merged, nest(spec.path, value), `env ${name}`, origin, []);
  }
  if (opts.overrides) merged = deepMerge(merged, opts.overrides, "flag", origin, []);

  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join(".") || "(root)";
      const from = origin.get(key);
      return `${key}: ${issue.message}${from ? ` (from ${from})` : ""}`;
    });
    throw new ChorusError("CONFIG_INVALID", `invalid configuration: ${problems.join("; ")}`, { problems });
  }
  const config = result.data;
  if (config.network === "devnet" && !config.chain.rpcUrl) config.chain.rpcUrl = DEVNET_RPC_URL;
  if (config.network === "custom" && !config.chain.rpcUrl) {
    throw new ChorusError(
      "CONFIG_INVALID",
      "invalid configuration: chain.rpcUrl is required for network 'custom' (set CHORUS_RPC_URL or --rpc-url)",
      { key: "chain.rpcUrl" },
    );
  }
  return config;
}

function nest(path: string[], value: unknown): Plain {
  return path.reduceRight<unknown>((acc, key) => ({ [key]: acc }), value) as Plain;
}

function deepMerge(base: Plain, add: Plain, from: string, origin: Map<string, string>, prefix: string[]): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(add)) {
    const path = [...prefix, key];
    if (value === undefined) continue;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const prev = out[key];
      out[key] = deepMerge(
        prev !== null && typeof prev === "object" && !Array.isArray(prev) ? (prev as Plain) : {},
        value as Plain,
        from,
        origin,
        path,
      );
    } else {
      out[key] = value;
      origin.set(path.join("."), from);
    }
  }
  return out;
}
