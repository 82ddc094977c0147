/**
 * `chorus audit gold <setId>`: which settled rounds a gold set graded, and each member's grade, from public data
 * alone (issue 20). Reads GoldRegistry (the set, its reveals), Settlement's RoundSettled events and block times,
 * and the transcripts (IPFS, checked against their CIDs); the matching and grading are the pure functions of
 * src/protocol/gold.ts (`goldRoundOf`, `gradeGoldTranscript`).
 */
import type { Address, Hex } from "viem";
import { chorusContracts } from "../chain/index.js";
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
  const gold = chorusContracts(chain).goldRegistry;
  if (!gold || !(chain.deployments.contracts.Settlement as unknown))
    throw new ChorusError("AUDIT_UNAVAILABLE", "this deployment has no GoldRegistry (deploy/08_gold.ts)");
  const settlement = chorusContracts(chain).settlement;
  const client = chain.publicClient;
  const fromBlock = BigInt(chain.deployments.startBlock);
  const set = await gold.read.setOf([setId]);
  if (set.status === 0)
    throw new ChorusError("NOT_FOUND", `gold set ${setId} does not exist`, { setId: setId.toString() });
  const reveals = await gold.getEvents.GoldItemRevealed({ setId }, { fromBlock });
  const times = new Map<bigint, number>();
  const timeOf = async (n: bigint): Promise<number> => {
    const known = times.get(n);
    if (known !== undefined) return known;
    const t = Number((await client.getBlock({ blockNumber: n })).timestamp);
    times.set(n, t);
    return t;
  };
  const committedAt = Number(set.committedAt);
  const items: RevealedGold[] = [];
  for (const r of reveals) {
    const { index, promptHash, answer, roundPeriod } = r.args;
    if (index === undefined || promptHash === undefined || answer === undefined || roundPeriod === undefined)
      throw new ChorusError("CHAIN_INCONSISTENT", `a GoldItemRevealed event of set ${setId} lacks its fields`);
    items.push({
      setId,
      index,
      curator: set.curator,
      promptHash,
      answer,
      roundPeriod,
      committedAt,
      revealedAt: await timeOf(r.blockNumber),
      void: STATUS[set.status] === "Void",
    });
  }
  // Candidate rounds: settled after the commit and no later than the last reveal; their transcripts, CID-checked.
  const lastReveal = Math.max(committedAt, ...items.map((i) => i.revealedAt));
  const settledLogs = await settlement.getEvents.RoundSettled({}, { fromBlock });
  const rounds: (SettledRound & { transcriptCid: string })[] = [];
  for (const log of settledLogs) {
    const settledAt = await timeOf(log.blockNumber);
    if (settledAt <= committedAt || settledAt > lastReveal || log.args.transcriptCid === undefined) continue;
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
    itemCount: set.itemCount,
    revealed: set.revealed,
    committedAt,
    items: out,
  };
}
