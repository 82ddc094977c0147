/**
 * The one error base class of Chorus. Every error the project throws on purpose is a ChorusError with a stable,
 * machine-readable `code` (UPPER_SNAKE, never renamed once shipped), a human message, optional structured
 * `details` (the failing values) and an optional `cause`.
 *
 * Every code is listed once, in `ERROR_STATUS` below, with the HTTP status a server answers when it reaches a
 * client: 4xx only where the caller is at fault (a malformed or unauthorised request), 5xx where this node or a
 * party behind it failed. `CONSENSUS_*` codes are 500: a node that meets them in its own computation is at fault;
 * a member that meets them while checking a coordinator's transcript reports PEER_BAD_TRANSCRIPT (400) instead.
 * Throw with a literal code, e.g.
 * `throw new ChorusError("CONSENSUS_UNKNOWN_ANSWER", "judgment names answer 9, round has 5", { answer: 9 })`.
 */
export const ERROR_STATUS = {
  ABORTED: 500,
  API_KEY_INVALID: 401,
  AUDIT_BAD_TX: 400,
  BENCH_BAD_PARAMS: 500,
  BENCH_BAD_QUESTION: 500,
  AUDIT_UNAVAILABLE: 503,
  CAPABILITY_BAD_SUITE: 500,
  CAPABILITY_INVALID: 400,
  CHAIN_ERROR: 500,
  CHAIN_INCONSISTENT: 500,
  CHAIN_REVERTED: 500,
  CHAIN_UNAVAILABLE: 503,
  CHAIN_UNREACHABLE: 503,
  CHUNK_BAD_OPTIONS: 500,
  CONFIG_FILE_UNREADABLE: 500,
  CONFIG_INVALID: 500,
  CONSENSUS_BAD_INPUT: 500,
  CONSENSUS_BAD_MEMBER: 500,
  CONSENSUS_BAD_WEIGHT: 500,
  CONSENSUS_DUPLICATE_JUDGE: 500,
  CONSENSUS_DUPLICATE_JUDGMENT: 500,
  CONSENSUS_JUDGE_NOT_IN_ROUND: 500,
  CONSENSUS_NO_ANSWERS: 500,
  CONSENSUS_OWN_ANSWER: 500,
  CONSENSUS_UNKNOWN_ANSWER: 500,
  CORPUS_BAD_FILE: 500,
  CORPUS_EMPTY: 500,
  CORPUS_MANIFEST_INVALID: 500,
  CORPUS_NOT_FOUND: 500,
  CORPUS_TOO_MANY_FILES: 500,
  DEPLOYMENTS_INVALID: 500,
  DEPLOYMENTS_MISSING: 500,
  EMBEDDINGS_ABORTED: 500,
  EMBEDDINGS_BAD_INPUT: 500,
  EMBEDDINGS_UNAVAILABLE: 500,
  GATEWAY_ALL_FAILED: 500,
  GATEWAY_DROPPED: 500,
  GATEWAY_ERROR: 500,
  GATEWAY_REDIRECT: 500,
  GATEWAY_TIMEOUT: 500,
  GATEWAY_TOO_LARGE: 500,
  GATEWAY_UNREACHABLE: 500,
  HTTP_BAD_BODY: 400,
  HTTP_TOO_LARGE: 413,
  INFERENCE_ABORTED: 500,
  INFERENCE_BACKEND: 500,
  INFERENCE_BAD_INPUT: 500,
  INFERENCE_BAD_RESPONSE: 500,
  INFERENCE_BUSY: 500,
  INFERENCE_CLOSED: 500,
  INFERENCE_CONFIG: 500,
  INFERENCE_MODEL: 500,
  INFERENCE_TIMEOUT: 500,
  INPUT_INVALID: 400,
  INTERNAL: 500,
  INVALID_ARGUMENT: 500,
  INSUFFICIENT_BALANCE: 500,
  INSUFFICIENT_STAKE: 500,
  IPFS_ABORTED: 500,
  IPFS_BACKEND: 500,
  IPFS_BAD_BYTES32: 500,
  IPFS_BAD_CID: 500,
  IPFS_BAD_REQUEST: 500,
  IPFS_CID_MISMATCH: 500,
  IPFS_CLOSED: 500,
  IPFS_CONFIG: 500,
  IPFS_DECODE: 500,
  IPFS_INVALID_VALUE: 500,
  IPFS_NOT_FOUND: 404,
  IPFS_TIMEOUT: 500,
  IPFS_TOO_LARGE: 413,
  IPFS_UNKNOWN_CODEC: 500,
  IPFS_UNKNOWN_HASH: 500,
  KEY_MISSING: 500,
  MODEL_UNAVAILABLE: 500,
  NET_REFUSED: 500,
  NET_TIMEOUT: 500,
  NET_TOO_LARGE: 500,
  NET_UNREACHABLE: 500,
  NODE_NOT_STAKED: 500,
  NODE_START_FAILED: 500,
  NOTHING_TO_WITHDRAW: 500,
  NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  NOT_REGISTERED: 500,
  OVERLOADED: 503,
  SHUTTING_DOWN: 503,
  PEER_BAD_COMMITTEE: 400,
  PEER_BAD_JUDGE_REQUEST: 400,
  PEER_BAD_MESSAGE: 400,
  PEER_BAD_ROUND_TIME: 400,
  PEER_BAD_SEED: 400,
  PEER_BAD_STANDINGS: 400,
  PEER_BAD_SIGNATURE: 401,
  PEER_BAD_TRANSCRIPT: 400,
  PEER_DUPLICATE: 409,
  PEER_NOT_AUTHORIZED: 403,
  PEER_NOT_DRAWN: 403,
  PEER_NOT_MEMBER: 403,
  PEER_RATE_LIMITED: 429,
  PEER_REFUSED: 500,
  PEER_REPLAYED: 409,
  PEER_TIMEOUT: 500,
  PEER_TRANSCRIPT_MISMATCH: 400,
  PEER_UNREACHABLE: 500,
  RAG_BAD_LISTING: 500,
  RAG_INDEX_BAD_INPUT: 500,
  RAG_RELIABILITY_BAD_INPUT: 500,
  RAG_SOURCE_ABORTED: 500,
  RAG_SOURCE_BAD_SIGNATURE: 500,
  RAG_SOURCE_MALFORMED: 500,
  RAG_SOURCE_TIMEOUT: 500,
  RAG_SOURCE_UNREACHABLE: 500,
  RAG_SOURCE_WRONG_BINDING: 500,
  RATE_LIMITED: 429,
  RECORD_INVALID: 500,
  ROUND_BAD_COMMITTEE_SIZE: 500,
  ROUND_BAD_EVIDENCE: 500,
  ROUND_BAD_TRANSCRIPT: 500,
  ROUND_RULES_FAILED: 500,
  ROUND_DUPLICATE_CANDIDATE: 500,
  ROUND_NO_QUORUM: 503,
  ROUND_RAG_UNVERIFIABLE: 500,
  ROUND_UNAVAILABLE: 503,
  ROUND_UNKNOWN: 404,
  SETTLEMENT_NO_QUORUM: 500,
  SETTLEMENT_REFUSED: 500,
  SOURCE_START_FAILED: 500,
  STILL_THAWING: 500,
  SUBGRAPH_BUILD: 500,
  SUBGRAPH_MANIFEST: 500,
  STORE_CORRUPT: 500,
  STORE_WRITE_FAILED: 500,
} as const satisfies Record<string, 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503>;

