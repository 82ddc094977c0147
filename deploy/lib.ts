/**
 * Deployment machinery shared by the numbered deploy scripts (deploy/NN_*.ts). A script receives a
 * DeployContext and deploys or configures contracts through it; the runner (deploy/index.ts) executes the
 * scripts in order and returns a Deployments record that scripts/deploy.ts writes to
 * deployments/<chainId>.json, the file src/ reads. Works against any viem transport: Hardhat's in-process
 * network in tests, the devnet node, or a real RPC URL.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The deployments file's shape is the one src/ reads (src/chain/deployments.ts). */
export type { DeployedContract, Deployments } from "../src/chain/deployments.js";
import type { DeployedContract, Deployments } from "../src/chain/deployments.js";

export interface DeployParams {
  /** Receives slashed stake; defaults to the deployer. */
  treasury?: Address;
  /** Minimum stake in token wei. */
  minStake: bigint;
  /** Seconds between requestUnstake and withdraw. */
  thawingPeriod: number;
  /** Tokens minted to the deployer for the devnet / tests (0 on real networks). */
  initialMint: bigint;
  /** CapabilityRegistry curator (publishes suites, reveals keys); defaults to the deployer. */
  curator?: Address;
  /** Accounts that may settle rounds of any coordinator (coordinators always settle their own). */
  settlers: Address[];
  /** Disputes arbitrator; defaults to the deployer. */
  arbitrator?: Address;
  /** Share of an equivocating node's stake slashed, in basis points. */
  equivocationSlashBps: number;
  /** Share of an equivocation slash paid to the prover, in basis points. */
  equivocationRewardBps: number;
  /** Share of each signer's stake slashed when a false-result dispute is upheld, in basis points. */
  falseResultSlashBps: number;
  /** Share of each such slash paid to the disputer, in basis points. */
  falseResultRewardBps: number;
  /** Deposit of an arbitrated dispute, in token wei. */
  disputeDeposit: bigint;
  /** Seconds after an epoch settles during which its rounds can be disputed (statute of limitations). */
  disputeWindow: number;
  /** Seconds the arbitrator has to resolve a dispute. */
  arbitrationPeriod: number;
  /** Seconds per weight period of the committee draw (Settlement). */
  periodLength: number;
  /** Expected seats of a committee (tau of the sortition). */
  committeeSeats: number;
  /** Fewest members a settled record may list. */
  minCommittee: number;
  /** Most CHR wei that can ever exist (ChorusToken's hard cap). */
  supplyCap: bigint;
  /** Close minting for good right after the genesis mint (real networks); the cap holds either way. */
  closeMinting: boolean;
  /** Seconds a default-admin transfer of ChorusToken, CapabilityRegistry, SourceRegistry and Disputes waits (0 on a devnet). */
  adminDelay: number;
  /** The governance timelock's minimum delay in seconds (0 on a devnet). */
  timelockDelay: number;
  /** Who may schedule timelock operations; defaults to the deployer. Anyone may execute a ready one. */
  proposers?: Address[];
  /** Bond each calibration attempt locks, in token wei. */
  attemptBond: bigint;
  /** Share of a failed attempt's bond forfeited to the treasury, in basis points. */
  failForfeitBps: number;
  /** Seconds after grading during which the arbitrator may revoke a pass; defaults to the dispute window. */
  revocationWindow?: number;
  /** Bond a data source posts to register, in token wei. */
  sourceBond: bigint;
  /** Seconds a source's bond stays locked after it leaves; defaults to dispute window + arbitration period. */
  sourceUnbondingDelay?: number;
  /** Most of a signer's stake upheld disputes may take for one round, in basis points (<= 5_000). */
  maxSlashPerRoundBps: number;
  /** Extra numbered-script parameters (later contracts read theirs from here). */
  [key: string]: unknown;
}

export const DEFAULT_PARAMS: DeployParams = {
  minStake: 1_000n * 10n ** 18n,
  // never shorter than disputeWindow + arbitrationPeriod: NodeRegistry refuses it once Disputes is set
  thawingPeriod: 14 * 24 * 3600,
  initialMint: 0n,
  settlers: [],
  equivocationSlashBps: 5_000,
  equivocationRewardBps: 5_000,
  falseResultSlashBps: 1_000,
  falseResultRewardBps: 5_000,
  disputeDeposit: 100n * 10n ** 18n,
  disputeWindow: 7 * 24 * 3600,
  arbitrationPeriod: 3 * 24 * 3600,
  periodLength: 3600,
  committeeSeats: 7,
  minCommittee: 3,
  supplyCap: 1_000_000_000n * 10n ** 18n,
  closeMinting: false,
  adminDelay: 24 * 3600,
  timelockDelay: 2 * 24 * 3600,
  attemptBond: 10n * 10n ** 18n,
  failForfeitBps: 5_000,
  sourceBond: 100n * 10n ** 18n,
  maxSlashPerRoundBps: 2_000,
};

