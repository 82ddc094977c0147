/**
 * The one error base class of Chorus. Every error the project throws on purpose is a ChorusError with a stable,
 * machine-readable `code` (UPPER_SNAKE, never renamed once shipped), a human message, optional structured
 * `details` (the failing values) and an optional `cause`.
 *
 * Modules define their codes as string literals next to the code that throws them, e.g.
 * `throw new ChorusError("CONSENSUS_UNKNOWN_ANSWER", "judgment names answer 9, round has 5", { answer: 9 })`.
 */
export class ChorusError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ChorusError";
    this.code = code;
    this.details = details;
  }

  /** A JSON-safe view for HTTP bodies and `--json` output (bigints become decimal strings). */
  toJSON(): { code: string; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: jsonSafe(this.details) as Record<string, unknown> };
  }
}

/** True when `err` is a ChorusError, optionally with the given code. */
export function isChorusError(err: unknown, code?: string): err is ChorusError {
  return err instanceof ChorusError && (code === undefined || err.code === code);
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}
