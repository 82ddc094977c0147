/**
 * The corpus manifest (`chorus/corpus-manifest@1`): what a data source serves, published on IPFS and
 * registered on chain (SourceRegistry's manifestCid). It names every file (path, format, size, sha2-256),
 * its documents and chunk ids, the chunking parameters, the retrieval method (BM25 implementation, embedding
 * model, weight) and the files that were skipped or ignored, and links (as IPLD links) to the chunk pages
 * (`chorus/corpus-chunks@1`) holding the chunk texts, so an auditor can check that a served context is a
 * chunk of the registered corpus ({@link verifyContext}). The manifest carries no time stamp: the same
 * corpus and settings give the same CID, so a restarted source only updates its registration when the
 * corpus really changed.
 */
import { z } from "zod";
import { CID } from "multiformats/cid";
import { ChorusError } from "../core/index.js";
import type { ArtifactStore } from "../ipfs/index.js";
import type { Corpus } from "./corpus.js";
import { BM25_IMPL } from "./hybrid-index.js";
import { MANIFEST_TYPE, type Chunk } from "../protocol/index.js";

export const CHUNKS_TYPE = "chorus/corpus-chunks@1";
/** Text characters per chunk page (pages stay well under the store's block limit). */
export const PAGE_CHARS = 512 * 1024;

const Link = z.custom<CID>((v) => CID.asCID(v) !== null, "must be an IPLD link");

export const CorpusManifestSchema = z
  .object({
    type: z.literal(MANIFEST_TYPE),
    chunking: z.object({ maxChars: z.number().int(), overlap: z.number().int() }).strict(),
    retrieval: z
      .object({
        bm25: z.string(),
        /** Embedding model, or null for BM25 only. */
        embedding: z.string().nullable(),
        /** Weight of the embedding similarity x 1e6. */
        alphaMicros: z.number().int().min(0).max(1_000_000),
      })
      .strict(),
    files: z.array(
      z
        .object({
          path: z.string(),
          format: z.enum(["text", "markdown", "jsonl"]),
          bytes: z.number().int().min(0),
          sha256: z.string().regex(/^[0-9a-f]{64}$/),
          docs: z.array(z.string()),
          chunkIds: z.array(z.string()),
          pages: z.array(Link),
        })
        .strict(),
    ),
    skipped: z.array(z.object({ path: z.string(), line: z.number().int().optional(), reason: z.string() }).strict()),
    ignored: z.array(z.string()),
    docCount: z.number().int().min(0),
    chunkCount: z.number().int().min(0),
  })
  .strict();
export type CorpusManifest = z.infer<typeof CorpusManifestSchema>;

export const ChunkPageSchema = z
  .object({
    type: z.literal(CHUNKS_TYPE),
    file: z.string(),
    chunks: z.array(z.object({ id: z.string(), doc: z.string(), text: z.string() }).strict()),
  })
  .strict();
export type ChunkPage = z.infer<typeof ChunkPageSchema>;

export interface RetrievalSettings {
  /** Embedding model, or null (BM25 only). */
  embedding: string | null;
  alpha: number;
}

/** Stores the chunk pages and the manifest (pinned); returns the manifest and its CID. */
export async function publishCorpus(
  store: ArtifactStore,
  corpus: Corpus,
  retrieval: RetrievalSettings,
  opts: { signal?: AbortSignal } = {},
): Promise<{ cid: string; manifest: CorpusManifest }> {
  const files: CorpusManifest["files"] = [];
  for (const f of corpus.files) {
    const pages: CID[] = [];
    for (const page of paginate(f.chunks)) {
      const doc: ChunkPage = {
        type: CHUNKS_TYPE,
        file: f.path,
        chunks: page.map((c) => ({ id: c.id, doc: c.doc, text: c.text })),
      };
      pages.push(await store.putJson(doc, { pin: true, signal: opts.signal }));
    }
    files.push({
      path: f.path,
      format: f.format,
      bytes: f.bytes,
      sha256: f.sha256,
      docs: f.docs,
      chunkIds: f.chunks.map((c) => c.id),
      pages,
    });
  }
  const manifest: CorpusManifest = {
    type: MANIFEST_TYPE,
    chunking: { maxChars: corpus.chunking.maxChars, overlap: corpus.chunking.overlap },
    retrieval: {
      bm25: BM25_IMPL,
      embedding: retrieval.embedding,
      alphaMicros: Math.round(retrieval.alpha * 1_000_000),
    },
    files,
    skipped: corpus.skipped.map((s) =>
      s.line !== undefined ? { path: s.path, line: s.line, reason: s.reason } : { path: s.path, reason: s.reason },
    ),
    ignored: corpus.ignored,
    docCount: files.reduce((n, f) => n + f.docs.length, 0),
    chunkCount: corpus.chunks.length,
  };
  const cid = await store.putJson(manifest, { pin: true, signal: opts.signal });
  return { cid: cid.toString(), manifest };
}

function paginate(chunks: Chunk[]): Chunk[][] {
  const pages: Chunk[][] = [];
  let current: Chunk[] = [];
  let chars = 0;
  for (const c of chunks) {
    if (current.length > 0 && chars + c.text.length > PAGE_CHARS) {
      pages.push(current);
      current = [];
      chars = 0;
    }
    current.push(c);
    chars += c.text.length;
  }
  if (current.length > 0) pages.push(current);
  return pages;
}

/** Reads and validates a manifest (CORPUS_MANIFEST_INVALID when it is not one). */
export async function readManifest(getJson: (cid: string) => Promise<unknown>, cid: string): Promise<CorpusManifest> {
  const r = CorpusManifestSchema.safeParse(await getJson(cid));
  if (!r.success)
    throw new ChorusError(
      "CORPUS_MANIFEST_INVALID",
      `${cid} is not a corpus manifest: ${r.error.issues[0].path.join(".")}: ${r.error.issues[0].message}`,
      { cid },
    );
  return r.data;
}

export type ContextCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks that a served context is, word for word, chunk `context.id` of document `context.doc` in the corpus
 * of manifest `manifestCid` (fetching the manifest and the chunk's page through `getJson`).
 */
export async function verifyContext(
  getJson: (cid: string) => Promise<unknown>,
  manifestCid: string,
  context: { id: string; doc: string; text: string },
): Promise<ContextCheck> {
  const manifest = await readManifest(getJson, manifestCid);
  const file = manifest.files.find((f) => f.chunkIds.includes(context.id));
  if (!file) return { ok: false, reason: `chunk ${context.id} is not in corpus ${manifestCid}` };
  for (const link of file.pages) {
    const page = ChunkPageSchema.safeParse(await getJson(link.toString()));
    if (!page.success) return { ok: false, reason: `chunk page ${link.toString()} of ${file.path} is malformed` };
    const chunk = page.data.chunks.find((c) => c.id === context.id);
    if (!chunk) continue;
    if (chunk.doc !== context.doc)
      return { ok: false, reason: `chunk ${context.id} belongs to ${chunk.doc}, not ${context.doc}` };
    if (chunk.text !== context.text)
      return { ok: false, reason: `the text served as ${context.id} differs from the corpus` };
    return { ok: true };
  }
  return { ok: false, reason: `chunk ${context.id} is listed in ${file.path} but on none of its pages` };
}
