/**
 * Loads a data source's corpus from a directory, recursively, and chunks it (src/rag/chunk.ts).
 *
 * Formats, by extension (case-insensitive):
 * - `.txt`: plain text, one document;
 * - `.md`, `.markdown`: Markdown, one document, chunked by heading sections then paragraphs;
 * - `.jsonl`: one JSON object per non-blank line with a non-empty string `text`, an optional `id` (string or
 *   integer, unique in the file; default `line-<n>`) and an optional string `title` (prepended to the text).
 *   Each line is one document named `<file>:<id>`.
 * Files must be UTF-8. Entries whose name starts with `.` (e.g. `.git`, `.DS_Store`) are ignored and listed as
 * ignored; nothing else is passed over silently.
 *
 * A file it cannot use (unsupported extension, invalid UTF-8, a JSONL line that is not an object with text,
 * a duplicate id, no text at all, larger than `maxFileBytes`, not a regular file) is a bad file. By default
 * the first bad file refuses the whole load: CORPUS_BAD_FILE naming the file (and line). With `skipBad` every
 * bad file is skipped, each reported in `skipped` with its reason (the manifest lists them too).
 */
import { readdir, readFile, lstat } from "node:fs/promises";
import { createHash } from "node:crypto";
import path from "node:path";
import { ChorusError } from "../core/index.js";
import { chunkMarkdown, chunkParams, chunkText, type ChunkOptions, type ChunkParams } from "./chunk.js";
import type { Chunk } from "../protocol/index.js";

export type CorpusFormat = "text" | "markdown" | "jsonl";
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 10_000;

const FORMATS: Partial<Record<string, CorpusFormat>> = {
  ".txt": "text",
  ".md": "markdown",
  ".markdown": "markdown",
  ".jsonl": "jsonl",
};
/** Extensions loadCorpus reads. */
export const SUPPORTED_EXTENSIONS = Object.keys(FORMATS);

export interface CorpusFile {
  /** Path relative to the corpus directory, with `/` separators. */
  path: string;
  format: CorpusFormat;
  bytes: number;
  /** sha2-256 of the file's bytes, hex. */
  sha256: string;
  /** Documents of the file (one, or one per JSONL line), in order. */
  docs: string[];
  chunks: Chunk[];
}

export interface SkippedFile {
  path: string;
  /** The offending line of a JSONL file. */
  line?: number;
  reason: string;
}

export interface Corpus {
  dir: string;
  files: CorpusFile[];
  skipped: SkippedFile[];
  /** Hidden entries (names starting with `.`) that were not read. */
  ignored: string[];
  chunking: ChunkParams;
  /** Every chunk of every file, in file order (files sorted by path). */
  chunks: Chunk[];
}

export interface LoadCorpusOptions {
  /** Skip bad files (each reported) instead of refusing the whole corpus. Default false. */
  skipBad?: boolean;
  chunk?: ChunkOptions;
  maxFileBytes?: number;
  maxFiles?: number;
  signal?: AbortSignal;
}

/** A file that cannot be used; `line` for JSONL errors. */
export class BadFileError extends ChorusError {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super("CORPUS_BAD_FILE", `${file}${line !== undefined ? `:${line}` : ""}: ${reason}`, { file, line, reason });
  }
}

/** Reads and chunks every supported file under `dir` (see the module comment for the bad-file policy). */
export async function loadCorpus(dir: string, opts: LoadCorpusOptions = {}): Promise<Corpus> {
  const chunking = chunkParams(opts.chunk);
  const root = path.resolve(dir);
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory())
    throw new ChorusError("CORPUS_NOT_FOUND", `corpus directory ${dir} does not exist or is not a directory`, { dir });
  const { files: paths, ignored } = await walk(root, opts.maxFiles ?? DEFAULT_MAX_FILES, opts.signal);
  const files: CorpusFile[] = [];
  const skipped: SkippedFile[] = [];
  for (const rel of paths) {
    opts.signal?.throwIfAborted();
    try {
      files.push(await loadFile(root, rel, chunking, opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES));
    } catch (err) {
      if (!(err instanceof BadFileError) || !opts.skipBad) throw err;
      skipped.push(
        err.line !== undefined
          ? { path: err.file, line: err.line, reason: err.reason }
          : { path: err.file, reason: err.reason },
      );
    }
  }
  const chunks = files.flatMap((f) => f.chunks);
  if (chunks.length === 0) {
    throw new ChorusError(
      "CORPUS_EMPTY",
      `corpus ${dir} has no usable text (${paths.length} file(s) found, ${skipped.length} skipped; supported: ${SUPPORTED_EXTENSIONS.join(", ")})`,
      { dir, skipped },
    );
  }
  return { dir: root, files, skipped, ignored, chunking, chunks };
}

