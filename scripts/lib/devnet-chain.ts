/**
 * The devnet's chain: a Hardhat node on 127.0.0.1, the contracts deployed by the real deploy scripts, and
 * node identities funded and staked. Used by `npm start` and by benches that want a real JSON-RPC chain.
 */
import path from "node:path";
import { createPublicClient, createWalletClient, http, parseEther, toHex, type Account, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { deployAll, writeDeployments, ROOT, type Deployments } from "../../deploy/index.js";
import { portInUse, startProcess, waitFor } from "./processes.js";

export const DEVNET_MNEMONIC = "test test test test test test test test test test test junk";
export const devAccount = (i: number): Account => mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: i });

/**
 * Settlement parameters of the devnet: 10-minute weight periods (a node staked now is drawn from the next period
 * on; a batch's records settle within 10 to 20 minutes), 7 expected seats (the 5 devnet nodes are all drawn, about
 * 1.4 seats each), at least 3 members.
 */
export const DEVNET_SETTLEMENT = { periodLength: 600, committeeSeats: 7, minCommittee: 3 };

/**
 * Makes the devnet chain ready for rounds: moves its clock to the start of the next weight period (committees
 * weigh nodes as they were when the period began, so the nodes staked during setup are drawn at once), and turns
 * on interval mining (a block per second besides one per transaction) so the seed block of a batch reserved by
 * `Settlement.openBatch` is mined without waiting for another transaction.
 */
export async function enterNextPeriod(rpcUrl: string, deployments: Deployments, log: (l: string) => void): Promise<void> {
  const client = createPublicClient({ chain: hardhat, transport: http(rpcUrl, { retryCount: 0 }) });
  const s = deployments.contracts.Settlement;
  const length = (await client.readContract({ address: s.address, abi: s.abi, functionName: "periodLength" })) as bigint;
  const now = (await client.getBlock({ blockTag: "latest" })).timestamp;
  const next = (now / length + 1n) * length;
  await client.request({ method: "evm_setNextBlockTimestamp" as never, params: [toHex(next)] as never });
  await client.request({ method: "evm_mine" as never, params: [] as never });
  await client.request({ method: "evm_setIntervalMining" as never, params: [1000] as never });
  log(`chain clock moved to weight period ${next / length} (periods of ${length} s); a block every second`);
}

export interface DevnetChain {
  rpcUrl: string;
  deployments: Deployments;
  deploymentsFile: string;
  nodes: { index: number; account: Account; endpoint: string; staked: bigint }[];
}

export async function startHardhatNode(port: number, log: (l: string) => void): Promise<string> {
  if (await portInUse(port)) {
    throw new Error(`port ${port} on 127.0.0.1 is already in use: stop what runs there (another devnet?) or set CHORUS_DEVNET_PORT`);
  }
  const bin = path.join(ROOT, "node_modules", ".bin", "hardhat");
  startProcess("hardhat node", bin, ["node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: ROOT,
    onLine: (l) => {
      if (/error/i.test(l)) log(`hardhat node: ${l}`);
    },
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const client = createPublicClient({ chain: hardhat, transport: http(rpcUrl, { retryCount: 0 }) });
  await waitFor("hardhat node", async () => (await client.getChainId()) === hardhat.id, 60_000);
  return rpcUrl;
}

export async function deployDevnet(opts: {
  rpcUrl: string;
  nodeCount: number;
  nodeEndpoint: (i: number) => string;
  stakePerNode?: bigint;
  /** Where deployments/<chainId>.json goes (default: the project's deployments/). */
  deploymentsDir?: string;
  log: (l: string) => void;
}): Promise<DevnetChain> {
  const transport = http(opts.rpcUrl);
  const publicClient = createPublicClient({ chain: hardhat, transport });
  const deployer = createWalletClient({ chain: hardhat, transport, account: devAccount(0) });
  const deployments = await deployAll({
    publicClient: publicClient,
    walletClient: deployer,
    // a devnet: no admin or timelock delay, so the deploy scripts hand governance to the timelock at once
    // thawing covers the dispute window + arbitration (NodeRegistry refuses less once Disputes is set)
    params: {
      minStake: parseEther("100"),
      thawingPeriod: 120,
      disputeWindow: 60,
      arbitrationPeriod: 60,
      initialMint: parseEther("1000000"),
      adminDelay: 0,
      timelockDelay: 0,
      ...DEVNET_SETTLEMENT,
    },
    log: opts.log,
  });
  const deploymentsFile = await writeDeployments(deployments, opts.deploymentsDir);
  const token = deployments.contracts.ChorusToken;
  const registry = deployments.contracts.NodeRegistry;
  const stake = opts.stakePerNode ?? parseEther("500");
  const nodes: DevnetChain["nodes"] = [];
  for (let i = 1; i <= opts.nodeCount; i++) {
    const account = devAccount(i);
    const wallet = createWalletClient({ chain: hardhat, transport, account });
    const send = async (hash: `0x${string}`) => {
      const r = await publicClient.waitForTransactionReceipt({ hash });
      if (r.status !== "success") throw new Error(`devnet setup transaction ${hash} reverted`);
    };
    await send(
      await deployer.writeContract({
        address: token.address,
        abi: token.abi,
        functionName: "transfer",
        args: [account.address, stake * 2n],
      }),
    );
    await send(
      await wallet.writeContract({ address: token.address, abi: token.abi, functionName: "approve", args: [registry.address, stake] }),
    );
    const endpoint = opts.nodeEndpoint(i);
    await send(
      await wallet.writeContract({
        address: registry.address,
        abi: registry.abi,
        functionName: "stake",
        args: [stake, endpoint, `0x${"00".repeat(32)}`],
      }),
    );
    nodes.push({ index: i, account, endpoint, staked: stake });
  }
  // the next two test accounts run data sources (scripts/devnet.ts): registering one pulls a bond
  for (let i = opts.nodeCount + 1; i <= opts.nodeCount + 2; i++) {
    const hash = await deployer.writeContract({ address: token.address, abi: token.abi, functionName: "transfer", args: [devAccount(i).address, parseEther("1000")] });
    const r = await publicClient.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`devnet setup transaction ${hash} reverted`);
  }
  return { rpcUrl: opts.rpcUrl, deployments, deploymentsFile, nodes };
}

export type { Address };
