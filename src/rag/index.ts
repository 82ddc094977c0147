/**
 * Decentralized retrieval (RAG): shared types, chunking, corpora, the hybrid BM25 + embedding index, corpus
 * manifests, and the reliability logic. See README.md in this folder.
 */
export {
  SERVED_TYPE,
  MANIFEST_TYPE,
  type Chunk,
  type ServedContext,
  type ServedDoc,
  type SignedServed,
  type SourceInfo,
  type UsedContext,
  type SkippedSource,
  type SourceScoreDelta,
} from "../protocol/index.js";
export {
  EMBEDDING_DIM,
  EMBEDDING_MODEL,
  cosineSimilarity,
  embed,
  loadEmbedder,
  type Embedder,
  type EmbedOptions,
} from "./embeddings.js";
export {
  DEFAULT_CHUNK_CHARS,
  DEFAULT_CHUNK_OVERLAP,
  chunkMarkdown,
  chunkParams,
  chunkText,
  markdownSections,
  type ChunkOptions,
  type ChunkParams,
} from "./chunk.js";
export {
  BM25_IMPL,
  DEFAULT_ALPHA,
  MAX_SEARCH_K,
  createHybridIndex,
  type HybridIndex,
  type HybridIndexOptions,
} from "./hybrid-index.js";
export {
  BadFileError,
  DEFAULT_MAX_FILE_BYTES,
  SUPPORTED_EXTENSIONS,
  loadCorpus,
  parseCorpusFile,
  type Corpus,
  type CorpusFile,
  type CorpusFormat,
  type LoadCorpusOptions,
  type SkippedFile,
} from "./corpus.js";
export {
  CHUNKS_TYPE,
  ChunkPageSchema,
  CorpusManifestSchema,
  publishCorpus,
  readManifest,
  verifyContext,
  type ChunkPage,
  type ContextCheck,
  type CorpusManifest,
  type RetrievalSettings,
} from "./manifest.js";
export {
  DEFAULT_EXPLORATION_FLOOR,
  DEFAULT_RELIABILITY_WEIGHT,
  SOURCE_DELTA_BOUND,
  SOURCE_SCALE,
  applySourceDelta,
  applySourceDeltas,
  groundTruthDeltas,
  rerankContexts,
  sampleSources,
  sourceDeltas,
  type DeltaInput,
  type DeltaOptions,
  type RerankOptions,
  type SampleOptions,
} from "../protocol/index.js";
