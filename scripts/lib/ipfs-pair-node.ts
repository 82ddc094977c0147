/**
 * One networked Helia node of the two-host transfer (scripts/lib/ipfs-pair.ts), run as its own process, inside
 * a network namespace when there is one.
 *
 *   serve <dir> <listen> <bytes> <seed>   stores <bytes> deterministic bytes as a UnixFS file, prints
 *                                         `READY <cid> <multiaddr> <put ms> <sha256>`, serves until stdin closes
 *   fetch <dir> <listen> <peer> <cid>     dials <peer>, reads the file over bitswap (every block verified),
 *                                         prints `GOT <sha256> <bytes> <get ms> <peer's remote address>`
 */
import { createCipheriv, createHash } from "node:crypto";
import { openHeliaStore } from "../../src/ipfs/index.js";

/** `size` bytes of AES-256-CTR keystream from `seed`: the same in every process, incompressible. */
export function corpusBytes(size: number, seed: string): Uint8Array {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return cipher.update(Buffer.alloc(size));
}

const [mode, dir, listen, a, b] = process.argv.slice(2);
if (mode === "serve") {
  const bytes = corpusBytes(Number(a), b);
  const store = await openHeliaStore({ dir, network: { listen: [listen] } });
  const t0 = performance.now();
  const cid = await store.putFile(bytes, { pin: true });
  const putMs = performance.now() - t0;
  const addr =
    store.multiaddrs().find((m) => m.startsWith(listen.replace(/\/tcp\/0$/, "/tcp/"))) ?? store.multiaddrs()[0];
  process.stdout.write(
    `READY ${cid.toString()} ${addr} ${putMs.toFixed(1)} ${createHash("sha256").update(bytes).digest("hex")}\n`,
  );
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once("end", resolve));
  await store.close();
} else if (mode === "fetch") {
  const store = await openHeliaStore({ dir, network: { listen: [listen], peers: [a] }, timeoutMs: 60_000 });
  const conns = (
    store.helia as unknown as { libp2p: { getConnections(): { remoteAddr: { toString(): string } }[] } }
  ).libp2p.getConnections();
  const t0 = performance.now();
  const got = await store.getFile(b);
  const getMs = performance.now() - t0;
  process.stdout.write(
    `GOT ${createHash("sha256").update(got).digest("hex")} ${got.length} ${getMs.toFixed(1)} ${conns.map((c) => c.remoteAddr.toString()).join(",") || "-"}\n`,
  );
  await store.close();
} else {
  process.stderr.write("usage: ipfs-pair-node.ts serve|fetch ...\n");
  process.exit(2);
}