export interface DeployContext {
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account>;
  params: DeployParams;
  deployments: Deployments;
  log: (line: string) => void;
  /** Deploy `name` (a contract in contracts/, or a library in contracts/libraries/) and record it; `libraries` maps
   *  the names of the external libraries it links to their recorded deployments. */
  deploy(name: string, args?: readonly unknown[], libraries?: readonly string[]): Promise<DeployedContract>;
  /** Send a transaction to a recorded contract and wait for it. */
  send(name: string, functionName: string, args?: readonly unknown[]): Promise<Hex>;
  /** Read from a recorded contract. */
  read<T = unknown>(name: string, functionName: string, args?: readonly unknown[]): Promise<T>;
}

interface Artifact {
  contractName: string;
  abi: Abi;
  bytecode: Hex;
  /** Where the bytecode holds each external library's address: source file -> library -> byte ranges. */
  linkReferences?: Record<string, Record<string, { start: number; length: number }[]>>;
}

export async function loadArtifact(name: string): Promise<Artifact> {
  const candidates = [path.join("contracts", `${name}.sol`), path.join("contracts", "libraries", `${name}.sol`)];
  for (const source of candidates) {
    const file = path.join(ROOT, "artifacts", source, `${name}.json`);
    try {
      return JSON.parse(await readFile(file, "utf8")) as Artifact;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw cause;
    }
  }
  throw new Error(`no compiled artifact for ${name} under artifacts/contracts: run \`npm run compile\` first`);
}

/** `artifact`'s bytecode with each external library's placeholder replaced by its address in `addresses`. */
export function linkBytecode(artifact: Artifact, addresses: Record<string, Hex>): Hex {
  let code = artifact.bytecode.slice(2);
  for (const libs of Object.values(artifact.linkReferences ?? {})) {
    for (const [lib, ranges] of Object.entries(libs)) {
      const address = addresses[lib] as Hex | undefined;
      if (!address) throw new Error(`${artifact.contractName} links library ${lib}: deploy it first and name it`);
      for (const { start, length } of ranges) {
        code = code.slice(0, start * 2) + address.slice(2).toLowerCase() + code.slice((start + length) * 2);
      }
    }
  }
  if (code.includes("__$")) throw new Error(`${artifact.contractName} has an unlinked library placeholder`);
  return `0x${code}`;
}

export function createDeployContext(opts: {
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account>;
  params: DeployParams;
  chainId: number;
  log?: (line: string) => void;
}): DeployContext {
  const { publicClient, walletClient, params } = opts;
  const deployments: Deployments = {
    chainId: opts.chainId,
    deployer: walletClient.account.address,
    startBlock: 0,
    params: {},
    contracts: {},
  };
  const log = opts.log ?? (() => {});
  const wait = async (hash: Hex) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  };
  const recorded = (name: string) => {
    const c = deployments.contracts[name] as DeployedContract | undefined;
    if (!c) throw new Error(`deploy script asked for ${name} before it was deployed`);
    return c;
  };
  return {
    publicClient,
    walletClient,
    params,
    deployments,
    log,
    async deploy(name, args = [], libraries = []) {
      const artifact = await loadArtifact(name);
      const addresses = Object.fromEntries(libraries.map((lib) => [lib, recorded(lib).address]));
      const bytecode = linkBytecode(artifact, addresses);
      const hash = await walletClient.deployContract({ abi: artifact.abi, bytecode, args });
      const receipt = await wait(hash);
      if (!receipt.contractAddress) throw new Error(`deployment of ${name} returned no address`);
      const entry: DeployedContract = {
        address: receipt.contractAddress,
        abi: artifact.abi,
        blockNumber: Number(receipt.blockNumber),
        txHash: hash,
        args: args.map((a) => (typeof a === "bigint" ? a.toString() : a)),
        ...(libraries.length > 0 ? { libraries: addresses } : {}),
      };
      if (Object.keys(deployments.contracts).length === 0) deployments.startBlock = entry.blockNumber;
      deployments.contracts[name] = entry;
      log(`deployed ${name} at ${entry.address}`);
      return entry;
    },
    async send(name, functionName, args = []) {
      const c = recorded(name);
      const hash = await walletClient.writeContract({ address: c.address, abi: c.abi, functionName, args });
      await wait(hash);
      return hash;
    },
    async read(name, functionName, args = []) {
      const c = recorded(name);
      return (await publicClient.readContract({ address: c.address, abi: c.abi, functionName, args })) as never;
    },
  };
}

/** Writes deployments/<chainId>.json (bigints as decimal strings); returns the file path. */
export async function writeDeployments(d: Deployments, dir = path.join(ROOT, "deployments")): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${d.chainId}.json`);
  await writeFile(file, JSON.stringify(d, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
  return file;
}
