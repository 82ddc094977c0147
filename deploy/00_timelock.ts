import type { DeployContext } from "./lib.js";

/**
 * 00: the governance timelock (OpenZeppelin TimelockController as ChorusTimelock). It receives the GOVERNOR_ROLE
 * of the contracts that have one as they are deployed, and (07) their default admin. Proposers (default: the
 * deployer) schedule; anyone executes an operation once `timelockDelay` has passed; it administers itself.
 */
export default async function deployTimelock(ctx: DeployContext): Promise<void> {
  const proposers = ctx.params.proposers ?? [ctx.walletClient.account.address];
  const open = "0x0000000000000000000000000000000000000000";
  await ctx.deploy("ChorusTimelock", [BigInt(ctx.params.timelockDelay), proposers, [open]]);
  ctx.deployments.params.timelockDelay = ctx.params.timelockDelay;
  ctx.deployments.params.adminDelay = ctx.params.adminDelay;
}