/** Every error code Chorus throws on purpose (UPPER_SNAKE, never renamed once shipped). */
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * Codes of failures that repeat when the same operation is retried unchanged, because its input is at fault (a
 * record the chain refuses, one whose signers fall short of the quorum): a retry loop sets that input aside instead
 * of backing off (the settlement submitter does). Every other code, and any error that is not a ChorusError (an RPC
 * down, a timeout, a busy peer), may pass on a later attempt.
 */
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "SETTLEMENT_REFUSED",
  "SETTLEMENT_NO_QUORUM",
  "RECORD_INVALID",
  "INPUT_INVALID",
]);

/** Whether retrying the operation that threw `err` may succeed (see PERMANENT). */
export function isRetryable(err: unknown): boolean {
  return !(err instanceof ChorusError && PERMANENT.has(err.code));
}

/** The HTTP status for `code` (the one status table). */
export function httpStatusOf(code: ErrorCode): number {
  // a code from untyped input (a peer, a JSON body) may be missing from the table
  return (ERROR_STATUS as Partial<Record<string, number>>)[code] ?? 500;
}

export class ChorusError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ChorusError";
    this.code = code;
    this.details = details;
  }

  /** A JSON-safe view for HTTP bodies and `--json` output (bigints become decimal strings). */
  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: jsonSafe(this.details) as Record<string, unknown> };
  }
}

/** True when `err` is a ChorusError, optionally with the given code. */
export function isChorusError(err: unknown, code?: ErrorCode): err is ChorusError {
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

/**
 * The message of whatever was thrown: an Error's (or an error-like object's) `message`, else the value as a
 * string. For wrapping foreign rejections (`${what} failed: ${messageOf(err)}`), where `(err as Error).message`
 * would print `undefined` for a thrown string.
 */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : (errorText(err, "message") ?? String(err));
}

/**
 * A string property (`name`, `message`, `code`) of whatever was thrown, or undefined when it has no such
 * string: for telling a library's errors apart without trusting that what was thrown is an Error.
 */
export function errorText(err: unknown, key: string): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const value = (err as Record<string, unknown>)[key];
  return typeof value === "string" ? value : undefined;
}

/**
 * Why a fetch() failed: undici's own message is only "fetch failed", the reason (DNS, refused, reset, timeout) is
 * its cause's; anything else thrown gives its own message.
 */
export function fetchFailureOf(err: unknown): string {
  return errorText(err instanceof Error ? err.cause : undefined, "message") ?? messageOf(err);
}

/**
 * What was thrown or an abort reason, as an Error to reject with: itself when it is one, else an Error with its
 * text that keeps it as `cause` (`controller.abort("why")` gives a string reason).
 */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(messageOf(value), { cause: value });
}

/**
 * An unvalidated value (a field of a peer's, client's or old file's JSON) as text for a message or a prompt: a
 * string as it is, nothing (undefined, null) as `absent`, numbers and booleans printed, anything else as JSON
 * (where String() would give "[object Object]").
 */
export function plainText(value: unknown, absent = ""): string {
  if (value === undefined || value === null) return absent;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return value.toString();
  return JSON.stringify(value);
}

/**
 * `fn()`'s result as a promise, a throw as a rejection: what an `async` method that never awaits gives, for
 * methods of an async interface that answer at once (an in-memory or SQLite store behind a port).
 */
export function promiseOf<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    resolve(fn());
  });
}

/**
 * `value`, which the caller's own bookkeeping guarantees is there (a key it put in a map, an index inside the
 * array); its absence is a bug in Chorus, not bad input, so it throws INTERNAL naming `what`.
 */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null)
    throw new ChorusError("INTERNAL", `internal error: ${what} is missing`, { what });
  return value;
}
