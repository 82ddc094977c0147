/**
 * `chorus epoch status <n>` and `chorus epoch finalize [n]`: optimistic finality (issue 13). A settled epoch's
 * deltas are pending until it is made final; anyone may finalize an epoch once no round of it can be voided.
 */
import {
  epochStatus,
  finalizeDue,
  finalizeEpoch,
  finalizeInput,
  netAfterVoids,
  pendingEpochNumbers,
} from "../../chain/index.js";
import { ChorusError } from "../../core/index.js";
import { z } from "zod";
import type { CliContext } from "../context.js";
import { parseArg, parseFlags, switchFlag, wholeFlag } from "../parse.js";

/** An epoch number: a whole number from 1. */
const epochArg = wholeFlag(1, Number.MAX_SAFE_INTEGER);
const JsonFlags = z.object({ json: switchFlag }).strict();

export async function epochStatusCommand(ctx: CliContext, n: string, raw: Record<string, unknown>): Promise<void> {
  const opts = parseFlags(JsonFlags, raw);
  const epoch = parseArg(epochArg, n, "epoch");
  const chain = await ctx.openChain();
  const s = await epochStatus(chain, epoch);
  if (!s.settled) throw new ChorusError("NOT_FOUND", `epoch ${epoch} has not settled on chain ${chain.chainId}`);
  const input = await finalizeInput(chain, epoch);
  const net = netAfterVoids(input).nodes;
  const view = { ...s, voidedRoundIds: input.voidedRoundIds, pending: s.final ? {} : Object.fromEntries(net) };
  if (opts.json) {
    ctx.json(view);
    return;
  }
  const when = s.final ? "final" : `pending: can be made final from ${new Date(s.finalAt * 1000).toISOString()}`;
  ctx.io.out(`epoch ${epoch}: ${when}; ${s.voidedRounds} round(s) voided`);
  if (!s.final) for (const [node, d] of net) ctx.io.out(`  ${node} ${d >= 0 ? "+" : ""}${d}`);
}

export async function epochFinalizeCommand(
  ctx: CliContext,
  n: string | undefined,
  raw: Record<string, unknown>,
): Promise<void> {
  const opts = parseFlags(JsonFlags, raw);
  const epoch = n === undefined ? undefined : parseArg(epochArg, n, "epoch");
  const chain = await ctx.openChain();
  if (epoch !== undefined) {
    const hash = await finalizeEpoch(chain, epoch);
    if (opts.json) ctx.json({ finalized: [epoch], txHash: hash });
    else ctx.io.out(`epoch ${epoch} is final (tx ${hash})`);
    return;
  }
  const done = await finalizeDue(chain, await pendingEpochNumbers(chain));
  if (opts.json) {
    ctx.json({ finalized: done });
    return;
  }
  ctx.io.out(done.length ? `finalized epoch(s) ${done.join(", ")}` : "no pending epoch is due yet");
}
