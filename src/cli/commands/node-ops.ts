/** `chorus stake`, `chorus unstake`, `chorus withdraw`: a node operator's stake. */
import { formatEther } from "viem";
import { z } from "zod";
import { stake, requestUnstake, withdraw } from "../../chain/index.js";
import type { CliContext } from "../context.js";
import { bytes32Value, chrAmount, httpUrl, parseFlags, switchFlag } from "../parse.js";

const StakeInput = z
  .object({
    amount: chrAmount,
    endpoint: httpUrl,
    metadata: bytes32Value.optional(),
    json: switchFlag,
  })
  .strict();

const UnstakeInput = z.object({ amount: chrAmount, json: switchFlag }).strict();

const WithdrawFlags = z.object({ json: switchFlag }).strict();

export async function stakeCommand(ctx: CliContext, amount: string, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(StakeInput, { ...raw, amount }, ["amount"]);
  const chain = await ctx.openChain();
  const r = await stake(chain, { amount: f.amount, endpoint: f.endpoint, metadataCid: f.metadata });
  if (f.json) {
    ctx.json(r);
    return;
  }
  ctx.io.out(
    `${r.action === "joined" ? "joined the swarm with" : "added"} ${formatEther(r.amount)} CHR; staked now ${formatEther(r.staked)} CHR (tx ${r.txs.at(-1) ?? "none"})`,
  );
}

export async function unstakeCommand(ctx: CliContext, amount: string, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(UnstakeInput, { ...raw, amount }, ["amount"]);
  const chain = await ctx.openChain();
  const { hash, node } = await requestUnstake(chain, f.amount);
  if (f.json) {
    ctx.json({ hash, node });
    return;
  }
  ctx.io.out(
    `thawing ${formatEther(node.thawing)} CHR until ${new Date(node.thawEnd * 1000).toISOString()}; staked ${formatEther(node.staked)} CHR${node.active ? "" : " (below the minimum: no longer active)"} (tx ${hash})`,
  );
}

export async function withdrawCommand(ctx: CliContext, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(WithdrawFlags, raw);
  const chain = await ctx.openChain();
  const r = await withdraw(chain);
  if (f.json) {
    ctx.json(r);
    return;
  }
  ctx.io.out(`withdrew ${formatEther(r.amount)} CHR (tx ${r.hash})`);
}
