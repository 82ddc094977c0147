import type { DeployContext } from "./lib.js";

/** 01: the staking token. The deployer is its admin and minter; devnets mint an initial supply. */
export default async function deployToken(ctx: DeployContext): Promise<void> {
  const admin = ctx.walletClient.account.address;
  await ctx.deploy("ChorusToken", [admin]);
  if (ctx.params.initialMint > 0n) {
    await ctx.send("ChorusToken", "mint", [admin, ctx.params.initialMint]);
    ctx.log(`minted ${ctx.params.initialMint} CHR wei to ${admin}`);
  }
}
