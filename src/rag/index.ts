/**
 * Decentralized retrieval (RAG): shared types, chunking, corpora, the hybrid BM25 + embedding index, corpus
 * manifests, and the reliability logic. See README.md in this folder.
 */
export * from "./types.js";
export { EMBEDDING_DIM, EMBEDDING_MODEL, cosineSimilarity, embed, loadEmbedder, type Embedder, type EmbedOptions } from "./embeddings.js";
export { DEFAULT_CHUNK_CHARS, DEFAULT_CHUNK_OVERLAP, chunkMarkdown, chunkParams, chunkText, markdownSections, type ChunkOptions, type ChunkParams } from "./chunk.js";
export { BM25_IMPL, DEFAULT_ALPHA, MAX_SEARCH_K, createHybridIndex, type HybridIndex, type HybridIndexOptions } from "./hybrid-index.js";
