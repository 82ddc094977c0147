/**
 * The node parts that talk to the Settlement contract: the round record its members sign (derived from the
 * transcript alone, so every member and auditor derives the same record, data sources' deltas included), the
 * settlement port the epoch submitter uses (with the sources' service signatures), and the chain-backed
 * retrieval of RAG rounds (sources from SourceRegistry at the round's seed block).
 */
import type { Address } from "viem";
import { ChorusError, isBytes32, isChorusError, present, sameAddress } from "../core/index.js";
import { chorusContracts, type ChorusChain } from "../chain/index.js";
import { encodeEpoch } from "../protocol/index.js";
import {
  recordDigest,
  roundIdParts,
  settlementDomain,
  type SettlementDomain,
  type SignedRecord,
} from "../core/index.js";
import { readBatch, withTxLock } from "../chain/sequencer.js";
import { seatsIn } from "../round/draw.js";
import { nextSettlementStep, type SequenceState } from "../round/sequencer.js";
import { AddressPolicy } from "../net/index.js";
import type { RecordSigning } from "../round/coordinator.js";
import type { DigestSigner } from "../core/index.js";
import type { Retrieval } from "../round/ports.js";
import { MAX_LISTED_SOURCES } from "../protocol/index.js";
import type { SourceInfo } from "../protocol/index.js";
import { retrieveFrom } from "../source/client.js";
import { recordOf, sourceSignaturesOf } from "../protocol/index.js";
import { sourcesAt } from "../chain/sources-at.js";
import type { QueuedRecord, SettlementPort } from "../settlement/index.js";
import type { QueuedRound } from "./service.js";

export function chainRecords(domain: SettlementDomain): RecordSigning {
  return { digest: (t, cid) => recordDigest(domain, recordOf(t, cid)), serviceDomain: domain };
}

/**
 * Retrieval for a node's member: sources from the chain at the seed block (at most `maxListed`, drawn from the
 * round seed), contexts through src/source/client.ts. Source endpoints come from the chain: `net.allowPrivate` says
 * which private ranges they may resolve to (src/net); `signer` (the node key) signs each request so sources keep what
 * they served only for staked nodes.
 */
export function chainRetrieval(
  chain: ChorusChain,
  domain: SettlementDomain,
  net: { allowPrivate: readonly string[]; signer?: DigestSigner; maxListed?: number },
): Retrieval {
  const policy = new AddressPolicy(net.allowPrivate);
  const cache = new Map<string, Promise<SourceInfo[]>>();
  return {
    domain,
    maxListed: net.maxListed ?? MAX_LISTED_SOURCES,
    sources({ blockNumber, seed, maxListed }) {
      const key = `${blockNumber}:${seed}:${maxListed}`;
      let got = cache.get(key);
      if (!got) {
        got = sourcesAt(chain, blockNumber, { seed, maxListed });
        got.catch(() => cache.delete(key));
        cache.set(key, got);
        while (cache.size > 64) cache.delete(present(cache.keys().next().value, "the oldest cached key"));
      }
      return got;
    },
    retrieve: (source, req, opts) =>
      retrieveFrom(source, req, { domain, timeoutMs: opts.timeoutMs, signal: opts.signal, policy, signer: net.signer }),
  };
}

export function settlementDomainOf(chain: ChorusChain): SettlementDomain {
  return settlementDomain(chain.chainId, chorusContracts(chain).settlement.address);
}

/**
 * Settles this node's rounds in sequence order (the contract closes a coordinator's sequences one after the
 * other): from the last closed sequence on, it settles the run of queued records that follows (one weight period
 * per call, at most `maxRounds`), voids the run of sequences that will never have a record (failed rounds, or
 * rounds that were running when the node stopped), and stops at a round still running ("deferred", an outcome).
 * Which sequences are running, queued or failed comes from the submitter's sequencer state. A record whose weight
 * period expired (the chain settles a batch while the current period is at most its + 1) is dropped and its
 * sequence voided. Quorum signatures are chosen by the committee's seats in the transcript. A settlement the chain
 * refuses is SETTLEMENT_REFUSED (not retryable: the submitter sets the record at fault aside).
 */
