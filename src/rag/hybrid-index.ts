/**
 * Hybrid retrieval over a corpus's chunks: BM25 (MiniSearch's BM25+, exact terms, English stop words
 * removed) combined with the cosine similarity of the offline sentence embeddings (src/rag/embeddings.ts).
 *
 *   score = alpha * max(0, cos(query, chunk)) + (1 - alpha) * bm25(chunk) / max bm25 over the query's hits
 *
 * Both parts lie in [0, 1], so the score does too (BM25 is normalised per query: the best lexical hit gets 1).
 * `embedder: null` means BM25 only (alpha is then 0). Scores are rounded to 6 decimals (they travel in
 * integer micro-units inside signed served documents) and ties break by chunk id, so the same corpus, query
 * and k always give the same contexts in the same order. Chunk vectors are computed once when the index is
 * built; the query is embedded on its own (`exact`), so its vector does not depend on anything else.
 */
import MiniSearch from "minisearch";
import { ChorusError } from "../core/index.js";
import { cosineSimilarity, loadEmbedder, type Embedder } from "./embeddings.js";
import type { Chunk, ServedContext } from "../protocol/index.js";

export const DEFAULT_ALPHA = 0.5;
/** Identifier of the lexical ranking (recorded in corpus manifests). */
export const BM25_IMPL = "minisearch@7.2.0 BM25+ (k1 1.2, b 0.7, d 0.5)";
/** Largest k a search accepts. */
export const MAX_SEARCH_K = 1000;
const SCORE_SCALE = 1_000_000;

export interface HybridIndexOptions {
  /** The sentence embedder; `undefined` loads the shared offline one, `null` means BM25 only. */
  embedder?: Embedder | null;
  /** Weight of the embedding similarity in [0, 1]. Default 0.5 (0 when there is no embedder). */
  alpha?: number;
  signal?: AbortSignal;
}

export interface HybridIndex {
  /** Number of chunks indexed. */
  readonly size: number;
  /** Embedding model, or null when the index is BM25 only. */
  readonly model: string | null;
  readonly alpha: number;
  /** The top `k` chunks for `query` with scores in [0, 1], best first; chunks scoring 0 are never returned. */
  search(query: string, k: number, opts?: { signal?: AbortSignal }): Promise<ServedContext[]>;
}

/** Builds the index (embeds every chunk when there is an embedder). */
export async function createHybridIndex(chunks: Chunk[], opts: HybridIndexOptions = {}): Promise<HybridIndex> {
  const ids = new Set<string>();
  for (const c of chunks) {
    if (
      typeof (c as Chunk | null | undefined)?.id !== "string" ||
      typeof c.text !== "string" ||
      typeof c.doc !== "string"
    ) {
      throw new ChorusError("RAG_INDEX_BAD_INPUT", "every chunk needs string id, doc and text");
    }
    if (ids.has(c.id)) throw new ChorusError("RAG_INDEX_BAD_INPUT", `duplicate chunk id '${c.id}'`, { id: c.id });
    ids.add(c.id);
  }
  const embedder = opts.embedder === undefined ? await loadEmbedder() : opts.embedder;
  if (opts.alpha !== undefined && !(opts.alpha >= 0 && opts.alpha <= 1)) {
    throw new ChorusError("RAG_INDEX_BAD_INPUT", `alpha must be a number in [0, 1], got ${opts.alpha}`);
  }
  const alpha = embedder ? (opts.alpha ?? DEFAULT_ALPHA) : 0;

  const lexical = new MiniSearch<{ id: number; text: string }>({
    fields: ["text"],
    idField: "id",
    processTerm: (term) => {
      const t = term.toLowerCase();
      return t.length === 0 || STOP_WORDS.has(t) ? null : t;
    },
    searchOptions: { prefix: false, fuzzy: false, combineWith: "OR" },
  });
  lexical.addAll(chunks.map((c, i) => ({ id: i, text: c.text })));
  const vectors =
    embedder && alpha > 0
      ? await embedder.embed(
          chunks.map((c) => c.text),
          { signal: opts.signal },
        )
      : undefined;

  return {
    size: chunks.length,
    model: embedder && alpha > 0 ? embedder.model : null,
    alpha,
    async search(query, k, so = {}) {
      if (typeof query !== "string") throw new ChorusError("RAG_INDEX_BAD_INPUT", "query must be a string");
      if (!Number.isInteger(k) || k < 1 || k > MAX_SEARCH_K)
        throw new ChorusError("RAG_INDEX_BAD_INPUT", `k must be an integer from 1 to ${MAX_SEARCH_K}, got ${k}`);
      if (query.trim() === "" || chunks.length === 0) return [];
      const lex = new Map<number, number>();
      let maxLex = 0;
      for (const hit of lexical.search(query)) {
        lex.set(hit.id as number, hit.score);
        maxLex = Math.max(maxLex, hit.score);
      }
      let qv: Float32Array | undefined;
      if (vectors && embedder) qv = await embedder.embedOne(query, { signal: so.signal });
      const scored: ServedContext[] = [];
      for (let i = 0; i < chunks.length; i++) {
        const b = maxLex > 0 ? (lex.get(i) ?? 0) / maxLex : 0;
        const e = qv && vectors ? Math.max(0, cosineSimilarity(qv, vectors[i])) : 0;
        const score = Math.round((alpha * e + (1 - alpha) * b) * SCORE_SCALE) / SCORE_SCALE;
        if (score > 0)
          scored.push({ id: chunks[i].id, doc: chunks[i].doc, text: chunks[i].text, score: Math.min(1, score) });
      }
      scored.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
      return scored.slice(0, k);
    },
  };
}

/** A short English stop-word list: words that carry no topic and would otherwise dominate BM25 on short queries. */
const STOP_WORDS = new Set(
  (
    "a an and are as at be but by for from has have he her his how i if in into is it its me my of on or our she so " +
    "than that the their them then there these they this to was we were what when where which who why will with " +
    "you your do does did can could would should about tell"
  ).split(" "),
);
