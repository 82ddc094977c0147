import type { DeployContext } from "./lib.js";

/** 04: the data-source registry. The deployer is admin (05 lets Settlement write scores). */
export default async function deploySourceRegistry(ctx: DeployContext): Promise<void> {
  await ctx.deploy("SourceRegistry", [ctx.walletClient.account.address]);
}
