/**
 * Gas of the node operator's operations on NodeRegistry, measured from receipts on Hardhat's in-process
 * network with the real deploy scripts. Each figure is the whole transaction (21,000 base included), for a
 * node that already holds an approval (stake) and in a steady state (add/unstake on an existing node).
 */
import hre from "hardhat";
import { keccak256, parseEther, toHex, type Hex } from "viem";
import { deployAll } from "../../deploy/index.js";

export default async function benchNodeRegistry(): Promise<string[]> {
  const publicClient = await hre.viem.getPublicClient();
  const [deployer, node, slasher] = await hre.viem.getWalletClients();
  const d = await deployAll({
    publicClient,
    walletClient: deployer,
    params: {
      minStake: parseEther("100"),
      thawingPeriod: 3600,
      disputeWindow: 1800,
      arbitrationPeriod: 1800,
      initialMint: parseEther("1000000"),
    },
  });
  const token = await hre.viem.getContractAt("ChorusToken", d.contracts.ChorusToken.address);
  const registry = await hre.viem.getContractAt("NodeRegistry", d.contracts.NodeRegistry.address);
  const asNode = await hre.viem.getContractAt("NodeRegistry", registry.address, { client: { wallet: node } });
  const asSlasher = await hre.viem.getContractAt("NodeRegistry", registry.address, { client: { wallet: slasher } });
  await token.write.transfer([node.account.address, parseEther("10000")]);
  const nodeToken = await hre.viem.getContractAt("ChorusToken", token.address, { client: { wallet: node } });
  await nodeToken.write.approve([registry.address, parseEther("10000")]);
  await registry.write.grantRole([await registry.read.SLASHER_ROLE(), slasher.account.address]);

  const gas = async (hash: Hex) => (await publicClient.getTransactionReceipt({ hash })).gasUsed;
  const cid = keccak256(toHex("node metadata"));
  const lines: string[] = [];
  const record = (name: string, value: bigint) => lines.push(`BENCH gas_${name} ${value} gas`);

  record("stake", await gas(await asNode.write.stake([parseEther("500"), "http://127.0.0.1:7001", cid])));
  record("add_stake", await gas(await asNode.write.addStake([parseEther("100")])));
  record("request_unstake", await gas(await asNode.write.requestUnstake([parseEther("50")])));
  await hre.network.provider.send("evm_increaseTime", [3601]);
  record("withdraw", await gas(await asNode.write.withdraw()));
  record(
    "slash",
    await gas(await asSlasher.write.slash([node.account.address, parseEther("10"), "equivocation", cid])),
  );
  return lines;
}
