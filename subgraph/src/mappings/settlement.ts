/**
 * Settlement mapping: rounds, epochs and node reputation.
 *
 * settleEpoch emits one RoundSettled per record, then one EpochSettled with the epoch's node table. A
 * round's deltas index into that table, so handleRoundSettled stores the round (its epoch is the next
 * number: epochs are consecutive) and queues its id on the Protocol; handleEpochSettled resolves the
 * queue: winner, one ReputationChange per participant with the delta applied in record order and clamped
 * (lib/scores.ts), and each node's reputation set to the value the event reports. Source deltas wait for
 * SourceRegistry.SourceScoresUpdated (mappings/sourceRegistry.ts), which reads the epoch's `rounds`.
 */
import { Address, BigInt, Bytes, log } from "@graphprotocol/graph-ts";
import { BatchOpened, EpochSettled, RoundSettled, RoundsVoided, RoundVoided, SourceSkipped } from "../../generated/Settlement/Settlement";
import { Batch, Epoch, ReputationChange, Round, RoundVoid, SequenceVoid, SourceSkip } from "../../generated/schema";
import { decodeRoundDeltas } from "../lib/deltas";
import { loadNode, loadProtocol } from "../lib/entities";
import { coordinatorOf, eventId, roundAccountId, sequenceOf } from "../lib/ids";
import { applyDelta } from "../lib/scores";

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
}

export function handleRoundVoided(event: RoundVoided): void {
  const v = new RoundVoid(eventId(event));
  v.roundId = event.params.roundId;
  v.epoch = event.params.epoch;
  v.penalty = event.params.penalty;
  v.timestamp = event.block.timestamp;
  v.transactionHash = event.transaction.hash;
  v.save();
}

export function handleSourceSkipped(event: SourceSkipped): void {
  const s = new SourceSkip(eventId(event));
  s.epoch = event.params.epoch;
  s.source = event.params.source;
  s.timestamp = event.block.timestamp;
  s.transactionHash = event.transaction.hash;
  s.save();
}
