/**
 * Opens the artifact store the node configuration describes (the `ipfs` section of src/config:
 * `mode`, `kuboUrl`, `peers`, `listen`, `announce`, `remotePin`, `maxArtifactBytes`). The shape is declared here structurally so this
 * module does not depend on the config module; a type test keeps the two in step.
 */
import path from "node:path";
import { DEFAULT_MAX_BYTES } from "../core/index.js";
import { IPFS_ERRORS, ipfsError } from "../core/index.js";
import { openHeliaStore } from "./helia.js";
import { openKuboStore } from "./kubo.js";
import { createMemoryStore } from "./memory.js";
import { openRemotePinner, type RemotePinConfig } from "./remote-pin.js";
import type { ArtifactStore } from "./types.js";

export interface IpfsConfig {
  /** embedded: Helia on disk, offline (default); networked: Helia + libp2p on loopback + bitswap; kubo: external daemon; memory: tests. */
  mode?: "embedded" | "networked" | "kubo" | "memory";
  /** Kubo RPC API URL (mode kubo). */
  kuboUrl?: string;
  /** Peer multiaddrs to dial (mode networked). */
  peers?: string[];
  /** Listen multiaddrs, TCP; default a free port on 127.0.0.1 (mode networked). */
  listen?: string[];
  /** Multiaddrs peers are told to dial (public IP / DNS name and port) (mode networked). */
  announce?: string[];
  /** Also pin pinned artifacts (the round's) on this remote Kubo RPC. */
  remotePin?: RemotePinConfig;
  /** Largest artifact in bytes (default 4 MiB). */
  maxArtifactBytes?: number;
  /** Default deadline (ms) of reads that may go to the network. */
  timeoutMs?: number;
  /** Helia state directory; default `<dataDir>/ipfs`. */
  dir?: string;
}

/** Opens the store `config` describes; Helia keeps its state in `config.dir`, default `<dataDir>/ipfs`. */
export async function openArtifactStore(
  config: IpfsConfig = {},
  opts: { dataDir?: string; log?: (line: string) => void } = {},
): Promise<ArtifactStore> {
  const remotePin = config.remotePin ? await openRemotePinner(config.remotePin) : undefined;
  const common = {
    maxBytes: config.maxArtifactBytes ?? DEFAULT_MAX_BYTES,
    timeoutMs: config.timeoutMs,
    remotePin,
    log: opts.log,
  };
  const dir = config.dir ?? path.join(opts.dataDir ?? ".chorus", "ipfs");
  switch (config.mode ?? "embedded") {
    case "embedded":
      return openHeliaStore({ dir, ...common });
    case "networked":
      return openHeliaStore({
        dir,
        ...common,
        network: { listen: config.listen, announce: config.announce, peers: config.peers },
      });
    case "kubo":
      if (!config.kuboUrl) throw ipfsError(IPFS_ERRORS.CONFIG, "ipfs mode 'kubo' needs kuboUrl (CHORUS_KUBO_URL)");
      return openKuboStore({ url: config.kuboUrl, ...common });
    case "memory":
      return createMemoryStore(common);
    default:
      throw ipfsError(IPFS_ERRORS.CONFIG, `unknown ipfs mode '${String(config.mode)}' (embedded, networked, kubo)`, {
        mode: config.mode,
      });
  }
}
