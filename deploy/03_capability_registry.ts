import type { DeployContext } from "./lib.js";

/**
 * 03: proof-of-capability suites with bonded attempts. The deployer is admin (until 07); the curator (default:
 * the deployer) publishes suites; the arbitrator (default: the deployer) may revoke a pass within
 * `revocationWindow` (default: the dispute window); the timelock (00) sets the bond terms.
 */
export default async function deployCapabilityRegistry(ctx: DeployContext): Promise<void> {
  const admin = ctx.walletClient.account.address;
  const p = ctx.params;
  const curator = p.curator ?? admin;
  const arbitrator = p.arbitrator ?? admin;
  const revocationWindow = p.revocationWindow ?? p.disputeWindow;
  const c = ctx.deployments.contracts;
  await ctx.deploy("CapabilityRegistry", [
    {
      admin,
      adminDelay: p.adminDelay,
      curator,
      arbitrator,
      governor: c.ChorusTimelock.address,
      registry: c.NodeRegistry.address,
      attemptBond: p.attemptBond,
      failForfeitBps: p.failForfeitBps,
      revocationWindow: BigInt(revocationWindow),
    },
  ]);
  Object.assign(ctx.deployments.params, {
    curator,
    attemptBond: p.attemptBond.toString(),
    failForfeitBps: p.failForfeitBps,
    revocationWindow,
  });
}
