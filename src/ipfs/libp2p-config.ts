/**
 * The libp2p configuration of a networked Helia store: TCP on loopback only, noise + yamux, identify (bitswap
 * needs the peer's protocol list), and nothing that reaches out on its own: no bootstrap list, no mDNS, no
 * UPnP, no autoNAT, no DHT, no relay. Peers are dialed by multiaddr.
 */
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { IPFS_ERRORS, ipfsError } from "../core/index.js";

/** Listen address used when none is configured: a free TCP port on 127.0.0.1. */
export const DEFAULT_LISTEN = ["/ip4/127.0.0.1/tcp/0"];

/** Parses a multiaddr, or throws IPFS_CONFIG naming it. */
export function parseMultiaddr(s: string, what: string): Multiaddr {
  try {
    return multiaddr(s);
  } catch (err) {
    throw ipfsError(IPFS_ERRORS.CONFIG, `${what} '${s}' is not a multiaddr: ${(err as Error).message}`, { multiaddr: s }, err);
  }
}

/** Checks that every listen address is TCP on 127.0.0.1 (or ::1); throws IPFS_CONFIG otherwise. */
export function loopbackListen(addrs: string[]): string[] {
  for (const a of addrs) {
    parseMultiaddr(a, "listen address");
    if (!/^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/.test(a) && !/^\/ip6\/::1\/tcp\/\d+$/.test(a)) {
      throw ipfsError(IPFS_ERRORS.CONFIG, `listen address '${a}' is not TCP on loopback; networked stores listen on 127.0.0.1 only`, { multiaddr: a });
    }
  }
  return addrs;
}

/** The libp2p options (for `withLibp2pLight`) of a loopback-only Chorus node. Modules are loaded lazily. */
export async function loopbackLibp2pOptions(listen: string[]): Promise<Record<string, unknown>> {
  const [{ tcp }, { noise }, { yamux }, { identify }] = await Promise.all([
    import("@libp2p/tcp"),
    import("@libp2p/noise"),
    import("@libp2p/yamux"),
    import("@libp2p/identify"),
  ]);
  return {
    addresses: { listen: loopbackListen(listen) },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: { identify: identify() },
  };
}
