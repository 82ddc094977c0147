/** `chorus audit gold <setId>`: which settled rounds a gold set graded, and every member's grade (issue 20). */
import { auditGold, gatewayJson } from "../../audit/index.js";
import { ChorusError } from "../../core/index.js";
import { productionRules } from "../../protocol/index.js";
import type { CliContext } from "../context.js";

const fmt = (x: number | undefined) => (x === undefined ? "-" : (x / 1e6).toFixed(3));

export async function auditGoldCommand(ctx: CliContext, target: string, opts: { json?: boolean }): Promise<number> {
  if (!/^\d+$/.test(target) || BigInt(target) < 1n)
    throw new ChorusError("INPUT_INVALID", `gold set id must be a whole number >= 1, got '${target}'`);
  const chain = await ctx.openChain();
  const r = await auditGold(
    {
      chain,
      rules: productionRules(),
      ...gatewayJson(ctx.config.gateway.url, { maxBytes: ctx.config.ipfs.maxArtifactBytes }),
    },
    BigInt(target),
  );
  if (opts.json) {
    ctx.json(r);
    return 0;
  }
  ctx.io.out(`gold set ${r.setId} by ${r.curator}: ${r.status}, ${r.revealed}/${r.itemCount} items revealed`);
  for (const item of r.items) {
    if (!item.round) {
      ctx.io.out(
        `  item ${item.index} (key ${JSON.stringify(item.answer)}): no settled round with its prompt between the commit and the reveal`,
      );
      continue;
    }
    ctx.io.out(
      `  item ${item.index} (key ${JSON.stringify(item.answer)}): round ${item.round.roundId} (transcript ${item.round.transcriptCid})`,
    );
    for (const [m, g] of Object.entries(item.grades ?? {})) {
      ctx.io.out(
        `    ${m}  answer ${g.correct === undefined ? "none" : g.correct ? "right" : "wrong"}  judging ${fmt(g.judge)} over ${g.gradable}  target ${g.target === null ? "-" : fmt(g.target)}`,
      );
    }
  }
  return 0;
}
