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
 * Makes the devnet chain ready for rounds without leaving the wall clock: committees weigh nodes as they were
 * when the weight period began, so the nodes staked during setup are drawn from the next period on. The chain
 * started one period behind the wall clock (`startHardhatNode`), so setup happened in an earlier period than
 * the wall clock's: the chain's clock is set to the wall clock, which enters a later period at once. Only if
 * setup took longer than a period (then the chain is already in the wall clock's period) does it wait for the
 * next period, in real time.
 */
export async function enterNextPeriod(
  rpcUrl: string,
  deployments: Deployments,
  log: (l: string) => void,
): Promise<void> {
  const client = createPublicClient({ chain: hardhat, transport: http(rpcUrl, { retryCount: 0 }) });
  const s = deployments.contracts.Settlement;
  const length = (await client.readContract({
    address: s.address,
    abi: s.abi,
    functionName: "periodLength",
  })) as bigint;
  const chainNow = (await client.getBlock({ blockTag: "latest" })).timestamp;
  const wallNow = BigInt(Math.ceil(Date.now() / 1000));
  if (wallNow / length > chainNow / length) {
    await client.request({ method: "evm_setNextBlockTimestamp" as never, params: [toHex(wallNow)] as never });
    await client.request({ method: "evm_mine" as never, params: [] as never });
  } else {
    const next = (chainNow / length + 1n) * length;
    log(`setup took longer than a weight period: waiting ${next - chainNow} s for the next one…`);
    while ((await client.getBlock({ blockTag: "latest" })).timestamp < next)
      await new Promise((r) => setTimeout(r, 1000));
  }
  const now = (await client.getBlock({ blockTag: "latest" })).timestamp;
  log(
    `chain clock at the wall clock (${new Date(Number(now) * 1000).toISOString()}), weight period ${now / length} (periods of ${length} s); a block every second`,
  );
}

export interface DevnetChain {
  rpcUrl: string;
  deployments: Deployments;
  deploymentsFile: string;
  nodes: { index: number; account: Account; endpoint: string; staked: bigint }[];
}

export async function startHardhatNode(
  port: number,
  log: (l: string) => void,
  periodLength: number = DEVNET_SETTLEMENT.periodLength,
): Promise<string> {
  if (await portInUse(port)) {
    throw new Error(
      `port ${port} on 127.0.0.1 is already in use: stop what runs there (another devnet?) or set CHORUS_DEVNET_PORT`,
    );
  }
  const bin = path.join(ROOT, "node_modules", ".bin", "hardhat");
  // The chain starts one weight period behind the wall clock (hardhat.config.ts reads CHORUS_CHAIN_INITIAL_DATE)
  // so that `enterNextPeriod` can reach a fresh period by catching up with the wall clock, never passing it.
  const initialDate = new Date(Date.now() - periodLength * 1000).toISOString();
  startProcess("hardhat node", bin, ["node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: ROOT,
    env: { ...process.env, CHORUS_CHAIN_INITIAL_DATE: initialDate },
    onLine: (l) => {
      if (/error/i.test(l)) log(`hardhat node: ${l}`);
    },
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const client = createPublicClient({ chain: hardhat, transport: http(rpcUrl, { retryCount: 0 }) });
  await waitFor("hardhat node", async () => (await client.getChainId()) === hardhat.id, 60_000);
  // A block every second besides one per transaction: time passes on an idle devnet (thawing ends, windows
  // close, a batch's seed block is mined) without anyone sending a transaction.
  await client.request({ method: "evm_setIntervalMining" as never, params: [1000] as never });
  return rpcUrl;
}

export async function deployDevnet(opts: {
  rpcUrl: string;
  nodeCount: number;
  nodeEndpoint: (i: number) => string;
  stakePerNode?: bigint;
  /** Seconds per weight period (default DEVNET_SETTLEMENT's 600). */
  periodLength?: number;
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
      periodLength: opts.periodLength ?? DEVNET_SETTLEMENT.periodLength,
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
      await wallet.writeContract({
        address: token.address,
        abi: token.abi,
        functionName: "approve",
        args: [registry.address, stake],
      }),
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
    const hash = await deployer.writeContract({
      address: token.address,
      abi: token.abi,
      functionName: "transfer",
      args: [devAccount(i).address, parseEther("1000")],
    });
    const r = await publicClient.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`devnet setup transaction ${hash} reverted`);
  }
  return { rpcUrl: opts.rpcUrl, deployments, deploymentsFile, nodes };
}

export type { Address };
