/**
 * Which IP addresses a node may call on behalf of the chain or a peer. Endpoints come from the chain (node and
 * source registrations) and from peers, so without a check a registered endpoint can point a member at
 * loopback, the LAN, a cloud metadata service or a link-local address (SSRF). Everything below is refused
 * unless the operator's allowlist (`net.allowPrivate`, CIDR ranges) covers it: the devnet and the tests allow
 * 127.0.0.0/8.
 */
import net from "node:net";
import { z } from "zod";

/** Ranges no public service lives in. */
const BLOCKED_V4: [string, number][] = [
  ["0.0.0.0", 8], // unspecified, "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // CGNAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, 169.254.169.254 metadata
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];
const BLOCKED_V6: [string, number][] = [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["::", 96], // IPv4-compatible (deprecated)
  ["64:ff9b::", 96], // NAT64 (reaches IPv4 space)
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["fc00::", 7], // unique local (ULA)
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
];

const blocked = new net.BlockList();
for (const [a, p] of BLOCKED_V4) blocked.addSubnet(a, p, "ipv4");
for (const [a, p] of BLOCKED_V6) blocked.addSubnet(a, p, "ipv6");

/** A CIDR range, `a.b.c.d/n` or `v6::/n`. */
export const Cidr = z
  .string()
  .refine((s) => parseCidr(s) !== null, { error: "must be a CIDR range such as 127.0.0.0/8 or fd00::/8" });

function parseCidr(s: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s.trim());
  if (!m) return null;
  const kind = net.isIP(m[1]);
  const prefix = Number(m[2]);
  if (kind === 4 && prefix <= 32) return { address: m[1], prefix, family: "ipv4" };
  if (kind === 6 && prefix <= 128) return { address: m[1], prefix, family: "ipv6" };
  return null;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d` or `::ffff:7f00:1`), else null. */
function mappedV4(ip: string): string | null {
  const lower = ip.toLowerCase();
  const dotted =
    /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

/** Which addresses a node may connect to: public ones, plus the operator's allowed ranges. */
export class AddressPolicy {
  private readonly allowed = new net.BlockList();
  readonly allowPrivate: readonly string[];

  constructor(allowPrivate: readonly string[] = []) {
    for (const c of allowPrivate) {
      const r = parseCidr(c);
      if (!r) throw new TypeError(`not a CIDR range: ${c}`);
      this.allowed.addSubnet(r.address, r.prefix, r.family);
    }
    this.allowPrivate = [...allowPrivate];
  }

  /** True when `ip` (an IP literal) may be connected to. Anything that is not an IP literal is refused. */
  permits(ip: string): boolean {
    const bare = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
    const v4 = net.isIP(bare) === 6 ? mappedV4(bare) : null;
    if (v4) return this.permits(v4);
    const kind = net.isIP(bare);
    if (kind === 0) return false;
    const family = kind === 4 ? "ipv4" : "ipv6";
    if (this.allowed.check(bare, family)) return true;
    if (kind === 6 && bare.toLowerCase().startsWith("::ffff:")) return false; // a mapped form we could not read
    return !blocked.check(bare, family);
  }
}

/** Refuses every private range (no allowance). */
export const PUBLIC_ONLY = new AddressPolicy([]);
/** Allows any address: for URLs the operator typed themselves (the CLI's gateway), never for chain or peer URLs. */
export const ANY_ADDRESS = new AddressPolicy(["0.0.0.0/0", "::/0"]);
