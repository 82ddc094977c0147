/**
 * `chorus round show <id>`: a round's result, ranking, exclusions and settlement. The gateway that coordinated it
 * knows it best (also before it settles); any other node, or none, reads it from the chain (RoundSettled and its
 * epoch) and the transcript from IPFS (the configured gateway, the public gateways, then the members'), checked
 * against the CID the chain names.
 */
import type { Hex } from "viem";
import { z } from "zod";
import { fetchWithFallback, gatewayJson, settledMembers } from "../../audit/index.js";
import { epochTablesOfTx, settledRoundDeltas } from "../../chain/round-event.js";
import { ChorusError, isChorusError } from "../../core/index.js";
import { bytes32ToCid } from "../../ipfs/index.js";
import { AddressPolicy } from "../../net/index.js";
import type { CliContext } from "../context.js";
import { parseFlags } from "../parse.js";
import { gatewayRound } from "./ask.js";

interface RoundView {
  roundId: string;
  queryCid: string;
  transcriptCid: string;
  winner: string;
  settlement: string;
  txHash?: string;
  ranking: string[];
  scores: Record<string, number>;
  excluded: { member: string; phase: string; reason: string }[];
  source: "gateway" | "chain";
}

export async function roundShowCommand(ctx: CliContext, id: string, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(z.object({ json: z.boolean().optional() }).strict(), raw);
  if (!/^0x[0-9a-fA-F]{64}$/.test(id))
    throw new ChorusError("INPUT_INVALID", `round id must be 0x + 64 hex digits, got '${id}'`);
  let round: RoundView;
  try {
    round = { ...(await gatewayRound(ctx, id)), source: "gateway" };
  } catch (err) {
    // 404 (another node coordinated it) or no node at all: the chain and IPFS have every settled round
    const fallback =
      isChorusError(err) &&
      (err.code === "GATEWAY_UNREACHABLE" || (err.code === "GATEWAY_ERROR" && Number(err.details.status) === 404));
    if (!fallback) throw err;
    round = await fromChain(ctx, id as Hex);
  }
  if (f.json) {
    ctx.json(round);
    return;
  }
  ctx.io.out(`round       ${round.roundId}`);
  ctx.io.out(`query       ${round.queryCid}`);
  ctx.io.out(`transcript  ${round.transcriptCid}`);
  ctx.io.out(`winner      ${round.winner}`);
  ctx.io.out(`settlement  ${round.settlement}${round.txHash ? ` (tx ${round.txHash})` : ""}`);
  for (const [i, a] of round.ranking.entries())
    ctx.io.out(`  ${i + 1}. ${a}  score ${(Number(round.scores[a]) / 1e6).toFixed(4)}`);
  for (const e of round.excluded) ctx.io.out(`  excluded ${e.member} at ${e.phase}: ${e.reason}`);
}

async function fromChain(ctx: CliContext, roundId: Hex): Promise<RoundView> {
  const chain = await ctx.openChain();
  const settlement = chain.deployments.contracts.Settlement;
  const logs = (await chain.publicClient.getContractEvents({
    address: settlement.address,
    abi: settlement.abi,
    eventName: "RoundSettled",
    args: { roundId },
    fromBlock: BigInt(chain.deployments.startBlock),
  })) as unknown as { args: { transcriptCid: Hex; deltas: Hex }; transactionHash: Hex }[];
  if (logs.length === 0) {
    throw new ChorusError(
      "NOT_FOUND",
      `round ${roundId} is not settled on chain ${chain.chainId} and the gateway ${ctx.config.gateway.url} does not know it (ask the node that coordinated it with --gateway)`,
    );
  }
  const log = logs[0];
  const transcriptCid = bytes32ToCid(log.args.transcriptCid).toString();
  const maxBytes = ctx.config.ipfs.maxArtifactBytes;
  const publicGateways = ctx.config.gateway.ipfsGateways;
  const memberPolicy = new AddressPolicy(ctx.config.net.allowPrivate);
  const t = (await fetchWithFallback(transcriptCid, gatewayJson(ctx.config.gateway.url, { maxBytes }).getJson, {
    fallbacks: {
      publicGateways,
      fetchFrom: (url, cid) =>
        gatewayJson(url, { maxBytes, ...(publicGateways.includes(url) ? {} : { policy: memberPolicy }) }).getJson(cid),
    },
    members: () => settledMembers(chain, roundId, log.transactionHash),
    chain,
  })) as {
    roundId?: string;
    queryCid: string;
    result: { winner: string; ranking: string[]; scores: Record<string, number> };
    excluded?: { member: string; phase: string; reason: string }[];
  };
  if (t.roundId?.toLowerCase() !== roundId.toLowerCase())
    throw new ChorusError(
      "ROUND_BAD_TRANSCRIPT",
      `the transcript ${transcriptCid} the chain names is for round ${t.roundId}`,
    );
  const tables = await epochTablesOfTx(chain, log.transactionHash);
  const settled = settledRoundDeltas(log.args.deltas, tables);
  return {
    roundId,
    queryCid: t.queryCid,
    transcriptCid,
    winner: settled.winner,
    settlement: `settled in epoch ${tables.epoch}`,
    txHash: log.transactionHash,
    ranking: t.result.ranking,
    scores: t.result.scores,
    excluded: (t.excluded ?? []).map((e) => ({ member: e.member, phase: e.phase, reason: e.reason })),
    source: "chain",
  };
}
