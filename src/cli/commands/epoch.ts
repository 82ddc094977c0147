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
import type { CliContext } from "../context.js";

function parseEpoch(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new ChorusError("INPUT_INVALID", `epoch must be a whole number >= 1, got '${raw}'`);
  }
  return Number(raw);
}

export async function epochStatusCommand(ctx: CliContext, raw: string, opts: { json?: boolean }): Promise<void> {
  const epoch = parseEpoch(raw);
  const chain = await ctx.openChain();
  const s = await epochStatus(chain, epoch);
  if (!s.settled) throw new ChorusError("NOT_FOUND", `epoch ${epoch} has not settled on chain ${chain.chainId}`);
  const input = await finalizeInput(chain, epoch);
  const net = netAfterVoids(input).nodes;
  const view = { ...s, voidedRoundIds: input.voidedRoundIds, pending: s.final ? {} : Object.fromEntries(net) };
  if (opts.json) return ctx.json(view);
  const when = s.final ? "final" : `pending: can be made final from ${new Date(s.finalAt * 1000).toISOString()}`;
  ctx.io.out(`epoch ${epoch}: ${when}; ${s.voidedRounds} round(s) voided`);
  if (!s.final) for (const [node, d] of net) ctx.io.out(`  ${node} ${d >= 0 ? "+" : ""}${d}`);
}

export async function epochFinalizeCommand(
  ctx: CliContext,
  raw: string | undefined,
  opts: { json?: boolean },
): Promise<void> {
  const chain = await ctx.openChain();
  if (raw !== undefined) {
    const epoch = parseEpoch(raw);
    const hash = await finalizeEpoch(chain, epoch);
    if (opts.json) return ctx.json({ finalized: [epoch], txHash: hash });
    ctx.io.out(`epoch ${epoch} is final (tx ${hash})`);
    return;
  }
  const done = await finalizeDue(chain, await pendingEpochNumbers(chain));
  if (opts.json) return ctx.json({ finalized: done });
  ctx.io.out(done.length ? `finalized epoch(s) ${done.join(", ")}` : "no pending epoch is due yet");
}
