import type { DeployContext } from "./lib.js";

/**
 * 05: round settlement and node reputation, reading stake (02), capability (03) and sources (04), and the
 * omission-proof contract that alone may void a settled round. Settlement becomes the only scorer of sources;
 * Omissions (proven omissions) and Settlement (voids beyond credit) may slash coordinators; accounts in `settlers` may settle anyone's rounds (coordinators always settle
 * their own).
 */
export default async function deploySettlement(ctx: DeployContext): Promise<void> {
  const admin = ctx.walletClient.account.address;
  const c = ctx.deployments.contracts;
  const { periodLength, committeeSeats, minCommittee } = ctx.params;
  // Settlement delegates making epochs final to an external library, so that it fits the contract size limit
  await ctx.deploy("EpochFinality");
  const settlement = await ctx.deploy(
    "Settlement",
    [
      c.NodeRegistry.address,
      c.CapabilityRegistry.address,
      c.SourceRegistry.address,
      admin,
      BigInt(periodLength),
      BigInt(committeeSeats),
      BigInt(minCommittee),
    ],
    ["EpochFinality"],
  );
  const omissions = await ctx.deploy("Omissions", [settlement.address, c.NodeRegistry.address]);
  const slasher = await ctx.read<`0x${string}`>("NodeRegistry", "SLASHER_ROLE");
  await ctx.send("NodeRegistry", "grantRole", [slasher, omissions.address]);
  // Settlement slashes coordinators for voids they have no credit for (VOID_SLASH_BPS per void)
  await ctx.send("NodeRegistry", "grantRole", [slasher, settlement.address]);
  const scorer = await ctx.read<`0x${string}`>("SourceRegistry", "SCORER_ROLE");
  await ctx.send("SourceRegistry", "grantRole", [scorer, settlement.address]);
  const settler = await ctx.read<`0x${string}`>("Settlement", "SETTLER_ROLE");
  for (const account of ctx.params.settlers) await ctx.send("Settlement", "grantRole", [settler, account]);
  ctx.deployments.params.periodLength = periodLength;
  ctx.deployments.params.committeeSeats = committeeSeats;
  ctx.deployments.params.minCommittee = minCommittee;
  ctx.log(
    `Settlement scores sources (period ${periodLength} s, ${committeeSeats} seats, >= ${minCommittee} members); ${ctx.params.settlers.length} settler(s)`,
  );
}
