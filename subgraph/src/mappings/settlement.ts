/**
 * Settlement mapping: rounds, epochs and node reputation.
 *
 * settleEpoch emits one RoundSettled per record, then one EpochSettled with the epoch's node table. A
 * round's deltas index into that table, so handleRoundSettled stores the round (its epoch is the next
 * number: epochs are consecutive) and queues its id on the Protocol; handleEpochSettled resolves the
 * queue: winner, one ReputationChange per participant with the delta applied in record order and clamped
 * (lib/scores.ts), and each node's reputation set to the value the event reports. Source deltas wait for
 * SourceRegistry.SourceScoresUpdated (mappings/sourceRegistry.ts), which reads the epoch's `rounds`.
 *
 * Voids. RoundsVoided takes `penalty` reputation from the coordinator. RoundVoided reverses a settled round as
 * Settlement.voidSettledRound does: each participant moves by minus its delta in record order, then the
 * coordinator by minus the penalty, then each source still registered by minus its deltas, all clamped. The
 * registry's SourceScoresUpdated of that call comes first; sourceRegistry.ts parks its values on the Protocol
 * and this handler checks the replay against them.
 */
import { Address, BigInt, Bytes, log } from "@graphprotocol/graph-ts";
import { BatchOpened, EpochSettled, RoundSettled, RoundsVoided, RoundVoided, SourceSkipped } from "../../generated/Settlement/Settlement";
import { Batch, Epoch, Protocol, ReputationChange, Round, RoundVoid, SequenceVoid, SourceScoreChange, SourceSkip } from "../../generated/schema";
import { decodeRoundDeltas } from "../lib/deltas";
import { loadNode, loadProtocol, loadSource } from "../lib/entities";
import { coordinatorOf, eventId, roundAccountId, sequenceOf } from "../lib/ids";
import { applyDelta, penaltyDelta } from "../lib/scores";

export function handleRoundSettled(event: RoundSettled): void {
  const p = loadProtocol();
  const pending = p.pendingRounds;
  const id = event.params.roundId;
  const d = decodeRoundDeltas(event.params.deltas);
  const round = new Round(id);
  round.coordinator = coordinatorOf(id);
  round.sequence = sequenceOf(id);
  round.epoch = (p.epochCount + 1).toString();
  round.indexInEpoch = pending.length;
  round.transcriptCid = event.params.transcriptCid;
  round.deltas = event.params.deltas;
  round.participantCount = d.nodeIndices.length;
  round.sourceCount = d.sourceIndices.length;
  round.sources = new Array<Bytes>(0);
  round.voided = false;
  round.timestamp = event.block.timestamp;
  round.blockNumber = event.block.number;
  round.transactionHash = event.transaction.hash;
  round.save();
  if (!d.valid) log.error("RoundSettled {}: malformed deltas {}", [id.toHexString(), event.params.deltas.toHexString()]);
  pending.push(id);
  p.pendingRounds = pending;
  p.roundCount += 1;
  p.save();
}

export function handleEpochSettled(event: EpochSettled): void {
  const p = loadProtocol();
  const number = event.params.epoch;
  const epochId = number.toString();
  if (number.notEqual(BigInt.fromI32(p.epochCount + 1))) {
    log.error("EpochSettled {} after epoch {}: its rounds were filed under {}", [epochId, p.epochCount.toString(), (p.epochCount + 1).toString()]);
  }
  const table = event.params.nodes;
  const rounds = p.pendingRounds;
  for (let r = 0; r < rounds.length; r++) settleRound(rounds[r], table, event);

  // The event's reputations are authoritative; the per-round replay above must arrive at them.
  const reps = event.params.reputations;
  const nodes = new Array<Bytes>(table.length);
  const repsI32 = new Array<i32>(table.length);
  for (let i = 0; i < table.length; i++) {
    const node = loadNode(table[i]);
    const reported = i32(reps[i].toI32());
    if (node.reputation != reported) {
      log.error("epoch {}: node {} replayed to reputation {} but the contract reports {}", [
        epochId,
        table[i].toHexString(),
        node.reputation.toString(),
        reported.toString(),
      ]);
    }
    node.reputation = reported;
    node.lastEpoch = epochId;
    node.save();
    nodes[i] = node.id;
    repsI32[i] = reported;
  }
  const e = new Epoch(epochId);
  e.number = number;
  e.settler = event.params.settler;
  e.roundCount = event.params.rounds.toI32();
  e.recordsCommitment = event.params.recordsCommitment;
  e.nodes = nodes;
  e.reputations = repsI32;
  e.rounds = rounds;
  e.blockNumber = event.block.number;
  e.timestamp = event.block.timestamp;
  e.transactionHash = event.transaction.hash;
  e.save();
  p.epochCount = number.toI32();
  p.pendingRounds = new Array<Bytes>(0);
  p.save();
}

