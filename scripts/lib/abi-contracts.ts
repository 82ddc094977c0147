/** The contracts whose ABIs src/ uses typed (src/chain/abi), and where Hardhat writes their artifacts. */
import path from "node:path";

/** Deployed contracts (deploy/NN_*.ts) plus the EpochFinality library, whose custom errors Settlement bubbles up. */
export const ABI_CONTRACTS = [
  "ChorusTimelock",
  "ChorusToken",
  "NodeRegistry",
  "CapabilityRegistry",
  "SourceRegistry",
  "Settlement",
  "Omissions",
  "Disputes",
  "GoldRegistry",
  "EpochFinality",
] as const;

export type AbiContract = (typeof ABI_CONTRACTS)[number];

const LIBRARIES: ReadonlySet<string> = new Set(["EpochFinality"]);

/** `Settlement` -> `settlementAbi`. */
export function abiConstName(name: string): string {
  return `${name[0].toLowerCase()}${name.slice(1)}Abi`;
}

export function artifactPath(root: string, name: string): string {
  const dir = LIBRARIES.has(name) ? path.join("contracts", "libraries") : "contracts";
  return path.join(root, "artifacts", dir, `${name}.sol`, `${name}.json`);
}
