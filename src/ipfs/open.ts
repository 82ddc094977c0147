/**
 * The artifact-store section of the node configuration, and one function that opens the store it describes.
 * The schema is exported so the config module can embed it (`ipfs: ArtifactStoreConfigSchema`).
 */
import path from "node:path";
import { z } from "zod";
import { DEFAULT_MAX_BYTES } from "./codec.js";
import { openHeliaStore } from "./helia.js";
import { openKuboStore } from "./kubo.js";
import { createMemoryStore } from "./memory.js";
import type { ArtifactStore } from "./types.js";

const common = {
  /** Largest artifact in bytes (default 4 MiB). */
  maxBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(DEFAULT_MAX_BYTES),
  /** Default read deadline in ms for reads that may go to the network. */
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
};

export const ArtifactStoreConfigSchema = z.discriminatedUnion("backend", [
  /** Embedded Helia, filesystem blockstore, no network (the default). */
  z.object({ backend: z.literal("helia"), dir: z.string().min(1).optional(), ...common }).strict(),
  /** Helia with libp2p on loopback and bitswap; peers by multiaddr. */
  z
    .object({
      backend: z.literal("helia-network"),
      dir: z.string().min(1).optional(),
      listen: z.array(z.string().min(1)).max(8).optional(),
      peers: z.array(z.string().min(1)).max(256).default([]),
      ...common,
    })
    .strict(),
  /** An external Kubo daemon's RPC API. */
  z.object({ backend: z.literal("kubo"), url: z.url({ protocol: /^https?$/ }), ...common }).strict(),
  /** In memory (tests, throwaway tools). */
  z.object({ backend: z.literal("memory"), ...common }).strict(),
]);

export type ArtifactStoreConfig = z.input<typeof ArtifactStoreConfigSchema>;

/**
 * Opens the store `config` describes. Helia stores keep their state in `config.dir`, default `<dataDir>/ipfs`.
 */
export async function openArtifactStore(
  config: ArtifactStoreConfig = { backend: "helia" },
  opts: { dataDir?: string; log?: (line: string) => void } = {},
): Promise<ArtifactStore> {
  const c = ArtifactStoreConfigSchema.parse(config);
  const dir = () => ("dir" in c && c.dir ? c.dir : path.join(opts.dataDir ?? ".chorus", "ipfs"));
  switch (c.backend) {
    case "helia":
      return openHeliaStore({ dir: dir(), maxBytes: c.maxBytes, timeoutMs: c.timeoutMs });
    case "helia-network":
      return openHeliaStore({ dir: dir(), maxBytes: c.maxBytes, timeoutMs: c.timeoutMs, network: { listen: c.listen, peers: c.peers }, log: opts.log });
    case "kubo":
      return openKuboStore({ url: c.url, maxBytes: c.maxBytes, timeoutMs: c.timeoutMs });
    case "memory":
      return createMemoryStore({ maxBytes: c.maxBytes, timeoutMs: c.timeoutMs });
  }
}
