/**
 * `chorus round show <id>`: a round's result, ranking, exclusions and settlement. The gateway that coordinated it
 * knows it best (also before it settles); any other node, or none, reads it from the chain (RoundSettled and its
 * epoch) and the transcript from IPFS (the configured gateway, the public gateways, then the members'), checked
 * against the CID the chain names.
 */
import type { Hex } from "viem";
import { z } from "zod";
import { fetchWithFallback, gatewayJson, settledMembers } from "../../audit/index.js";
import { chorusContracts } from "../../chain/index.js";
import { epochTablesOfTx, settledRoundDeltas } from "../../chain/round-event.js";
import { ChorusError, isChorusError } from "../../core/index.js";
import { bytes32ToCid } from "../../ipfs/index.js";
import { AddressPolicy } from "../../net/index.js";
import type { CliContext } from "../context.js";
import { bytes32Value, parseArg, parseFlags, switchFlag } from "../parse.js";
import { gatewayRound } from "./ask.js";

const Excluded = z.array(z.object({ member: z.string(), phase: z.string(), reason: z.string() }));
const Result = { ranking: z.array(z.string()), scores: z.record(z.string(), z.number()) };

/** The gateway's GET /chorus/v1/rounds/:id (other fields kept for --json). */
const GatewayRound = z.looseObject({
  roundId: z.string(),
  queryCid: z.string(),
  transcriptCid: z.string(),
  winner: z.string(),
  settlement: z.string(),
  txHash: z.string().optional(),
  ...Result,
  excluded: Excluded,
});

/** What round show reads of a transcript fetched by CID. */
const TranscriptView = z.looseObject({
  roundId: z.string().optional(),
  queryCid: z.string(),
  result: z.looseObject({ winner: z.string(), ...Result }),
  excluded: Excluded.optional(),
});

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
  const f = parseFlags(z.object({ json: switchFlag }).strict(), raw);
  const roundId = parseArg(bytes32Value, id, "round id");
  let round: RoundView;
  try {
    const reply = GatewayRound.safeParse(await gatewayRound(ctx, roundId));
    if (!reply.success)
      throw new ChorusError("GATEWAY_ERROR", `gateway ${ctx.config.gateway.url} answered with a malformed round`);
    round = { ...reply.data, source: "gateway" };
  } catch (err) {
    // 404 (another node coordinated it) or no node at all: the chain and IPFS have every settled round
    const fallback =
      isChorusError(err) &&
      (err.code === "GATEWAY_UNREACHABLE" || (err.code === "GATEWAY_ERROR" && Number(err.details.status) === 404));
    if (!fallback) throw err;
    round = await fromChain(ctx, roundId);
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
    ctx.io.out(`  ${i + 1}. ${a}  score ${(round.scores[a] / 1e6).toFixed(4)}`);
  for (const e of round.excluded) ctx.io.out(`  excluded ${e.member} at ${e.phase}: ${e.reason}`);
}

async function fromChain(ctx: CliContext, roundId: Hex): Promise<RoundView> {
  const chain = await ctx.openChain();
  const logs = await chorusContracts(chain).settlement.getEvents.RoundSettled(
    { roundId },
    { fromBlock: BigInt(chain.deployments.startBlock), strict: true },
  );
  const log = logs.at(0);
  if (!log) {
    throw new ChorusError(
      "NOT_FOUND",
      `round ${roundId} is not settled on chain ${chain.chainId} and the gateway ${ctx.config.gateway.url} does not know it (ask the node that coordinated it with --gateway)`,
    );
  }
  const { transcriptCid: transcriptDigest, deltas } = log.args;
  if (!transcriptDigest || !deltas)
    throw new ChorusError("CHAIN_INCONSISTENT", `the RoundSettled event of ${roundId} lacks its transcript or deltas`);
  const transcriptCid = bytes32ToCid(transcriptDigest).toString();
  const maxBytes = ctx.config.ipfs.maxArtifactBytes;
  const publicGateways = ctx.config.gateway.ipfsGateways;
  const memberPolicy = new AddressPolicy(ctx.config.net.allowPrivate);
  const configured = gatewayJson(ctx.config.gateway.url, { maxBytes });
  const fetched = await fetchWithFallback(transcriptCid, (cid) => configured.getJson(cid), {
    fallbacks: {
      publicGateways,
      fetchFrom: (url, cid) =>
        gatewayJson(url, { maxBytes, ...(publicGateways.includes(url) ? {} : { policy: memberPolicy }) }).getJson(cid),
    },
    members: () => settledMembers(chain, roundId, log.transactionHash),
    chain,
  });
  const parsed = TranscriptView.safeParse(fetched);
  if (!parsed.success)
    throw new ChorusError("ROUND_BAD_TRANSCRIPT", `the transcript ${transcriptCid} the chain names is malformed`);
  const t = parsed.data;
  if (t.roundId?.toLowerCase() !== roundId.toLowerCase())
    throw new ChorusError(
      "ROUND_BAD_TRANSCRIPT",
      `the transcript ${transcriptCid} the chain names is for round ${t.roundId ?? "none"}`,
    );
  const tables = await epochTablesOfTx(chain, log.transactionHash);
  const settled = settledRoundDeltas(deltas, tables);
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
