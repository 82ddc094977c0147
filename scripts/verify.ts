/**
 * `npm run verify`: verifies every contract of deployments/<chainId>.json on the network's block explorer
 * with hardhat-verify (Etherscan-compatible API). Needs CHORUS_RPC_URL, CHORUS_ETHERSCAN_API_KEY and, for a
 * chain hardhat-verify does not know, CHORUS_CHAIN_ID + CHORUS_EXPLORER_API_URL (+ CHORUS_EXPLORER_URL).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../deploy/index.js";
import { connectChain, loadDeployments } from "../src/chain/index.js";
import { loadConfig } from "../src/config/index.js";

async function main() {
  const config = loadConfig();
  if (config.network !== "custom")
    throw new Error("set CHORUS_NETWORK=custom and CHORUS_RPC_URL to the public network");
  const { chainId } = await connectChain({ rpcUrl: config.chain.rpcUrl! });
  const deployments = loadDeployments(chainId, config.chain.deploymentsFile);
  const bin = path.join(ROOT, "node_modules", ".bin", "hardhat");
  let failed = 0;
  const tmp = mkdtempSync(path.join(os.tmpdir(), "chorus-verify-"));
  for (const [name, c] of Object.entries(deployments.contracts)) {
    console.log(`verifying ${name} at ${c.address}…`);
    // hardhat-verify cannot detect libraries called only from functions: name them in a --libraries module
    const libs: string[] = [];
    if (c.libraries) {
      const file = path.join(tmp, `${name}-libraries.cjs`);
      writeFileSync(file, `module.exports = ${JSON.stringify(c.libraries)};\n`);
      libs.push("--libraries", file);
    }
    try {
      execFileSync(bin, ["verify", "--network", "remote", ...libs, c.address, ...(c.args ?? []).map(String)], {
        cwd: ROOT,
        stdio: "inherit",
      });
    } catch {
      failed++;
      console.error(`verify: ${name} failed (see above)`);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  if (failed > 0) process.exit(1);
}

main().catch((err) => {
  console.error(`verify: ${(err as Error).message}`);
  process.exit(1);
});
