import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Address, Hex } from "viem";
import { ChorusError } from "../core/index.js";

/** Project root (where deployments/ lives). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface DeployedContract {
  address: Address;
  abi: Abi;
  blockNumber: number;
  txHash: Hex;
  /** Constructor arguments (bigints as decimal strings). */
  args?: unknown[];
  /** External libraries linked into the bytecode: name -> address (block-explorer verification needs them). */
  libraries?: Record<string, Address>;
}

/** The file deploy/ writes: deployments/<chainId>.json. */
export interface Deployments {
  chainId: number;
  deployer: Address;
  startBlock: number;
  params: Record<string, string | number>;
  contracts: Record<string, DeployedContract>;
}

/** The package's own deployments file for `chainId` (public networks commit theirs there). */
export function deploymentsPath(chainId: number): string {
  return path.join(PROJECT_ROOT, "deployments", `${chainId}.json`);
}

/**
 * Where a deployment of `chainId` is looked for when no file is named, first found wins: `./deployments/` in the
 * working directory, `~/.chorus/deployments/`, then the package's own `deployments/`
 * (the devnet writes there; a global install finds it through its link). None depends on where the command runs.
 */
export function deploymentsCandidates(chainId: number): string[] {
  const all = [
    path.resolve("deployments", `${chainId}.json`),
    path.join(os.homedir(), ".chorus", "deployments", `${chainId}.json`),
    deploymentsPath(chainId),
  ];
  return [...new Set(all)];
}

/** Reads and sanity-checks a deployments file (`file`, or the first of `deploymentsCandidates`). */
export function loadDeployments(chainId: number, file?: string): Deployments {
  const tried = file ? [file] : deploymentsCandidates(chainId);
  let text: string | undefined;
  for (const candidate of tried) {
    try {
      text = readFileSync(candidate, "utf8");
      file = candidate;
      break;
    } catch {
      /* next */
    }
  }
  if (text === undefined || file === undefined) {
    throw new ChorusError(
      "DEPLOYMENTS_MISSING",
      `no Chorus deployment for chain ${chainId} (looked for ${tried.join(", ")}); deploy first with \`npm start\` (devnet) or \`npm run deploy\`, or name the file with --deployments / CHORUS_DEPLOYMENTS`,
      { chainId, tried },
    );
  }
  let d: Deployments;
  try {
    d = JSON.parse(text) as Deployments;
  } catch (cause) {
    throw new ChorusError("DEPLOYMENTS_INVALID", `deployments file ${file} is not valid JSON`, { file }, { cause });
  }
  if (d.chainId !== chainId) {
    throw new ChorusError("DEPLOYMENTS_INVALID", `deployments file ${file} is for chain ${d.chainId}, not ${chainId}`, {
      file,
      chainId,
      fileChainId: d.chainId,
    });
  }
  return d;
}

/** The entry for `name`, or a clear error naming what the deployment lacks. */
export function contractOf(d: Deployments, name: string): DeployedContract {
  if (!Object.hasOwn(d.contracts, name)) {
    throw new ChorusError("DEPLOYMENTS_INVALID", `deployment for chain ${d.chainId} has no ${name} contract`, {
      chainId: d.chainId,
      name,
    });
  }
  return d.contracts[name];
}
