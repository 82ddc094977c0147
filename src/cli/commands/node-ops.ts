/** `chorus stake`, `chorus unstake`, `chorus withdraw`: a node operator's stake. */
import { formatEther, type Hex } from "viem";
import { stake, requestUnstake, withdraw } from "../../chain/index.js";
import type { CliContext } from "../context.js";
import { parseAmount, parseBytes32, parseEndpoint } from "../parse.js";

export async function stakeCommand(
  ctx: CliContext,
  amountRaw: string,
  opts: { endpoint: string; metadata?: string; json?: boolean },
): Promise<void> {
  const amount = parseAmount(amountRaw);
  const endpoint = parseEndpoint(opts.endpoint);
  const metadataCid = opts.metadata ? parseBytes32(opts.metadata, "--metadata") : undefined;
  const chain = await ctx.openChain();
  const r = await stake(chain, { amount, endpoint, metadataCid: metadataCid as Hex | undefined });
  if (opts.json) return ctx.json(r);
  ctx.io.out(
    `${r.action === "joined" ? "joined the swarm with" : "added"} ${formatEther(r.amount)} CHR; staked now ${formatEther(r.staked)} CHR (tx ${r.txs.at(-1)})`,
  );
}

export async function unstakeCommand(ctx: CliContext, amountRaw: string, opts: { json?: boolean }): Promise<void> {
  const amount = parseAmount(amountRaw);
  const chain = await ctx.openChain();
  const { hash, node } = await requestUnstake(chain, amount);
  if (opts.json) return ctx.json({ hash, node });
  ctx.io.out(
    `thawing ${formatEther(node.thawing)} CHR until ${new Date(node.thawEnd * 1000).toISOString()}; staked ${formatEther(node.staked)} CHR${node.active ? "" : " (below the minimum: no longer active)"} (tx ${hash})`,
  );
}

export async function withdrawCommand(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  const chain = await ctx.openChain();
  const r = await withdraw(chain);
  if (opts.json) return ctx.json(r);
  ctx.io.out(`withdrew ${formatEther(r.amount)} CHR (tx ${r.hash})`);
}