/** Winner and reputation changes of one round of the epoch `event` settles. */
function settleRound(id: Bytes, table: Array<Address>, event: EpochSettled): void {
  const round = Round.load(id);
  if (round == null) return;
  const d = decodeRoundDeltas(round.deltas);
  if (!d.valid) return;
  for (let j = 0; j < d.nodeIndices.length; j++) {
    const index = d.nodeIndices[j];
    if (index >= table.length) {
      log.error("round {}: node index {} beyond the epoch's table of {}", [id.toHexString(), index.toString(), table.length.toString()]);
      continue;
    }
    const node = loadNode(table[index]);
    const won = j == d.winner;
    const c = new ReputationChange(roundAccountId(id, node.id));
    c.node = node.id;
    c.round = id;
    c.epoch = round.epoch;
    c.delta = d.nodeDeltas[j];
    c.reputationBefore = node.reputation;
    c.reputationAfter = applyDelta(node.reputation, d.nodeDeltas[j]);
    c.won = won;
    c.timestamp = event.block.timestamp;
    c.blockNumber = event.block.number;
    c.save();
    node.reputation = c.reputationAfter;
    node.roundCount += 1;
    if (won) {
      node.winCount += 1;
      round.winner = node.id;
    }
    node.save();
  }
  round.save();
}

export function handleBatchOpened(event: BatchOpened): void {
  const b = new Batch(eventId(event));
  b.coordinator = event.params.coordinator;
  b.firstSeq = event.params.firstSeq;
  b.lastSeq = event.params.lastSeq;
  b.seedBlock = event.params.seedBlock;
  b.period = event.params.period.toI32();
  b.timestamp = event.block.timestamp;
  b.transactionHash = event.transaction.hash;
  b.save();
}

export function handleRoundsVoided(event: RoundsVoided): void {
  const v = new SequenceVoid(eventId(event));
  v.coordinator = event.params.coordinator;
  v.fromSeq = event.params.fromSeq;
  v.throughSeq = event.params.throughSeq;
  v.penalty = event.params.penalty;
  v.credit = event.params.credit;
  v.timestamp = event.block.timestamp;
  v.transactionHash = event.transaction.hash;
  v.save();
  if (event.params.penalty.isZero()) return;
  const node = loadNode(event.params.coordinator);
  node.reputation = applyDelta(node.reputation, penaltyDelta(event.params.penalty));
  node.save();
}

