import type { DeployContext } from "./lib.js";

/**
 * 01: the staking token, capped at `supplyCap`. The deployer is its admin (until 07) and minter; devnets mint
 * an initial supply. With `closeMinting`, minting closes for good right after that genesis mint.
 */
export default async function deployToken(ctx: DeployContext): Promise<void> {
  const admin = ctx.walletClient.account.address;
  await ctx.deploy("ChorusToken", [admin, ctx.params.adminDelay, admin, ctx.params.supplyCap]);
  if (ctx.params.initialMint > 0n) {
    await ctx.send("ChorusToken", "mint", [admin, ctx.params.initialMint]);
    ctx.log(`minted ${ctx.params.initialMint} CHR wei to ${admin}`);
  }
  if (ctx.params.closeMinting) {
    await ctx.send("ChorusToken", "closeMinting", []);
    ctx.log("minting closed after genesis");
  }
  ctx.deployments.params.supplyCap = ctx.params.supplyCap.toString();
  ctx.deployments.params.mintingClosed = ctx.params.closeMinting ? 1 : 0;
}
