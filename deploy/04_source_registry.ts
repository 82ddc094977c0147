import type { DeployContext } from "./lib.js";

/**
 * 04: the data-source registry with bonds. The deployer is admin (until 07; 05 lets Settlement write scores);
 * the arbitrator (default: the deployer) may forfeit bonds; the timelock (00) sets the minimum bond. A bond
 * stays locked `sourceUnbondingDelay` after its source leaves: by default the dispute window plus the
 * arbitration period, so a source cannot leave with its bond before a timely dispute is resolved.
 */
export default async function deploySourceRegistry(ctx: DeployContext): Promise<void> {
  const admin = ctx.walletClient.account.address;
  const p = ctx.params;
  const unbondingDelay = p.sourceUnbondingDelay ?? p.disputeWindow + p.arbitrationPeriod;
  if (unbondingDelay < p.disputeWindow) {
    throw new Error(`sourceUnbondingDelay ${unbondingDelay} s is shorter than the dispute window ${p.disputeWindow} s`);
  }
  const c = ctx.deployments.contracts;
  await ctx.deploy("SourceRegistry", [
    {
      admin,
      adminDelay: p.adminDelay,
      arbitrator: p.arbitrator ?? admin,
      governor: c.ChorusTimelock.address,
      registry: c.NodeRegistry.address,
      minBond: p.sourceBond,
      unbondingDelay: BigInt(unbondingDelay),
    },
  ]);
  Object.assign(ctx.deployments.params, { sourceBond: p.sourceBond.toString(), sourceUnbondingDelay: unbondingDelay });
}