export function handleRoundVoided(event: RoundVoided): void {
  const id = event.params.roundId;
  const p = loadProtocol();
  const round = Round.load(id);
  const v = new RoundVoid(eventId(event));
  v.roundId = id;
  v.epoch = event.params.epoch;
  v.penalty = event.params.penalty;
  v.timestamp = event.block.timestamp;
  v.transactionHash = event.transaction.hash;
  if (round == null) {
    log.warning("RoundVoided {}: the round settled before the start block; its sources take the registry's scores", [id.toHexString()]);
  } else {
    v.round = id;
    reverseNodes(round);
  }
  const coordinator = loadNode(coordinatorOf(id));
  coordinator.reputation = applyDelta(coordinator.reputation, penaltyDelta(event.params.penalty));
  coordinator.save();
  let reversed = new Array<Bytes>(0);
  if (round != null) {
    reversed = reverseSources(round, event.block.timestamp);
    round.voided = true;
    round.save();
  }
  checkVoidReport(p, id, reversed, round != null, event.block.timestamp);
  v.save();
  p.voidedRoundCount += 1;
  p.pendingVoidSources = new Array<Bytes>(0);
  p.pendingVoidReliability = new Array<i32>(0);
  p.pendingVoidUsefulness = new Array<i32>(0);
  p.save();
}

/** Each participant of `round` moves by minus its delta, in record order, clamped. */
function reverseNodes(round: Round): void {
  const epoch = Epoch.load(round.epoch);
  const d = decodeRoundDeltas(round.deltas);
  if (epoch == null || !d.valid) {
    log.error("RoundVoided {}: its epoch {} or deltas are unknown", [round.id.toHexString(), round.epoch]);
    return;
  }
  const table = epoch.nodes;
  for (let j = 0; j < d.nodeIndices.length; j++) {
    if (d.nodeIndices[j] >= table.length) continue; // logged when the epoch settled
    const node = loadNode(table[d.nodeIndices[j]]);
    node.reputation = applyDelta(node.reputation, -d.nodeDeltas[j]);
    node.save();
  }
}

/**
 * Each source of `round` still registered moves by minus its deltas, clamped; a source that left is skipped.
 * Returns the sources reversed.
 */
function reverseSources(round: Round, timestamp: BigInt): Array<Bytes> {
  const reversed = new Array<Bytes>(0);
  const sources = round.sources;
  for (let j = 0; j < sources.length; j++) {
    const s = loadSource(sources[j], timestamp);
    if (!s.active) continue;
    const c = SourceScoreChange.load(roundAccountId(round.id, s.id));
    if (c == null) continue;
    reversed.push(s.id);
    s.reliability = applyDelta(s.reliability, -c.reliabilityDelta);
    s.usefulness = applyDelta(s.usefulness, -c.usefulnessDelta);
    s.updatedAt = timestamp;
    s.save();
  }
  return reversed;
}

/**
 * The scores SourceRegistry reported for the void are authoritative: the replay must reach them and reverse
 * exactly the reported sources (unless the round is unknown, `replayed` false).
 */
function checkVoidReport(p: Protocol, id: Bytes, reversed: Array<Bytes>, replayed: bool, timestamp: BigInt): void {
  const reported = p.pendingVoidSources;
  let same = reversed.length == reported.length;
  for (let i = 0; same && i < reversed.length; i++) same = reversed[i].equals(reported[i]);
  if (replayed && !same) {
    log.error("RoundVoided {}: reversed {} sources but the registry reports {}", [
      id.toHexString(),
      reversed.length.toString(),
      reported.length.toString(),
    ]);
  }
  const rel = p.pendingVoidReliability;
  const use = p.pendingVoidUsefulness;
  for (let i = 0; i < reported.length; i++) {
    const s = loadSource(reported[i], timestamp);
    if (s.reliability != rel[i] || s.usefulness != use[i]) {
      log.error("RoundVoided {}: source {} reversed to {}/{} but the registry reports {}/{}", [
        id.toHexString(),
        reported[i].toHexString(),
        s.reliability.toString(),
        s.usefulness.toString(),
        rel[i].toString(),
        use[i].toString(),
      ]);
    }
    s.reliability = rel[i];
    s.usefulness = use[i];
    s.updatedAt = timestamp;
    s.save();
  }
}

export function handleSourceSkipped(event: SourceSkipped): void {
  const s = new SourceSkip(eventId(event));
  s.epoch = event.params.epoch;
  s.source = event.params.source;
  s.timestamp = event.block.timestamp;
  s.transactionHash = event.transaction.hash;
  s.save();
}
