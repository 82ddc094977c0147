/**
 * The pure part of `npm run subgraph:manifest`: which contracts the subgraph indexes, the Graph network
 * name of a chain id, validation of a deployments file's entries (zod), and rendering of
 * subgraph/subgraph.template.yaml's `{{network}}`, `{{<Contract>.address}}` and `{{<Contract>.startBlock}}`.
 * No I/O: scripts/subgraph-manifest.ts reads and writes the files.
 */
import { getAddress, isAddress, zeroAddress, type Abi } from "viem";
import { z } from "zod";
import { ChorusError } from "../src/core/index.js";

/** The contracts with a data source (and a mapping file) in the subgraph, in deploy order. */
export const SUBGRAPH_CONTRACTS = [
  "NodeRegistry",
  "CapabilityRegistry",
  "SourceRegistry",
  "Settlement",
  "Disputes",
] as const;
export type SubgraphContract = (typeof SUBGRAPH_CONTRACTS)[number];

/** Graph network names (as graph-node and Subgraph Studio call them) of the chains we know. */
export const GRAPH_NETWORKS: Readonly<Record<number, string>> = {
  1: "mainnet",
  10: "optimism",
  137: "matic",
  8453: "base",
  42161: "arbitrum-one",
  84532: "base-sepolia",
  421614: "arbitrum-sepolia",
  11155111: "sepolia",
  11155420: "optimism-sepolia",
  31337: "hardhat",
};

/** What the template needs for one contract. */
export interface SubgraphSource {
  address: string;
  startBlock: number;
  abi: Abi;
}

export interface ManifestInputs {
  network: string;
  /** True when addresses are placeholders (build check only, never deploy). */
  placeholder: boolean;
  contracts: Record<SubgraphContract, SubgraphSource>;
}

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new ChorusError("SUBGRAPH_MANIFEST", message, details);
};

/** The Graph network name for `chainId`, or a clear error asking for `--network-name`. */
export function graphNetworkName(chainId: number, override?: string): string {
  if (override !== undefined) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(override))
      fail(`network name "${override}" must be lower-case letters, digits and dashes`);
    return override;
  }
  const name = GRAPH_NETWORKS[chainId];
  if (!name)
    fail(`no known Graph network name for chain ${chainId}; pass --network-name <name as your Graph Node calls it>`, {
      chainId,
    });
  return name;
}

/** A chain id from `--network` (a number or a known network name). */
export function chainIdOf(network: string): number {
  if (/^\d+$/.test(network)) return Number(network);
  const hit = Object.entries(GRAPH_NETWORKS).find(([, name]) => name === network);
  if (!hit)
    fail(`unknown network "${network}": give a chain id or one of ${Object.values(GRAPH_NETWORKS).join(", ")}`, {
      network,
    });
  return Number(hit![0]);
}

const Entry = z.object({
  address: z.string().refine((a) => isAddress(a, { strict: false }), "must be an address"),
  blockNumber: z.number().int().nonnegative(),
  abi: z.array(z.object({ type: z.string() }).loose()).min(1),
});
const DeploymentsShape = z.object({
  chainId: z.number().int().positive(),
  contracts: z.record(z.string(), z.unknown()),
});

/** Manifest inputs from a parsed deployments file (deployments/<chainId>.json); `file` names it in errors. */
export function inputsFromDeployments(json: unknown, file: string, networkName?: string): ManifestInputs {
  const d = DeploymentsShape.safeParse(json);
  if (!d.success)
    fail(
      `${file} is not a deployments file: ${d.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      { file },
    );
  const contracts = {} as Record<SubgraphContract, SubgraphSource>;
  for (const name of SUBGRAPH_CONTRACTS) {
    const raw = d.data!.contracts[name];
    if (raw === undefined)
      fail(`${file} has no ${name} contract (the subgraph indexes ${SUBGRAPH_CONTRACTS.join(", ")})`, { file, name });
    const e = Entry.safeParse(raw);
    if (!e.success)
      fail(`${file}: contracts.${name}: ${e.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, {
        file,
        name,
      });
    contracts[name] = {
      address: getAddress(e.data!.address),
      startBlock: e.data!.blockNumber,
      abi: e.data!.abi as unknown as Abi,
    };
  }
  return { network: graphNetworkName(d.data!.chainId, networkName), placeholder: false, contracts };
}

/**
 * Placeholder inputs for a build check without a deployment: the ABIs of the compiled artifacts, the zero
 * address and start block 0 on network `network`. Such a manifest compiles the mappings against the real
 * events; it indexes nothing and must never be deployed.
 */
export function placeholderInputs(abis: Record<SubgraphContract, Abi>, network = "hardhat"): ManifestInputs {
  const contracts = {} as Record<SubgraphContract, SubgraphSource>;
  for (const name of SUBGRAPH_CONTRACTS) contracts[name] = { address: zeroAddress, startBlock: 0, abi: abis[name] };
  return { network: graphNetworkName(0, network), placeholder: true, contracts };
}

/** The template with every placeholder filled; unknown or unfilled placeholders are errors. */
export function renderManifest(template: string, inputs: ManifestInputs): string {
  const values = new Map<string, string>([["network", inputs.network]]);
  for (const name of SUBGRAPH_CONTRACTS) {
    values.set(`${name}.address`, inputs.contracts[name].address);
    values.set(`${name}.startBlock`, String(inputs.contracts[name].startBlock));
  }
  const used = new Set<string>();
  const out = template.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (_m, key: string) => {
    const v = values.get(key);
    if (v === undefined) fail(`subgraph template names {{${key}}}, which the manifest script does not fill`, { key });
    used.add(key);
    return v!;
  });
  const unused = [...values.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) fail(`subgraph template lacks ${unused.map((k) => `{{${k}}}`).join(", ")}`, { unused });
  const header = inputs.placeholder
    ? "# GENERATED by scripts/subgraph-manifest.ts with PLACEHOLDER addresses (no deployments file): a build check only, never deploy.\n"
    : "# GENERATED by scripts/subgraph-manifest.ts from the deployments file; edit subgraph.template.yaml instead.\n";
  return header + out;
}
