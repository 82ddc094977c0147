/**
 * `npm run subgraph:manifest` / `npm run subgraph:build`: writes subgraph/subgraph.yaml (from
 * subgraph/subgraph.template.yaml) and subgraph/abis/<Contract>.json (the ABIs the deployment recorded) from
 * deployments/<chainId>.json; with --build then runs `graph codegen` and `graph build` in subgraph/ (both
 * offline). Every output is generated and git-ignored.
 *
 *   --network <chainId|name>   which deployments/<chainId>.json (default 31337, the devnet)
 *   --deployments <file>       read this deployments file instead
 *   --network-name <name>      Graph network name (default: known from the chain id, e.g. sepolia)
 *   --artifacts                no deployment: the ABIs of the compiled artifacts (artifacts/), the zero
 *                              address and start block 0. A build check of the mappings against the current
 *                              contracts (what `npm test` runs); the manifest says it must never be deployed.
 *   --build                    then run graph codegen + graph build
 *
 * Without --artifacts a missing deployments file is an error naming it.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Abi } from "viem";
import { ChorusError } from "../src/core/index.js";
import { PROJECT_ROOT } from "../src/chain/deployments.js";
import {
  SUBGRAPH_CONTRACTS,
  chainIdOf,
  inputsFromDeployments,
  placeholderInputs,
  renderManifest,
  type ManifestInputs,
  type SubgraphContract,
} from "./subgraph-manifest-lib.js";

export const SUBGRAPH_DIR = path.join(PROJECT_ROOT, "subgraph");

export interface WriteManifestOptions {
  network?: string;
  deployments?: string;
  networkName?: string;
  /** Placeholder addresses and the compiled artifacts' ABIs instead of a deployments file. */
  artifacts?: boolean;
  log?: (line: string) => void;
}

async function artifactAbis(): Promise<Record<SubgraphContract, Abi>> {
  const abis = {} as Record<SubgraphContract, Abi>;
  for (const name of SUBGRAPH_CONTRACTS) {
    const file = path.join(PROJECT_ROOT, "artifacts", "contracts", `${name}.sol`, `${name}.json`);
    if (!existsSync(file))
      throw new ChorusError("SUBGRAPH_MANIFEST", `no compiled artifact ${file}: run \`npm run compile\` first`, {
        file,
      });
    abis[name] = (JSON.parse(await readFile(file, "utf8")) as { abi: Abi }).abi;
  }
  return abis;
}

/** Writes subgraph/subgraph.yaml and subgraph/abis/*.json; returns the inputs used. */
export async function writeSubgraphManifest(opts: WriteManifestOptions = {}): Promise<ManifestInputs> {
  const log = opts.log ?? (() => {});
  const chainId = chainIdOf(opts.network ?? "31337");
  const file = path.resolve(opts.deployments ?? path.join(PROJECT_ROOT, "deployments", `${chainId}.json`));
  let inputs: ManifestInputs;
  if (opts.artifacts) {
    if (opts.deployments)
      throw new ChorusError("SUBGRAPH_MANIFEST", "--artifacts and --deployments exclude each other", {});
    inputs = placeholderInputs(await artifactAbis(), opts.networkName ?? "hardhat");
    log("subgraph: PLACEHOLDER manifest (zero addresses, ABIs of artifacts/): a build check only, never deploy it");
  } else if (existsSync(file)) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, "utf8"));
    } catch (cause) {
      throw new ChorusError("SUBGRAPH_MANIFEST", `deployments file ${file} is not valid JSON`, { file }, { cause });
    }
    inputs = inputsFromDeployments(json, file, opts.networkName);
    log(`subgraph: ${path.relative(PROJECT_ROOT, file)} on network ${inputs.network}`);
  } else {
    throw new ChorusError(
      "SUBGRAPH_MANIFEST",
      `no deployments file ${file}: deploy first (\`npm start\` for the devnet, \`npm run deploy\` for a real network) or pass --deployments <file>`,
      { file },
    );
  }
  const template = await readFile(path.join(SUBGRAPH_DIR, "subgraph.template.yaml"), "utf8");
  await mkdir(path.join(SUBGRAPH_DIR, "abis"), { recursive: true });
  for (const name of SUBGRAPH_CONTRACTS) {
    await writeFile(
      path.join(SUBGRAPH_DIR, "abis", `${name}.json`),
      JSON.stringify(inputs.contracts[name].abi, null, 2) + "\n",
    );
  }
  await writeFile(path.join(SUBGRAPH_DIR, "subgraph.yaml"), renderManifest(template, inputs));
  return inputs;
}

/** Runs `graph <args>` in subgraph/ (graph-cli from node_modules); rejects on a non-zero exit. */
export function runGraph(args: string[], opts: { signal?: AbortSignal; quiet?: boolean } = {}): Promise<void> {
  const bin = path.join(PROJECT_ROOT, "node_modules", ".bin", "graph");
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: SUBGRAPH_DIR,
      stdio: opts.quiet ? ["ignore", "pipe", "pipe"] : "inherit",
      signal: opts.signal,
    });
    let output = "";
    child.stdout?.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr?.on("data", (b: Buffer) => (output += b.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(
            new ChorusError(
              "SUBGRAPH_BUILD",
              `graph ${args.join(" ")} exited with ${code}${output ? `:\n${output.slice(-4000)}` : ""}`,
              { code },
            ),
          ),
    );
  });
}

/** graph codegen + graph build in subgraph/ (needs subgraph.yaml from writeSubgraphManifest). */
export async function buildSubgraph(opts: { signal?: AbortSignal; quiet?: boolean } = {}): Promise<void> {
  await runGraph(["codegen"], opts);
  await runGraph(["build"], opts);
}

async function main() {
  const { values } = parseArgs({
    options: {
      network: { type: "string" },
      deployments: { type: "string" },
      "network-name": { type: "string" },
      artifacts: { type: "boolean" },
      build: { type: "boolean" },
    },
    strict: true,
  });
  await writeSubgraphManifest({
    network: values.network,
    deployments: values.deployments,
    networkName: values["network-name"],
    artifacts: values.artifacts,
    log: (l) => console.error(l),
  });
  if (values.build) await buildSubgraph();
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(fileURLToPath(import.meta.url))) {
  main().catch((err) => {
    console.error(`subgraph-manifest: ${(err as Error).message}`);
    process.exit(1);
  });
}
