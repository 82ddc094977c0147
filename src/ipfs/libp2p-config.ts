/**
 * The libp2p configuration of a networked Helia store: TCP on the configured listen addresses (a free port on
 * 127.0.0.1 unless configured otherwise), the configured announce addresses (what peers are told to dial: a
 * public IP or DNS name behind NAT or a proxy), noise + yamux, identify (bitswap needs the peer's protocol
 * list), and nothing that reaches out on its own: no bootstrap list, no mDNS, no UPnP, no autoNAT, no DHT, no
 * relay. Peers are dialed by multiaddr.
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
    throw ipfsError(
      IPFS_ERRORS.CONFIG,
      `${what} '${s}' is not a multiaddr: ${(err as Error).message}`,
      { multiaddr: s },
      err,
    );
  }
}

const LISTEN = /^\/(ip4\/\d{1,3}(\.\d{1,3}){3}|ip6\/[0-9a-fA-F:.]+)\/tcp\/\d{1,5}$/;
const ANNOUNCE =
  /^\/(ip4\/\d{1,3}(\.\d{1,3}){3}|ip6\/[0-9a-fA-F:.]+|dns4\/[^/]+|dns6\/[^/]+|dns\/[^/]+)\/tcp\/\d{1,5}(\/p2p\/[1-9A-HJ-NP-Za-km-z]+)?$/;

/**
 * Checks the listen addresses: TCP on an IP address (`/ip4/<ip>/tcp/<port>` or `/ip6/<ip>/tcp/<port>`, port 0
 * = any free one). Loopback is the default; any other address must be configured explicitly (ipfs.listen).
 */
export function checkListen(addrs: string[]): string[] {
  if (addrs.length === 0) throw ipfsError(IPFS_ERRORS.CONFIG, "a networked store needs at least one listen address");
  for (const a of addrs) {
    parseMultiaddr(a, "listen address");
    if (!LISTEN.test(a))
      throw ipfsError(IPFS_ERRORS.CONFIG, `listen address '${a}' is not /ip4/<ip>/tcp/<port> or /ip6/<ip>/tcp/<port>`, {
        multiaddr: a,
      });
  }
  return addrs;
}

/** Checks the announce addresses: TCP on an IP or a DNS name, a fixed port (peers cannot dial port 0). */
export function checkAnnounce(addrs: string[]): string[] {
  for (const a of addrs) {
    parseMultiaddr(a, "announce address");
    if (!ANNOUNCE.test(a) || /\/tcp\/0(\/|$)/.test(a)) {
      throw ipfsError(
        IPFS_ERRORS.CONFIG,
        `announce address '${a}' is not /ip4|ip6|dns4|dns6|dns/<host>/tcp/<port> with a fixed port`,
        { multiaddr: a },
      );
    }
  }
  return addrs;
}

/** The libp2p options (for `withLibp2pLight`) of a Chorus node. Modules are loaded lazily. */
export async function libp2pOptions(listen: string[], announce: string[] = []): Promise<Record<string, unknown>> {
  const [{ tcp }, { noise }, { yamux }, { identify }] = await Promise.all([
    import("@libp2p/tcp"),
    import("@libp2p/noise"),
    import("@libp2p/yamux"),
    import("@libp2p/identify"),
  ]);
  return {
    addresses: { listen: checkListen(listen), ...(announce.length ? { announce: checkAnnounce(announce) } : {}) },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: { identify: identify() },
  };
}
