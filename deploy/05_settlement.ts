import type { DeployContext } from "./lib.js";

/**
 * 05: round settlement and node reputation, reading stake (02), capability (03) and sources (04). Settlement
 * becomes the only scorer of sources; accounts in `settlers` may settle anyone's rounds (coordinators always
 * settle their own).
 */
export default async function deploySettlement(ctx: DeployContext): Promise<void> {
  const admin = ctx.walletClient.account.address;
  const c = ctx.deployments.contracts;
  const settlement = await ctx.deploy("Settlement", [
    c.NodeRegistry.address,
    c.CapabilityRegistry.address,
    c.SourceRegistry.address,
    admin,
  ]);
  const scorer = await ctx.read<`0x${string}`>("SourceRegistry", "SCORER_ROLE");
  await ctx.send("SourceRegistry", "grantRole", [scorer, settlement.address]);
  const settler = await ctx.read<`0x${string}`>("Settlement", "SETTLER_ROLE");
  for (const account of ctx.params.settlers) await ctx.send("Settlement", "grantRole", [settler, account]);
  ctx.log(`Settlement scores sources; ${ctx.params.settlers.length} settler(s)`);
}
