/**
 * Contract fixtures: they run the real deploy scripts (deploy/index.ts) on Hardhat's in-process network,
 * then hand out typed viem contract handles. Wrap with `loadFixture` so each test starts from a snapshot.
 */
import hre from "hardhat";
import { parseEther, publicActions } from "viem";
import { deployAll, type Deployments, type DeployParams } from "../../deploy/index.js";

export const TEST_PARAMS: Partial<DeployParams> = {
  minStake: parseEther("100"),
  thawingPeriod: 3600,
  // disputed stake must not thaw out first: window + arbitration <= thawing
  disputeWindow: 1800,
  arbitrationPeriod: 1800,
  initialMint: parseEther("1000000"),
};

export type Wallet = Awaited<ReturnType<typeof hre.viem.getWalletClients>>[number];

export async function deployChorus(params: Partial<DeployParams> = {}) {
  const publicClient = await hre.viem.getPublicClient();
  const wallets = await hre.viem.getWalletClients();
  const [deployer, treasury, ...others] = wallets;
  const deployments: Deployments = await deployAll({
    publicClient: publicClient,
    walletClient: deployer,
    params: { ...TEST_PARAMS, treasury: treasury.account.address, ...params },
  });
  const at = (name: string) => deployments.contracts[name].address;
  const token = await hre.viem.getContractAt("ChorusToken", at("ChorusToken"));
  const registry = await hre.viem.getContractAt("NodeRegistry", at("NodeRegistry"));
  /** Handles whose writes come from `wallet`. */
  const connect = async (wallet: Wallet) => {
    // simulate.* must run as `wallet` too: viem falls back to the public client's account.
    const client = { wallet, public: wallet.extend(publicActions) as never };
    return {
      token: await hre.viem.getContractAt("ChorusToken", at("ChorusToken"), { client }),
      registry: await hre.viem.getContractAt("NodeRegistry", at("NodeRegistry"), { client }),
    };
  };
  return { publicClient, wallets, deployer, treasury, others, deployments, token, registry, connect };
}
