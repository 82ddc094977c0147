/**
 * The JSON-like data model of structured artifacts. dag-json would quietly encode some values that do not
 * round-trip or that different callers would encode differently (floats, bigints, byte arrays ...), so
 * the store checks values first and rejects, with the path of the first offending value, anything outside:
 * null, booleans, well-formed strings, safe integers, arrays, plain objects, and CID links. (`-0` is an
 * integer and is stored as `0`, exactly as JSON writes it.)
 */
import { CID } from "multiformats/cid";
import { IPFS_ERRORS, ipfsError } from "./ipfs-errors.js";

/** A value `putJson` accepts. Bigints must be given as decimal strings; CIDs are stored as IPLD links. */
export type JsonLike = null | boolean | number | string | CID | JsonLike[] | { [key: string]: JsonLike };

/** Maximum nesting depth of a structured artifact. */
export const MAX_DEPTH = 128;

/** Throws IPFS_INVALID_VALUE naming the path (e.g. `$.answers[2].score`) of the first value outside the model. */
export function assertJsonLike(value: unknown): asserts value is JsonLike {
  walk(value, "$", 0, new Set());
}

function walk(v: unknown, path: string, depth: number, ancestors: Set<object>): void {
  if (depth > MAX_DEPTH) fail(path, `nesting deeper than ${MAX_DEPTH} levels`);
  switch (typeof v) {
    case "boolean":
      return;
    case "string":
      if (!wellFormed(v)) fail(path, "a string with a lone surrogate (not valid Unicode)");
      return;
    case "number":
      if (!Number.isFinite(v)) fail(path, `${v} (only finite numbers)`);
      if (!Number.isInteger(v)) fail(path, `the float ${v} (only integers; give decimals as strings)`);
      if (!Number.isSafeInteger(v)) fail(path, `${v}, beyond the safe integer range (give it as a decimal string)`);
      return;
    case "bigint":
      fail(path, `the bigint ${v}n (give it as a decimal string)`);
      return;
    case "undefined":
      fail(path, "undefined (omit the key or use null)");
      return;
    case "object":
      break;
    default:
      fail(path, `a ${typeof v}`);
  }
  if (v === null) return;
  const obj = v;
  if (CID.asCID(obj)) return;
  if (ancestors.has(obj)) fail(path, "a reference cycle");
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
    fail(path, "binary data (store bytes with putBytes and link them by CID)");
  }
  ancestors.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj)) fail(`${path}[${i}]`, "a hole in a sparse array");
      walk(obj[i], `${path}[${i}]`, depth + 1, ancestors);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null)
      fail(
        path,
        `an instance of ${(obj as { constructor?: { name?: string } }).constructor?.name ?? "a class"} (only plain objects)`,
      );
    if (Object.getOwnPropertySymbols(obj).length > 0) fail(path, "an object with symbol keys");
    for (const [k, child] of Object.entries(obj)) {
      const at = /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
      if (k === "/") fail(at, "the key '/' (reserved by dag-json for links and bytes)");
      if (!wellFormed(k)) fail(at, "a key with a lone surrogate");
      walk(child, at, depth + 1, ancestors);
    }
  }
  ancestors.delete(obj);
}

/** No lone UTF-16 surrogates (String.prototype.isWellFormed, Node 20+; not in TypeScript's ES2022 lib). */
function wellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function fail(path: string, what: string): never {
  throw ipfsError(IPFS_ERRORS.INVALID_VALUE, `artifact value at ${path} is ${what}`, { path });
}
