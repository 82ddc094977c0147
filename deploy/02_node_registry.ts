import type { DeployContext } from "./lib.js";

/** 02: the node registry, staking the token of 01. The deployer is admin and governor. */
export default async function deployNodeRegistry(ctx: DeployContext): Promise<void> {
  const admin = ctx.walletClient.account.address;
  const token = ctx.deployments.contracts.ChorusToken.address;
  const treasury = ctx.params.treasury ?? admin;
  await ctx.deploy("NodeRegistry", [token, admin, treasury, ctx.params.minStake, BigInt(ctx.params.thawingPeriod)]);
  ctx.deployments.params.minStake = ctx.params.minStake.toString();
  ctx.deployments.params.thawingPeriod = ctx.params.thawingPeriod;
  ctx.deployments.params.treasury = treasury;
}
