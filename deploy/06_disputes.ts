import type { DeployContext } from "./lib.js";

/**
 * 06: equivocation proofs and arbitrated disputes. Disputes gets SLASHER_ROLE on the NodeRegistry and becomes its
 * dispute contract (it locks disputed stake; the thawing period can no longer be set below its dispute window +
 * arbitration period); Settlement lets it and Omissions void settled rounds. The arbitrator (default: the deployer)
 * upholds or rejects, taking at most `maxSlashPerRoundBps` of a signer's stake for one round.
 */
export default async function deployDisputes(ctx: DeployContext): Promise<void> {
  const admin = ctx.walletClient.account.address;
  const p = ctx.params;
  const arbitrator = p.arbitrator ?? admin;
  const c = ctx.deployments.contracts;
  const params = {
    equivocationSlashBps: p.equivocationSlashBps,
    equivocationRewardBps: p.equivocationRewardBps,
    falseResultSlashBps: p.falseResultSlashBps,
    falseResultRewardBps: p.falseResultRewardBps,
    deposit: p.disputeDeposit,
    disputeWindow: BigInt(p.disputeWindow),
    arbitrationPeriod: BigInt(p.arbitrationPeriod),
  };
  const disputes = await ctx.deploy("Disputes", [
    c.Settlement.address,
    c.NodeRegistry.address,
    admin,
    p.adminDelay,
    arbitrator,
    params,
    p.maxSlashPerRoundBps,
  ]);
  const slasher = await ctx.read<`0x${string}`>("NodeRegistry", "SLASHER_ROLE");
  await ctx.send("NodeRegistry", "grantRole", [slasher, disputes.address]);
  await ctx.send("NodeRegistry", "setDisputes", [disputes.address]);
  await ctx.send("Settlement", "setVoiders", [c.Omissions.address, disputes.address]);
  Object.assign(ctx.deployments.params, {
    arbitrator,
    equivocationSlashBps: p.equivocationSlashBps,
    equivocationRewardBps: p.equivocationRewardBps,
    falseResultSlashBps: p.falseResultSlashBps,
    falseResultRewardBps: p.falseResultRewardBps,
    disputeDeposit: p.disputeDeposit.toString(),
    disputeWindow: p.disputeWindow,
    arbitrationPeriod: p.arbitrationPeriod,
    maxSlashPerRoundBps: p.maxSlashPerRoundBps,
  });
}
