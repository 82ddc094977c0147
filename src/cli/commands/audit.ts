/** `chorus audit round <id>` and `chorus audit epoch <n>`: re-derive from chain + IPFS and compare. */
import { z } from "zod";
import { auditEpoch, auditRound, gatewayJson, type AuditReport } from "../../audit/index.js";
import { present } from "../../core/index.js";
import { productionRules } from "../../protocol/index.js";
import { AddressPolicy } from "../../net/index.js";
import type { CliContext } from "../context.js";
import { bytes32Value, parseArg, parseFlags, switchFlag, wholeFlag } from "../parse.js";
import { disputeCommandFor } from "./dispute.js";

function print(ctx: CliContext, r: AuditReport) {
  ctx.io.out(
    `round ${r.roundId} (epoch ${r.epoch}, transcript ${r.transcriptCid}): ${r.ok ? "OK" : `${r.mismatches.length} MISMATCH(ES)`}`,
  );
  for (const c of r.checks) ctx.io.out(`  ${c.ok ? "ok      " : "MISMATCH"} ${c.what}${c.ok ? "" : `: ${c.detail}`}`);
  if (!r.ok) ctx.io.out(`  contest it: ${disputeCommandFor(r.roundId, r.transcriptCid)}`);
}

/** Returns the exit code: 0 when everything matches, 3 on any mismatch. */
export async function auditCommand(
  ctx: CliContext,
  what: "round" | "epoch",
  target: string,
  raw: Record<string, unknown>,
): Promise<number> {
  const opts = parseFlags(z.object({ json: switchFlag }).strict(), raw);
  const round = what === "round" ? parseArg(bytes32Value, target, "round id") : undefined;
  const epoch = what === "epoch" ? parseArg(wholeFlag(1, Number.MAX_SAFE_INTEGER), target, "epoch") : undefined;
  const chain = await ctx.openChain();
  const maxBytes = ctx.config.ipfs.maxArtifactBytes;
  // Members' endpoints come from the chain: reach them only at public addresses or the operator's allowed ranges.
  const memberPolicy = new AddressPolicy(ctx.config.net.allowPrivate);
  const publicGateways = ctx.config.gateway.ipfsGateways;
  const deps = {
    chain,
    rules: productionRules(),
    ...gatewayJson(ctx.config.gateway.url, { maxBytes }),
    fallbacks: {
      publicGateways,
      fetchFrom: (url: string, cid: string) =>
        gatewayJson(url, { maxBytes, ...(publicGateways.includes(url) ? {} : { policy: memberPolicy }) }).getJson(cid),
    },
  };
  if (round !== undefined) {
    const r = await auditRound(deps, round);
    if (opts.json) ctx.json(r.ok ? r : { ...r, contest: disputeCommandFor(r.roundId, r.transcriptCid) });
    else print(ctx, r);
    return r.ok ? 0 : 3;
  }
  const r = await auditEpoch(deps, present(epoch, "the epoch to audit"));
  if (opts.json) ctx.json(r);
  else {
    const f = r.finality;
    const state =
      f.status === "final"
        ? "final"
        : `pending (final from ${new Date(f.finalAt * 1000).toISOString()}; \`chorus epoch finalize ${r.epoch}\` then)`;
    const voided = f.voidedRounds.length ? `, ${f.voidedRounds.length} round(s) voided` : "";
    ctx.io.out(`epoch ${r.epoch}: ${r.rounds.length} round(s)${voided}, ${state}, ${r.ok ? "OK" : "MISMATCH"}`);
    f.mismatches.forEach((m) => ctx.io.out(`  MISMATCH ${m}`));
    r.rounds.forEach((x) => print(ctx, x));
  }
  return r.ok ? 0 : 3;
}
