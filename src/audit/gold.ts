/**
 * `chorus audit gold <setId>`: which settled rounds a gold set graded, and each member's grade, from public data
 * alone (issue 20). Reads GoldRegistry (the set, its reveals), Settlement's RoundSettled events and block times,
 * and the transcripts (IPFS, checked against their CIDs); the matching and grading are the pure functions of
 * src/protocol/gold.ts (`goldRoundOf`, `gradeGoldTranscript`).
 */
import type { Abi, Address, Hex } from "viem";
import { bytes32ToCid } from "../ipfs/index.js";
import { ChorusError } from "../core/index.js";
import type { GoldGrade } from "../consensus/index.js";
import {
  goldRoundOf,
  gradeGoldTranscript,
  type RevealedGold,
  type SettledRound,
  type Transcript,
} from "../protocol/index.js";
import type { AuditDeps } from "./round.js";

const STATUS = ["None", "Committed", "Complete", "Released", "Forfeited", "Void"] as const;

export interface GoldItemReport {
  index: number;
  promptHash: Hex;
  answer: string;
  revealedAt: number;
  /** The round the item graded (none: no settled round with its prompt in the window). */
  round?: { roundId: Hex; transcriptCid: string };
  grades?: Record<string, GoldGrade>;
}

export interface GoldAuditReport {
  setId: string;
  curator: Address;
  status: (typeof STATUS)[number];
  itemCount: number;
  revealed: number;
  committedAt: number;
  items: GoldItemReport[];
}

export async function auditGold(deps: AuditDeps, setId: bigint): Promise<GoldAuditReport> {
  const { chain } = deps;
  const gold = chain.deployments.contracts.GoldRegistry;
  const settlement = chain.deployments.contracts.Settlement;
  if (!gold || !settlement)
    throw new ChorusError("AUDIT_UNAVAILABLE", "this deployment has no GoldRegistry (deploy/08_gold.ts)");
  const client = chain.publicClient;
  const fromBlock = BigInt(chain.deployments.startBlock);
  const set = (await client.readContract({
    address: gold.address,
    abi: gold.abi as Abi,
    functionName: "setOf",
    args: [setId],
  })) as {
    curator: Address;
    itemCount: number;
    revealed: number;
    status: number;
    committedAt: bigint;
  };
  if (set.status === 0)
    throw new ChorusError("NOT_FOUND", `gold set ${setId} does not exist`, { setId: setId.toString() });
  const reveals = (await client.getContractEvents({
    address: gold.address,
    abi: gold.abi as Abi,
    eventName: "GoldItemRevealed",
    args: { setId },
    fromBlock,
  })) as unknown as {
    args: { index: number; promptHash: Hex; answer: string };
    blockNumber: bigint;
  }[];
  const times = new Map<bigint, number>();
  const timeOf = async (n: bigint) => {
    if (!times.has(n)) times.set(n, Number((await client.getBlock({ blockNumber: n })).timestamp));
    return times.get(n)!;
  };
  const committedAt = Number(set.committedAt);
  const items: RevealedGold[] = [];
  for (const r of reveals) {
    items.push({
      setId,
      index: Number(r.args.index),
      curator: set.curator,
      promptHash: r.args.promptHash,
      answer: r.args.answer,
      committedAt,
      revealedAt: await timeOf(r.blockNumber),
      void: STATUS[set.status] === "Void",
    });
  }
  // Candidate rounds: settled after the commit and no later than the last reveal; their transcripts, CID-checked.
  const lastReveal = Math.max(committedAt, ...items.map((i) => i.revealedAt));
  const settledLogs = (await client.getContractEvents({
    address: settlement.address,
    abi: settlement.abi as Abi,
    eventName: "RoundSettled",
    fromBlock,
  })) as unknown as {
    args: { roundId: Hex; transcriptCid: Hex };
    blockNumber: bigint;
  }[];
  const rounds: (SettledRound & { transcriptCid: string })[] = [];
  for (const log of settledLogs) {
    const settledAt = await timeOf(log.blockNumber);
    if (settledAt <= committedAt || settledAt > lastReveal) continue;
    const cid = bytes32ToCid(log.args.transcriptCid).toString();
    const t = (await deps.getJson(cid)) as Transcript;
    if ((await deps.cidOf(t)) !== cid)
      throw new ChorusError("AUDIT_UNAVAILABLE", `transcript ${cid} does not hash to its CID`, { cid });
    rounds.push({
      transcript: t,
      drawnAt: await timeOf(BigInt(t.committee.seedBlock.number)),
      settledAt,
      transcriptCid: cid,
    });
  }
  const out: GoldItemReport[] = items
    .sort((a, b) => a.index - b.index)
    .map((item) => {
      const r = goldRoundOf(item, rounds) as (SettledRound & { transcriptCid: string }) | undefined;
      const base = { index: item.index, promptHash: item.promptHash, answer: item.answer, revealedAt: item.revealedAt };
      if (!r) return base;
      return {
        ...base,
        round: { roundId: r.transcript.roundId, transcriptCid: r.transcriptCid },
        grades: gradeGoldTranscript(r.transcript, item, deps.rules),
      };
    });
  return {
    setId: setId.toString(),
    curator: set.curator,
    status: STATUS[set.status],
    itemCount: Number(set.itemCount),
    revealed: Number(set.revealed),
    committedAt,
    items: out,
  };
}
