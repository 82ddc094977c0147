/**
 * The node parts that talk to the Settlement contract: the round record its members sign (derived from the
 * transcript alone, so every member and auditor derives the same record) and the settlement port the epoch
 * submitter uses.
 */
import type { Address, Hex } from "viem";
import { isChorusError } from "../errors.js";
import { addressOf, readContract, writeContract, type ChorusChain } from "../chain/index.js";
import { encodeEpoch, recordDigest, settlementDomain, sortRecord, type RoundRecord, type SettlementDomain, type SignedRecord } from "../chain/records.js";
import { cidToBytes32 } from "../ipfs/index.js";
import type { RecordSigning } from "../round/coordinator.js";
import type { Transcript } from "../round/transcript.js";
import type { QueuedRecord, SettlementPort } from "../settlement/index.js";
import type { QueuedRound } from "./service.js";

/** The record the committee signs for a transcript (no data sources yet: RAG rounds add them). */
export function recordOf(t: Transcript, transcriptCid: string): RoundRecord {
  const participants = t.committee.members;
  // The contract wants participants (and sources) in ascending address order.
  return sortRecord({
    roundId: t.roundId,
    queryCid: cidToBytes32(t.queryCid),
    transcriptCid: cidToBytes32(transcriptCid),
    winner: t.result.winner,
    participants,
    deltas: participants.map((p) => t.result.deltas[p] ?? 0),
    sources: [],
  });
}

export function chainRecords(domain: SettlementDomain): RecordSigning {
  return { digest: (t, cid) => recordDigest(domain, recordOf(t, cid)) };
}

export function settlementDomainOf(chain: ChorusChain): SettlementDomain {
  return settlementDomain(chain.chainId, addressOf(chain, "Settlement"));
}

/**
 * Settles this node's rounds. `inFlight` gives the round ids still running here: a round is only submitted
 * once no older round of this coordinator can still complete, because the contract closes every sequence
 * number below the last one it settled.
 */
export function chainSettlement(chain: ChorusChain, opts: { inFlight?: () => readonly Hex[] } = {}): SettlementPort<QueuedRound> {
  return {
    async settledOnChain(ids) {
      const closed = await Promise.all(ids.map((id) => readContract<boolean>(chain, "Settlement", "isClosed", [id])));
      return new Set(ids.filter((_id, i) => closed[i]));
    },
    async submitEpoch(items: readonly QueuedRecord<QueuedRound>[]) {
      const running = opts.inFlight?.() ?? [];
      const oldestRunning = running.length ? running.reduce((a, b) => (BigInt(a) < BigInt(b) ? a : b)) : undefined;
      const ready = items.filter((i) => oldestRunning === undefined || BigInt(i.roundId) < BigInt(oldestRunning));
      if (ready.length === 0) throw Object.assign(new Error("waiting for an older round still running here"), { retryable: true });
      const signed: SignedRecord[] = ready.map((i) => ({ record: recordOf(i.record.transcript, i.record.transcriptCid), signatures: i.record.signatures }));
      const stakes = new Map<string, bigint>();
      for (const i of ready) for (const c of i.record.transcript.committee.candidates) stakes.set(c.address.toLowerCase(), BigInt(c.stake));
      const epoch = encodeEpoch(signed, { stakes });
      try {
        const { hash } = await writeContract(chain, "Settlement", "settleEpoch", [epoch.nodes, epoch.sources, epoch.records]);
        return { txHash: hash, settledIds: epoch.roundIds };
      } catch (err) {
        if (isChorusError(err, "CHAIN_REVERTED")) throw Object.assign(err, { retryable: false });
        throw err;
      }
    },
  };
}

export type { Address };
