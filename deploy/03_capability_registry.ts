import type { DeployContext } from "./lib.js";

/** 03: proof-of-capability suites. The deployer is admin; the curator (default: the deployer) publishes suites. */
export default async function deployCapabilityRegistry(ctx: DeployContext): Promise<void> {
  const admin = ctx.walletClient.account.address;
  const curator = ctx.params.curator ?? admin;
  await ctx.deploy("CapabilityRegistry", [admin, curator]);
  ctx.deployments.params.curator = curator;
}
