/** `chorus audit gold <setId>`: which settled rounds a gold set graded, and every member's grade (issue 20). */
import { auditGold, gatewayJson } from "../../audit/index.js";
import { z } from "zod";
import { productionRules } from "../../protocol/index.js";
import type { CliContext } from "../context.js";
import { parseArg, parseFlags, switchFlag } from "../parse.js";

/** A gold set id: a whole number from 1 (a uint256 on chain). */
const setIdArg = z
  .string()
  .regex(/^\d{1,77}$/, "must be a whole number >= 1")
  .transform((s) => BigInt(s))
  .refine((n) => n >= 1n, "must be a whole number >= 1");

const fmt = (x: number | undefined) => (x === undefined ? "-" : (x / 1e6).toFixed(3));

export async function auditGoldCommand(ctx: CliContext, target: string, raw: Record<string, unknown>): Promise<number> {
  const opts = parseFlags(z.object({ json: switchFlag }).strict(), raw);
  const setId = parseArg(setIdArg, target, "gold set id");
  const chain = await ctx.openChain();
  const r = await auditGold(
    {
      chain,
      rules: productionRules(),
      ...gatewayJson(ctx.config.gateway.url, { maxBytes: ctx.config.ipfs.maxArtifactBytes }),
    },
    setId,
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
