/**
 * `npm start`: the whole devnet on this machine, every server on 127.0.0.1. Starts a Hardhat node, compiles
 * and deploys the contracts with the real deploy scripts, funds and stakes the local node identities, prints
 * what runs and what to try, and stops everything it started (by PID) on Ctrl-C.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { formatEther } from "viem";
import { z } from "zod";
import { ROOT } from "../deploy/index.js";
import { deployDevnet, startHardhatNode } from "./lib/devnet-chain.js";
import { stopAll } from "./lib/processes.js";

const NODE_COUNT = 5;
const DevnetEnv = z.object({
  CHORUS_DEVNET_PORT: z.coerce.number().int().min(1).max(65535).default(8545),
  CHORUS_DEVNET_DEPLOYMENTS_DIR: z.string().min(1).optional(),
});
const parsedEnv = DevnetEnv.safeParse(process.env);
if (!parsedEnv.success) {
  const issue = parsedEnv.error.issues[0];
  process.stderr.write(`[devnet] ${issue.path.join(".")}: ${issue.message}\n`);
  process.exit(1);
}
const devnetEnv = parsedEnv.data;
const CHAIN_PORT = devnetEnv.CHORUS_DEVNET_PORT;
const NODE_BASE_PORT = 7001;

const log = (line: string) => process.stdout.write(`[devnet] ${line}\n`);

let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log("stopping everything the devnet started…");
    await stopAll();
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function run(): Promise<void> {
  log("compiling contracts…");
  execFileSync(path.join(ROOT, "node_modules", ".bin", "hardhat"), ["compile", "--quiet"], { cwd: ROOT, stdio: "inherit" });
  log(`starting the chain (Hardhat node) on 127.0.0.1:${CHAIN_PORT}…`);
  const rpcUrl = await startHardhatNode(CHAIN_PORT, log);
  log("deploying contracts and staking the node identities…");
  const devnet = await deployDevnet({
    rpcUrl,
    nodeCount: NODE_COUNT,
    nodeEndpoint: (i) => `http://127.0.0.1:${NODE_BASE_PORT + i - 1}`,
    deploymentsDir: devnetEnv.CHORUS_DEVNET_DEPLOYMENTS_DIR,
    log,
  });

  const lines = [
    "",
    "Chorus devnet is up.",
    `  chain        ${rpcUrl} (chain id 31337)`,
    `  deployments  ${path.relative(process.cwd(), devnet.deploymentsFile)}`,
    ...Object.entries(devnet.deployments.contracts).map(([name, c]) => `  ${name.padEnd(12)} ${c.address}`),
    `  nodes        ${devnet.nodes.length} staked:`,
    ...devnet.nodes.map(
      (n) => `    #${n.index} ${n.account.address}  ${formatEther(n.staked)} CHR  ${n.endpoint}`,
    ),
    "",
    "Try, in another terminal:",
    "  npx chorus nodes",
    `  npx chorus node info ${devnet.nodes[0].account.address}`,
    "  npx chorus --dev-account 9 stake 150 --endpoint http://127.0.0.1:7099   # fails: account 9 holds no CHR",
    "",
    "Press Ctrl-C to stop everything.",
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

run().catch(async (err) => {
  process.stderr.write(`[devnet] failed: ${(err as Error).message}\n`);
  await shutdown(1);
});
