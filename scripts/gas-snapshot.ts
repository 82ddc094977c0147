/**
 * The committed gas snapshot (`gas-snapshot.json`): every `BENCH gas_*` figure of `npm run bench:gas`.
 *
 *   npm run gas:check      runs the gas benches and fails (exit 1) on any figure more than 1% above the snapshot,
 *                          or on a figure the snapshot lacks or has that the benches no longer print; part of
 *                          `npm test`, so a gas regression fails CI unless the same commit updates the snapshot
 *   npm run gas:snapshot   rewrites the snapshot from a fresh run (commit it with the change that moved gas)
 *
 * Decreases are reported, not failed: update the snapshot to lock them in. Figures move by up to 0.3% between runs
 * (seen: gas_source_update_single ±24 gas): seeds come from block hashes, which depend on block times, so
 * signatures hold a varying number of zero bytes (4 gas instead of 16 each). The 1% tolerance is above that noise.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SNAPSHOT = path.join(ROOT, "gas-snapshot.json");
/** Largest increase accepted without a new snapshot, as a fraction. */
const TOLERANCE = 0.01;

async function measure(): Promise<Record<string, number>> {
  const dir = path.join(ROOT, "scripts", "gas");
  const out: Record<string, number> = {};
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".ts")).sort()) {
    const mod = (await import(path.join(dir, file))) as { default: () => Promise<string[]> };
    for (const line of await mod.default()) {
      const m = /^BENCH (gas_\w+) (\d+) gas$/.exec(line);
      if (!m) throw new Error(`scripts/gas/${file} printed a line that is not a gas figure: ${line}`);
      out[m[1]] = Number(m[2]);
    }
  }
  return out;
}

async function main(): Promise<number> {
  const write = process.argv.includes("--write");
  const now = await measure();
  if (write) {
    await writeFile(SNAPSHOT, `${JSON.stringify(Object.fromEntries(Object.entries(now).sort()), null, 2)}\n`);
    console.log(`gas-snapshot.json: ${Object.keys(now).length} figures written`);
    return 0;
  }
  let snap: Record<string, number>;
  try {
    snap = JSON.parse(await readFile(SNAPSHOT, "utf8")) as Record<string, number>;
  } catch (cause) {
    console.error(`gas:check: cannot read ${SNAPSHOT} (${(cause as Error).message}); run npm run gas:snapshot`);
    return 1;
  }
  const problems: string[] = [];
  for (const [name, value] of Object.entries(now)) {
    const before = snap[name] as number | undefined;
    if (before === undefined) {
      problems.push(`${name} ${value} gas is not in the snapshot`);
      continue;
    }
    const change = (value - before) / before;
    const line = `${name} ${before} -> ${value} gas (${change >= 0 ? "+" : ""}${(change * 100).toFixed(2)}%)`;
    if (change > TOLERANCE) problems.push(`${line}: above the ${TOLERANCE * 100}% tolerance`);
    else if (value !== before) console.log(`gas:check: ${line}`);
  }
  for (const name of Object.keys(snap))
    if (!(name in now)) problems.push(`${name} is in the snapshot but no bench prints it`);
  for (const p of problems) console.error(`gas:check: ${p}`);
  if (problems.length > 0) {
    console.error(
      "gas:check: if the change is intended, run `npm run gas:snapshot` and commit gas-snapshot.json with it",
    );
    return 1;
  }
  console.log(`gas:check: ${Object.keys(now).length} figures within ${TOLERANCE * 100}% of gas-snapshot.json`);
  return 0;
}

process.exitCode = await main();
