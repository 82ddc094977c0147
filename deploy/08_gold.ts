import type { DeployContext } from "./lib.js";

/**
 * 08: gold sets (issue 20). Curators (any account) bond `goldSetBond` per committed set (default 100 CHR);
 * every item must be revealed within `goldRevealWindow` (default 7 days) of the commit or the bond goes to
 * the NodeRegistry treasury; the arbitrator (default: the deployer) may void a set with a wrong key until
 * `goldChallengeWindow` (default: the dispute window) after that. An item grades a round of a weight period
 * (Settlement's) at least two after its set's commit. Its default admin is the timelock (00)
 * from the start, so 07 need not hand it over.
 */
export default async function deployGoldRegistry(ctx: DeployContext): Promise<void> {
  const p = ctx.params;
  const c = ctx.deployments.contracts;
  const arbitrator = p.arbitrator ?? ctx.walletClient.account.address;
  const setBond = (p.goldSetBond as bigint | undefined) ?? 100n * 10n ** 18n;
  const revealWindow = (p.goldRevealWindow as number | undefined) ?? 7 * 24 * 3600;
  const challengeWindow = (p.goldChallengeWindow as number | undefined) ?? p.disputeWindow;
  await ctx.deploy("GoldRegistry", [
    {
      admin: c.ChorusTimelock.address,
      adminDelay: p.adminDelay,
      arbitrator,
      registry: c.NodeRegistry.address,
      settlement: c.Settlement.address,
      setBond,
      revealWindow: BigInt(revealWindow),
      challengeWindow: BigInt(challengeWindow),
    },
  ]);
  Object.assign(ctx.deployments.params, {
    goldSetBond: setBond.toString(),
    goldRevealWindow: revealWindow,
    goldChallengeWindow: challengeWindow,
  });
}
