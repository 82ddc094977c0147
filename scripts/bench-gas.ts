/**
 * `npm run bench:gas`: gas per operation, one `BENCH gas_<operation> <gas> gas` line each. Runs every module
 * under scripts/gas/ (each deploys its own contracts on Hardhat's in-process network).
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "gas");
const modules = (await readdir(dir)).filter((f) => f.endsWith(".ts")).sort();
for (const file of modules) {
  const mod = (await import(path.join(dir, file))) as { default: () => Promise<string[]> };
  for (const line of await mod.default()) console.log(line);
}
