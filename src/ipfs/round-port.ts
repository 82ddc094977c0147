/**
 * Adapts an ArtifactStore to the round protocol's `Artifacts` port (string CIDs, JSON documents). Documents
 * the round writes (queries, transcripts) are recorded on chain, so they are pinned by default.
 */
import type { ArtifactStore } from "./types.js";

export interface RoundArtifacts {
  putJson(value: unknown, opts?: { signal?: AbortSignal }): Promise<string>;
  getJson<T = unknown>(cid: string, opts?: { signal?: AbortSignal }): Promise<T>;
  cidOf(value: unknown): Promise<string>;
}

export function roundArtifacts(store: ArtifactStore, opts: { pin?: boolean; timeoutMs?: number } = {}): RoundArtifacts {
  const pin = opts.pin ?? true;
  return {
    putJson: async (value, o = {}) => (await store.putJson(value, { signal: o.signal, pin })).toString(),
    getJson: <T>(cid: string, o: { signal?: AbortSignal } = {}) =>
      store.getJson<T>(cid, { signal: o.signal, timeoutMs: opts.timeoutMs }),
    cidOf: async (value) => (await store.cidOf(value)).toString(),
  };
}
