/**
 * SourceRegistry mapping: data sources and their reliability / usefulness history. SourceScoresUpdated
 * follows the epoch's EpochSettled in the same transaction and carries the epoch's source table; the
 * per-round source deltas sit in the epoch's RoundSettled events, so this handler replays them over the
 * epoch's rounds in order (clamped, lib/scores.ts), one SourceScoreChange each, then sets the scores the
 * event reports. Settlement.voidSettledRound also emits it (through setScores, naming the voided round's
 * epoch, in another transaction than the one that settled it) just before Settlement.RoundVoided: those values
 * are parked on the Protocol for handleRoundVoided (mappings/settlement.ts), which reverses the round's
 * source deltas and checks them.
 */
import { Address, BigInt, Bytes, log } from "@graphprotocol/graph-ts";
import {
  SourceBondForfeited,
  SourceBondPosted,
  SourceBondUnlocking,
  SourceBondWithdrawn,
  SourceLeft,
  SourceRegistered,
  SourceScoresUpdated,
  SourceUpdated,
} from "../../generated/SourceRegistry/SourceRegistry";
import { Epoch, Round, Source, SourceScoreChange } from "../../generated/schema";
import { decodeRoundDeltas } from "../lib/deltas";
import { loadProtocol, loadSource } from "../lib/entities";
import { roundAccountId } from "../lib/ids";
import { applyDelta } from "../lib/scores";

export function handleSourceRegistered(event: SourceRegistered): void {
  const p = loadProtocol();
  const existing = Source.load(event.params.source) != null;
  const s = loadSource(event.params.source, event.block.timestamp);
  if (!existing) p.sourceCount += 1;
  if (!s.active) p.activeSourceCount += 1;
  s.active = true;
  s.endpoint = event.params.endpoint;
  s.manifestCid = event.params.manifestCid;
  s.updatedAt = event.block.timestamp;
  s.save();
  p.save();
}

export function handleSourceUpdated(event: SourceUpdated): void {
  const s = loadSource(event.params.source, event.block.timestamp);
  s.endpoint = event.params.endpoint;
  s.manifestCid = event.params.manifestCid;
  s.updatedAt = event.block.timestamp;
  s.save();
}

export function handleSourceLeft(event: SourceLeft): void {
  const s = loadSource(event.params.source, event.block.timestamp);
  if (s.active) {
    const p = loadProtocol();
    p.activeSourceCount -= 1;
    p.save();
  }
  s.active = false;
  s.updatedAt = event.block.timestamp;
  s.save();
}

export function handleSourceScoresUpdated(event: SourceScoresUpdated): void {
  const epochId = event.params.epoch.toString();
  const table = event.params.sources;
  const epoch = Epoch.load(epochId);
  if (epoch != null && !epoch.transactionHash.equals(event.transaction.hash)) {
    parkVoidReport(event);
    return;
  }
  if (epoch == null) {
    log.error("SourceScoresUpdated for epoch {} before its EpochSettled", [epochId]);
  } else {
    const rounds = epoch.rounds;
    for (let r = 0; r < rounds.length; r++) replayRound(rounds[r], table, epochId, event);
  }
  const rel = event.params.reliability;
  const use = event.params.usefulness;
  for (let i = 0; i < table.length; i++) {
    const s = loadSource(table[i], event.block.timestamp);
    const reliability = i32(rel[i].toI32());
    const usefulness = i32(use[i].toI32());
    if (s.reliability != reliability || s.usefulness != usefulness) {
      log.error("epoch {}: source {} replayed to {}/{} but the registry reports {}/{}", [
        epochId,
        table[i].toHexString(),
        s.reliability.toString(),
        s.usefulness.toString(),
        reliability.toString(),
        usefulness.toString(),
      ]);
    }
    s.reliability = reliability;
    s.usefulness = usefulness;
    s.lastEpoch = epochId;
    s.updatedAt = event.block.timestamp;
    s.save();
  }
}

/** A void's reversed scores, for the RoundVoided that follows in the same call. */
function parkVoidReport(event: SourceScoresUpdated): void {
  const p = loadProtocol();
  const sources = new Array<Bytes>(0);
  const rel = new Array<i32>(0);
  const use = new Array<i32>(0);
  for (let i = 0; i < event.params.sources.length; i++) {
    sources.push(event.params.sources[i]);
    rel.push(i32(event.params.reliability[i].toI32()));
    use.push(i32(event.params.usefulness[i].toI32()));
  }
  p.pendingVoidSources = sources;
  p.pendingVoidReliability = rel;
  p.pendingVoidUsefulness = use;
  p.save();
}

/** One SourceScoreChange per source the round `id` scored; the round lists its sources. */
function replayRound(id: Bytes, table: Array<Address>, epochId: string, event: SourceScoresUpdated): void {
  const round = Round.load(id);
  if (round == null) return;
  const d = decodeRoundDeltas(round.deltas);
  if (!d.valid) return;
  const scored = new Array<Bytes>(0);
  for (let j = 0; j < d.sourceIndices.length; j++) {
    const index = d.sourceIndices[j];
    if (index >= table.length) {
      log.error("round {}: source index {} beyond the epoch's table of {}", [id.toHexString(), index.toString(), table.length.toString()]);
      continue;
    }
    const s = loadSource(table[index], event.block.timestamp);
    const c = new SourceScoreChange(roundAccountId(id, s.id));
    c.source = s.id;
    c.round = id;
    c.epoch = epochId;
    c.reliabilityDelta = d.reliability[j];
    c.usefulnessDelta = d.usefulness[j];
    c.reliabilityBefore = s.reliability;
    c.usefulnessBefore = s.usefulness;
    c.reliabilityAfter = applyDelta(s.reliability, d.reliability[j]);
    c.usefulnessAfter = applyDelta(s.usefulness, d.usefulness[j]);
    c.timestamp = event.block.timestamp;
    c.blockNumber = event.block.number;
    c.save();
    s.reliability = c.reliabilityAfter;
    s.usefulness = c.usefulnessAfter;
    s.save();
    scored.push(s.id);
  }
  round.sources = scored;
  round.save();
}

export function handleSourceBondPosted(event: SourceBondPosted): void {
  const s = loadSource(event.params.source, event.block.timestamp);
  s.bond = event.params.bond;
  s.bondUnlocksAt = BigInt.zero();
  s.save();
}

export function handleSourceBondUnlocking(event: SourceBondUnlocking): void {
  const s = loadSource(event.params.source, event.block.timestamp);
  s.bond = event.params.bond;
  s.bondUnlocksAt = BigInt.fromU64(event.params.unlocksAt.toU64());
  s.save();
}

export function handleSourceBondWithdrawn(event: SourceBondWithdrawn): void {
  const s = loadSource(event.params.source, event.block.timestamp);
  s.bond = BigInt.zero();
  s.bondUnlocksAt = BigInt.zero();
  s.save();
}

export function handleSourceBondForfeited(event: SourceBondForfeited): void {
  const s = loadSource(event.params.source, event.block.timestamp);
  s.bond = event.params.remaining;
  s.bondForfeited = s.bondForfeited.plus(event.params.amount);
  s.save();
}
