/**
 * SourceRegistry mapping: data sources, their bonds and their final scores. Settlement's finalizeEpoch makes an
 * epoch final and calls setScores, which emits SourceScoresUpdated for the epoch's sources still active, just
 * before Settlement.EpochFinalized in the same transaction. handleSourceScoresUpdated sets the reported scores and
 * checks them against the rule (each moved once by the epoch's net deltas less its voided rounds', clamped,
 * lib/scores.ts), logging a mismatch; handleEpochFinalized (mappings/settlement.ts) then takes the epoch's deltas
 * out of the sources' pending deltas. The per-round deltas are filed at EpochSettled (mappings/settlement.ts).
 */
import { BigInt, log } from "@graphprotocol/graph-ts";
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
import { Epoch, Source } from "../../generated/schema";
import { loadProtocol, loadSource } from "../lib/entities";
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
  const rel = event.params.reliability;
  const use = event.params.usefulness;
  const epoch = Epoch.load(epochId);
  if (epoch == null) log.warning("SourceScoresUpdated for epoch {}, which settled before the start block", [epochId]);
  for (let i = 0; i < table.length; i++) {
    const s = loadSource(table[i], event.block.timestamp);
    const reliability = i32(rel[i].toI32());
    const usefulness = i32(use[i].toI32());
    if (epoch != null) checkFinality(epoch, s, reliability, usefulness);
    s.reliability = reliability;
    s.usefulness = usefulness;
    s.updatedAt = event.block.timestamp;
    s.save();
  }
}

/**
 * The registry's scores are authoritative; the rule must reach them: a source still active when its epoch became
 * final moves once by the epoch's net deltas less its voided rounds' (`*AfterVoids`), clamped.
 */
function checkFinality(epoch: Epoch, s: Source, reliability: i32, usefulness: i32): void {
  const sources = epoch.sources;
  let k = -1;
  for (let j = 0; j < sources.length; j++) if (sources[j].equals(s.id)) k = j;
  if (k < 0) {
    log.error("epoch {}: SourceScoresUpdated names source {}, not in the epoch's table", [epoch.id, s.id.toHexString()]);
    return;
  }
  if (epoch.status != "PENDING") log.error("epoch {}: SourceScoresUpdated after the epoch became final", [epoch.id]);
  if (!s.active) log.error("epoch {}: SourceScoresUpdated moved source {}, which had left", [epoch.id, s.id.toHexString()]);
  const r = applyDelta(s.reliability, epoch.reliabilityAfterVoids[k]);
  const u = applyDelta(s.usefulness, epoch.usefulnessAfterVoids[k]);
  if (r != reliability || u != usefulness) {
    log.error("epoch {}: source {} replayed to {}/{} but the registry reports {}/{}", [
      epoch.id,
      s.id.toHexString(),
      r.toString(),
      u.toString(),
      reliability.toString(),
      usefulness.toString(),
    ]);
  }
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