/** Parses one file's contents (pure); `rel` names it in errors and chunk ids. */
export function parseCorpusFile(
  rel: string,
  bytes: Uint8Array,
  chunking: ChunkParams,
): Omit<CorpusFile, "bytes" | "sha256"> {
  const format = FORMATS[path.extname(rel).toLowerCase()];
  if (!format)
    throw new BadFileError(
      rel,
      `unsupported file type '${path.extname(rel) || "(no extension)"}' (supported: ${SUPPORTED_EXTENSIONS.join(", ")})`,
    );
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new BadFileError(rel, "not valid UTF-8 text");
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let docs: string[];
  let chunks: Chunk[];
  if (format === "jsonl") {
    ({ docs, chunks } = parseJsonl(rel, text, chunking));
  } else {
    docs = [rel];
    chunks = format === "markdown" ? chunkMarkdown(rel, text, chunking) : chunkText(rel, text, chunking);
  }
  if (chunks.length === 0) throw new BadFileError(rel, "has no text");
  return { path: rel, format, docs, chunks };
}

function parseJsonl(rel: string, text: string, chunking: ChunkParams): { docs: string[]; chunks: Chunk[] } {
  const docs: string[] = [];
  const chunks: Chunk[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const n = i + 1;
    if (line.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new BadFileError(rel, `not valid JSON (${(err as Error).message})`, n);
    }
    if (v === null || typeof v !== "object" || Array.isArray(v))
      throw new BadFileError(rel, "each line must be a JSON object", n);
    const o = v as Record<string, unknown>;
    if (typeof o.text !== "string" || o.text.trim() === "")
      throw new BadFileError(rel, "needs a non-empty string field 'text'", n);
    if (o.title !== undefined && typeof o.title !== "string")
      throw new BadFileError(rel, "'title' must be a string", n);
    let id: string;
    if (o.id === undefined) id = `line-${n}`;
    else if (typeof o.id === "string" && /^[^\s#:][^#\n\r]{0,199}$/.test(o.id)) id = o.id;
    else if (typeof o.id === "number" && Number.isSafeInteger(o.id)) id = String(o.id);
    else
      throw new BadFileError(
        rel,
        "'id' must be an integer or a string of 1-200 characters without '#', line breaks or a leading ':' or space",
        n,
      );
    if (seen.has(id)) throw new BadFileError(rel, `duplicate id '${id}'`, n);
    seen.add(id);
    const doc = `${rel}:${id}`;
    const body = o.title ? `${o.title.trim()}\n\n${o.text}` : o.text;
    docs.push(doc);
    chunks.push(...chunkText(doc, body, chunking));
  });
  return { docs, chunks };
}

async function loadFile(root: string, rel: string, chunking: ChunkParams, maxBytes: number): Promise<CorpusFile> {
  const abs = path.join(root, ...rel.split("/"));
  const st = await lstat(abs);
  if (!st.isFile()) throw new BadFileError(rel, "not a regular file (symbolic links are not followed)");
  if (st.size > maxBytes) throw new BadFileError(rel, `${st.size} bytes, larger than the limit of ${maxBytes}`);
  const bytes = await readFile(abs);
  const parsed = parseCorpusFile(rel, bytes, chunking);
  return { ...parsed, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** Relative paths of every non-hidden entry that is not a directory, sorted; hidden entries separately. */
async function walk(
  root: string,
  maxFiles: number,
  signal?: AbortSignal,
): Promise<{ files: string[]; ignored: string[] }> {
  const files: string[] = [];
  const ignored: string[] = [];
  const visit = async (relDir: string): Promise<void> => {
    signal?.throwIfAborted();
    const entries = await readdir(path.join(root, ...relDir.split("/").filter(Boolean)), { withFileTypes: true });
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.name.startsWith(".")) ignored.push(rel);
      else if (e.isDirectory()) await visit(rel);
      else {
        files.push(rel);
        if (files.length > maxFiles)
          throw new ChorusError("CORPUS_TOO_MANY_FILES", `corpus has more than ${maxFiles} files`, { maxFiles });
      }
    }
  };
  await visit("");
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return { files: files.sort(cmp), ignored: ignored.sort(cmp) };
}
