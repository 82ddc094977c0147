/**
 * `npm run bench:ipfs`: the embedded Helia artifact store (the default backend) on a fresh directory.
 *
 *   ipfs_put_1kb_ms / ipfs_get_1kb_ms   median of 200 puts / verified gets of distinct ~1 KiB dag-json artifacts
 *   ipfs_put_1mb_ms / ipfs_get_1mb_ms   median of 20 puts / verified gets of distinct 1 MiB raw blocks
 *   ipfs_store_open_ms                  median of 3 fresh processes: import src/ipfs + open the store
 *                                       (helia is imported lazily inside open)
 *   ipfs_put_20mb_ms                    one putFile (UnixFS, 256 KiB chunks, pinned) of a 20 MiB corpus file on a
 *                                       networked node (node A of scripts/lib/ipfs-pair.ts)
 *   ipfs_get_20mb_remote_ms             node B, in another network namespace (10.77.0.11; or 127.0.0.2 when
 *                                       namespaces cannot be made: stderr says which), reads it from A over
 *                                       bitswap, every block verified: one run, dial included
 *
 * stdout holds only the `BENCH <name> <value> <unit>` lines; details go to stderr.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const here = fileURLToPath(import.meta.url);

if (process.argv[2] === "--open-child") {
  // Cold: nothing of src/ipfs or helia is loaded in this process yet.
  const t0 = performance.now();
  const { openHeliaStore } = await import("../src/ipfs/index.js");
  const store = await openHeliaStore({ dir: process.argv[3] });
  const ms = performance.now() - t0;
  await store.close();
  process.stdout.write(String(ms));
  process.exit(0);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const line = (name: string, value: number, unit: string) =>
  process.stdout.write(`BENCH ${name} ${value.toFixed(2)} ${unit}\n`);

const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-bench-ipfs-"));
try {
  const opens: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", here, "--open-child", path.join(dir, `open${i}`)],
      {
        cwd: path.resolve(path.dirname(here), ".."),
      },
    );
    opens.push(Number(stdout));
  }
  process.stderr.write(`store open (fresh processes): ${opens.map((x) => x.toFixed(0)).join(", ")} ms\n`);

  const { openHeliaStore } = await import("../src/ipfs/index.js");
  const store = await openHeliaStore({ dir: path.join(dir, "store") });
  try {
    const doc = (i: number) => ({
      kind: "answer",
      round: i,
      node: `0x${i.toString(16).padStart(40, "0")}`,
      text: "x".repeat(900) + String(i),
    });
    const bench = async (
      label: string,
      n: number,
      make: (i: number) => unknown,
      put: (v: unknown) => Promise<unknown>,
      get: (c: unknown) => Promise<unknown>,
    ) => {
      for (let i = 0; i < 5; i++) await get(await put(make(-1 - i)));
      const puts: number[] = [];
      const gets: number[] = [];
      const cids: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const v = make(i);
        const t = performance.now();
        cids.push(await put(v));
        puts.push(performance.now() - t);
      }
      for (const c of cids) {
        const t = performance.now();
        await get(c);
        gets.push(performance.now() - t);
      }
      process.stderr.write(`${label}: ${n} puts, ${n} gets (embedded Helia, filesystem blockstore)\n`);
      return { put: median(puts), get: median(gets) };
    };
    const small = await bench(
      "1 KiB dag-json",
      200,
      doc,
      (v) => store.putJson(v),
      (c) => store.getJson(c as string),
    );
    const big = await bench(
      "1 MiB raw",
      20,
      () => randomBytes(1024 * 1024),
      (v) => store.putBytes(v as Uint8Array),
      (c) => store.get(c as string),
    );
    line("ipfs_put_1kb_ms", small.put, "ms");
    line("ipfs_get_1kb_ms", small.get, "ms");
    line("ipfs_put_1mb_ms", big.put, "ms");
    line("ipfs_get_1mb_ms", big.get, "ms");
    line("ipfs_store_open_ms", median(opens), "ms");
  } finally {
    await store.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const { transferBetweenHosts } = await import("./lib/ipfs-pair.js");
const pair = await transferBetweenHosts(20 * 1024 * 1024);
process.stderr.write(
  `20 MiB transfer: ${pair.mode} ${pair.addresses.join(" -> ")}${pair.reason ? ` (${pair.reason})` : ""}, cid ${pair.cid}, sha256 match ${pair.shaA === pair.shaB}\n`,
);
if (pair.shaA !== pair.shaB || pair.bytes !== 20 * 1024 * 1024)
  throw new Error("the 20 MiB transfer did not deliver the same bytes");
line("ipfs_put_20mb_ms", pair.putMs, "ms");
line("ipfs_get_20mb_remote_ms", pair.getMs, "ms");