export function chainSettlement(
  chain: ChorusChain,
  opts: { coordinator: Address; maxSteps?: number },
): SettlementPort<QueuedRound> {
  const me = opts.coordinator;
  const { settlement } = chorusContracts(chain);
  return {
    sequenced: true,
    async settledOnChain(ids) {
      const closed = await Promise.all(
        ids.map((id) => (isBytes32(id) ? settlement.read.isClosed([id]) : Promise.resolve(false))),
      );
      return new Set(ids.filter((_id, i) => closed[i]));
    },
    async submitEpoch(items: readonly QueuedRecord<QueuedRound>[], sequence?: SequenceState) {
      const current = await settlement.read.currentPeriod();
      const bySeq = new Map<bigint, QueuedRecord<QueuedRound>>();
      const dropped: { roundId: string; reason: string }[] = [];
      const expired = new Set<bigint>();
      for (const item of items) {
        if (!isBytes32(item.roundId)) continue;
        const { coordinator, seq } = roundIdParts(item.roundId);
        if (!sameAddress(coordinator, me)) continue;
        const period = item.record.transcript.committee.period;
        if (current > period + 1) {
          dropped.push({
            roundId: item.roundId,
            reason: `weight period ${period} expired (current period ${current}): its sequence is voided`,
          });
          expired.add(seq);
        } else bySeq.set(seq, item);
      }
      // Without a sequencer (a node that hands out no ids of its own), only the queued records settle.
      const state: SequenceState = sequence
        ? { ...sequence, failed: new Set([...sequence.failed, ...expired]) }
        : { issuedThrough: 0n, running: new Set(), queued: new Set(), failed: expired, closedThrough: 0n };
      const txs: string[] = [];
      let gasUsed = 0n;
      let gasCostWei = 0n;
      const spent = (r: { gasUsed: bigint; effectiveGasPrice?: bigint }) => {
        gasUsed += r.gasUsed;
        gasCostWei += r.gasUsed * (r.effectiveGasPrice ?? 0n);
      };
      const settledIds: string[] = [];
      let epoch: number | undefined;
      let b = await readBatch(chain, me);
      for (let step = 0; step < (opts.maxSteps ?? 8); step++) {
        const queued = new Set([...bySeq.keys()].filter((s) => s > b.lastSeq));
        const next = nextSettlementStep(b.lastSeq, queued, state, b.batchEnd);
        if (!next) break;
        if (next.kind === "void") {
          const { hash, receipt } = await withTxLock(chain, () => settlement.write.voidRounds([next.through]));
          spent(receipt);
          txs.push(hash);
        } else {
          const period = present(bySeq.get(next.seqs[0]), "a queued round of the step").record.transcript.committee
            .period;
          const run = next.seqs
            .map((s) => present(bySeq.get(s), "a queued round of the step"))
            .filter((_x, i, all) => all.slice(0, i + 1).every((y) => y.record.transcript.committee.period === period));
          const r = await settleRun(chain, run, period);
          spent(r.receipt);
          txs.push(r.hash);
          epoch = r.epoch;
          settledIds.push(...run.map((x) => x.roundId));
        }
        b = await readBatch(chain, me);
      }
      if (txs.length === 0 && dropped.length === 0)
        return { closedThrough: b.lastSeq, deferred: "the next sequence is still running or not issued" };
      return { txHash: txs.at(-1), epoch, settledIds, dropped, closedThrough: b.lastSeq, gasUsed, gasCostWei };
    },
  };
}

async function settleRun(
  chain: ChorusChain,
  run: readonly QueuedRecord<QueuedRound>[],
  period: number,
): Promise<{ hash: string; epoch?: number; receipt: { gasUsed: bigint; effectiveGasPrice?: bigint } }> {
  const seats = new Map(run.map((i) => [i.roundId.toLowerCase(), i.record.transcript.committee]));
  const signed: SignedRecord[] = run.map((i) => ({
    record: recordOf(i.record.transcript, i.record.transcriptCid),
    signatures: i.record.signatures,
    sourceSignatures: sourceSignaturesOf(i.record.transcript),
  }));
  const epoch = encodeEpoch(signed, {
    seats: (record, node) =>
      seatsIn(present(seats.get(record.roundId.toLowerCase()), "the committee of a settled round"), node),
  });
  try {
    const { hash, receipt } = await withTxLock(chain, () =>
      chorusContracts(chain).settlement.write.settleEpoch([period, epoch.nodes, epoch.sources, epoch.records]),
    );
    return { hash, receipt };
  } catch (err) {
    if (isChorusError(err, "CHAIN_REVERTED")) {
      throw new ChorusError(
        "SETTLEMENT_REFUSED",
        `the chain refused the settlement of ${run.length} round(s): ${err.message}`,
        { ...err.details, rounds: run.map((r) => r.roundId) },
        { cause: err },
      );
    }
    throw err;
  }
}

export type { Address };
