/**
 * Settlement mapping: rounds, epochs, node reputation, pending versus final (optimistic finality).
 *
 * Settling. settleEpoch emits one RoundSettled per record, then one EpochSettled with the epoch's node and source
 * tables and their NET deltas (sums over its rounds). A round's deltas index into those tables, so
 * handleRoundSettled stores the round (its epoch is the next number: epochs are consecutive) and queues its id on
 * the Protocol; handleEpochSettled resolves the queue (winner, sources, one ReputationChange / SourceScoreChange per
 * account), checks that the rounds sum to the event's net deltas (logged on mismatch, the event's kept), stores the
 * epoch PENDING and adds its net deltas to each node's and source's pending deltas. No score moves.
 *
 * Voids. RoundVoided (a pending epoch's round: an upheld dispute or an omission proof) marks the round and its
 * entries voided, takes its deltas out of the epoch's `*AfterVoids` and out of every participant's and source's
 * pending deltas, and takes `penalty` from the coordinator's (final) reputation at once, clamped. RoundsVoided
 * (sequences that never settled) takes its `penalty` the same way.
 *
 * Finality. finalizeEpoch emits SourceSkipped for each of the epoch's sources that left, then (if any source is still
 * active) SourceRegistry.SourceScoresUpdated (mappings/sourceRegistry.ts sets and checks the source scores), then
 * EpochFinalized. handleEpochFinalized moves each node's reputation once by its `deltasAfterVoids` entry, clamped
 * (lib/scores.ts), checks the result against the event's reputations (logged on mismatch, the event's kept), takes
 * the epoch's deltas out of the nodes' and sources' pending deltas, and marks the epoch FINAL.
 */
import { Address, BigInt, Bytes, log } from "@graphprotocol/graph-ts";
import { BatchOpened, EpochFinalized, EpochSettled, RoundSettled, RoundsVoided, RoundVoided, SourceSkipped } from "../../generated/Settlement/Settlement";
import { Batch, Epoch, ReputationChange, Round, RoundVoid, SequenceVoid, SourceScoreChange, SourceSkip } from "../../generated/schema";
import { decodeRoundDeltas } from "../lib/deltas";
import { loadNode, loadProtocol, loadSource } from "../lib/entities";
import { coordinatorOf, eventId, roundAccountId, sequenceOf } from "../lib/ids";
import { applyDelta, penaltyDelta } from "../lib/scores";

export const EPOCH_PENDING = "PENDING";
export const EPOCH_FINAL = "FINAL";

export function handleRoundSettled(event: RoundSettled): void {
  const p = loadProtocol();
  const queued = p.unsettledRounds;
  const id = event.params.roundId;
  const d = decodeRoundDeltas(event.params.deltas);
  const round = new Round(id);
  round.coordinator = coordinatorOf(id);
  round.sequence = sequenceOf(id);
  round.epoch = (p.epochCount + 1).toString();
  round.indexInEpoch = queued.length;
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
  queued.push(id);
  p.unsettledRounds = queued;
  p.roundCount += 1;
  p.save();
}

/** Sums of the rounds' deltas per table entry, filled while the rounds are resolved (checked against the event). */
class Sums {
  nodes: Array<i32>;
  reliability: Array<i32>;
  usefulness: Array<i32>;
  constructor(nodes: i32, sources: i32) {
    this.nodes = zeros(nodes);
    this.reliability = zeros(sources);
    this.usefulness = zeros(sources);
  }
}

function zeros(n: i32): Array<i32> {
  const out = new Array<i32>(n);
  for (let i = 0; i < n; i++) out[i] = 0;
  return out;
}

function copy(a: Array<i32>): Array<i32> {
  const out = new Array<i32>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

function addresses(table: Array<Address>): Array<Bytes> {
  const out = new Array<Bytes>(table.length);
  for (let i = 0; i < table.length; i++) out[i] = table[i];
  return out;
}

/** Position of `account` in `table`, or -1. */
function positionOf(table: Array<Bytes>, account: Bytes): i32 {
  for (let i = 0; i < table.length; i++) if (table[i].equals(account)) return i;
  return -1;
}

export function handleEpochSettled(event: EpochSettled): void {
  const p = loadProtocol();
  const number = event.params.epoch;
  const epochId = number.toString();
  if (number.notEqual(BigInt.fromI32(p.epochCount + 1))) {
    log.error("EpochSettled {} after epoch {}: its rounds were filed under {}", [epochId, p.epochCount.toString(), (p.epochCount + 1).toString()]);
  }
  const nodes = addresses(event.params.nodes);
  const sources = addresses(event.params.sources);
  const deltas = event.params.deltas;
  const rel = event.params.reliability;
  const use = event.params.usefulness;
  const sums = new Sums(nodes.length, sources.length);
  const rounds = p.unsettledRounds;
  for (let r = 0; r < rounds.length; r++) settleRound(rounds[r], nodes, sources, sums, event);

  // The event's net deltas are authoritative (finalizeEpoch checks them against their hash); the rounds must sum to them.
  for (let i = 0; i < nodes.length; i++) {
    if (sums.nodes[i] != deltas[i]) {
      log.error("epoch {}: node {} rounds sum to {} but EpochSettled reports a net delta of {}", [
        epochId,
        nodes[i].toHexString(),
        sums.nodes[i].toString(),
        deltas[i].toString(),
      ]);
    }
    const node = loadNode(nodes[i]);
    node.pendingReputationDelta += deltas[i];
    node.lastEpoch = epochId;
    node.save();
  }
  for (let j = 0; j < sources.length; j++) {
    if (sums.reliability[j] != rel[j] || sums.usefulness[j] != use[j]) {
      log.error("epoch {}: source {} rounds sum to {}/{} but EpochSettled reports net deltas of {}/{}", [
        epochId,
        sources[j].toHexString(),
        sums.reliability[j].toString(),
        sums.usefulness[j].toString(),
        rel[j].toString(),
        use[j].toString(),
      ]);
    }
    const s = loadSource(sources[j], event.block.timestamp);
    s.pendingReliabilityDelta += rel[j];
    s.pendingUsefulnessDelta += use[j];
    s.lastEpoch = epochId;
    s.updatedAt = event.block.timestamp;
    s.save();
  }
  const e = new Epoch(epochId);
  e.number = number;
  e.status = EPOCH_PENDING;
  e.settler = event.params.settler;
  e.roundCount = event.params.rounds.toI32();
  e.recordsCommitment = event.params.recordsCommitment;
  e.nodes = nodes;
  e.deltas = deltas;
  e.deltasAfterVoids = copy(deltas);
  e.sources = sources;
  e.reliabilityDeltas = rel;
  e.usefulnessDeltas = use;
  e.reliabilityAfterVoids = copy(rel);
  e.usefulnessAfterVoids = copy(use);
  e.rounds = rounds;
  e.voidedRounds = new Array<Bytes>(0);
  e.voidedRoundCount = 0;
  e.blockNumber = event.block.number;
  e.timestamp = event.block.timestamp;
  e.transactionHash = event.transaction.hash;
  e.save();
  p.epochCount = number.toI32();
  p.pendingEpochCount += 1;
  p.unsettledRounds = new Array<Bytes>(0);
  p.save();
}

/** Winner, sources and per-account entries of one round of the epoch `event` settles; adds its deltas to `sums`. */
function settleRound(id: Bytes, nodes: Array<Bytes>, sources: Array<Bytes>, sums: Sums, event: EpochSettled): void {
  const round = Round.load(id);
  if (round == null) return;
  const d = decodeRoundDeltas(round.deltas);
  if (!d.valid) return;
  for (let j = 0; j < d.nodeIndices.length; j++) {
    const index = d.nodeIndices[j];
    if (index >= nodes.length) {
      log.error("round {}: node index {} beyond the epoch's table of {}", [id.toHexString(), index.toString(), nodes.length.toString()]);
      continue;
    }
    const node = loadNode(nodes[index]);
    const won = j == d.winner;
    const c = new ReputationChange(roundAccountId(id, node.id));
    c.node = node.id;
    c.round = id;
    c.epoch = round.epoch;
    c.delta = d.nodeDeltas[j];
    c.won = won;
    c.voided = false;
    c.timestamp = event.block.timestamp;
    c.blockNumber = event.block.number;
    c.save();
    sums.nodes[index] += d.nodeDeltas[j];
    node.roundCount += 1;
    if (won) {
      node.winCount += 1;
      round.winner = node.id;
    }
    node.save();
  }
  const scored = new Array<Bytes>(0);
  for (let j = 0; j < d.sourceIndices.length; j++) {
    const index = d.sourceIndices[j];
    if (index >= sources.length) {
      log.error("round {}: source index {} beyond the epoch's table of {}", [id.toHexString(), index.toString(), sources.length.toString()]);
      continue;
    }
    const c = new SourceScoreChange(roundAccountId(id, sources[index]));
    c.source = sources[index];
    c.round = id;
    c.epoch = round.epoch;
    c.reliabilityDelta = d.reliability[j];
    c.usefulnessDelta = d.usefulness[j];
    c.voided = false;
    c.timestamp = event.block.timestamp;
    c.blockNumber = event.block.number;
    c.save();
    sums.reliability[index] += d.reliability[j];
    sums.usefulness[index] += d.usefulness[j];
    scored.push(sources[index]);
  }
  round.sources = scored;
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
    log.warning("RoundVoided {}: the round settled before the start block; pending deltas are not followed for it", [id.toHexString()]);
  } else {
    v.round = id;
    if (round.voided) log.error("RoundVoided {}: voided twice", [id.toHexString()]);
    if (round.epoch != event.params.epoch.toString()) {
      log.error("RoundVoided {}: names epoch {} but the round settled in epoch {}", [id.toHexString(), event.params.epoch.toString(), round.epoch]);
    }
    dropRound(round, event.block.timestamp);
    round.voided = true;
    round.voidedAt = event.block.timestamp;
    round.save();
  }
  const coordinator = loadNode(coordinatorOf(id));
  coordinator.reputation = applyDelta(coordinator.reputation, penaltyDelta(event.params.penalty));
  coordinator.save();
  v.save();
  p.voidedRoundCount += 1;
  p.save();
}

/**
 * Takes a voided round's deltas out of its epoch's `*AfterVoids` and out of each participant's and source's pending
 * deltas, exactly (no clamping: nothing was applied), and marks its entries voided.
 */
function dropRound(round: Round, timestamp: BigInt): void {
  const epoch = Epoch.load(round.epoch);
  const d = decodeRoundDeltas(round.deltas);
  if (epoch == null || !d.valid) {
    log.error("RoundVoided {}: its epoch {} or deltas are unknown", [round.id.toHexString(), round.epoch]);
    return;
  }
  if (epoch.status != EPOCH_PENDING) log.error("RoundVoided {}: its epoch {} is final already", [round.id.toHexString(), epoch.id]);
  const nodes = epoch.nodes;
  const after = epoch.deltasAfterVoids;
  for (let j = 0; j < d.nodeIndices.length; j++) {
    const index = d.nodeIndices[j];
    if (index >= nodes.length) continue; // logged when the epoch settled
    after[index] -= d.nodeDeltas[j];
    const node = loadNode(nodes[index]);
    node.pendingReputationDelta -= d.nodeDeltas[j];
    node.save();
    const c = ReputationChange.load(roundAccountId(round.id, node.id));
    if (c != null) {
      c.voided = true;
      c.save();
    }
  }
  const sources = epoch.sources;
  const rel = epoch.reliabilityAfterVoids;
  const use = epoch.usefulnessAfterVoids;
  for (let j = 0; j < d.sourceIndices.length; j++) {
    const index = d.sourceIndices[j];
    if (index >= sources.length) continue; // logged when the epoch settled
    rel[index] -= d.reliability[j];
    use[index] -= d.usefulness[j];
    const s = loadSource(sources[index], timestamp);
    s.pendingReliabilityDelta -= d.reliability[j];
    s.pendingUsefulnessDelta -= d.usefulness[j];
    s.updatedAt = timestamp;
    s.save();
    const c = SourceScoreChange.load(roundAccountId(round.id, s.id));
    if (c != null) {
      c.voided = true;
      c.save();
    }
  }
  const voided = epoch.voidedRounds;
  voided.push(round.id);
  epoch.voidedRounds = voided;
  epoch.voidedRoundCount += 1;
  epoch.deltasAfterVoids = after;
  epoch.reliabilityAfterVoids = rel;
  epoch.usefulnessAfterVoids = use;
  epoch.save();
}

export function handleEpochFinalized(event: EpochFinalized): void {
  const epochId = event.params.epoch.toString();
  const table = event.params.nodes;
  const reported = event.params.reputations;
  const reps = new Array<i32>(table.length);
  for (let i = 0; i < table.length; i++) reps[i] = i32(reported[i].toI32());
  const epoch = Epoch.load(epochId);
  if (epoch == null) {
    // settled before the start block: take the reported reputations; pending deltas were never followed
    log.warning("EpochFinalized {}: the epoch settled before the start block", [epochId]);
    for (let i = 0; i < table.length; i++) {
      const node = loadNode(table[i]);
      node.reputation = reps[i];
      node.save();
    }
    return;
  }
  if (epoch.status != EPOCH_PENDING) log.error("EpochFinalized {}: the epoch is final already", [epochId]);
  const voided = event.params.voidedRounds;
  if (voided.notEqual(BigInt.fromI32(epoch.voidedRoundCount))) {
    log.error("EpochFinalized {}: {} voided rounds, but {} RoundVoided were seen", [epochId, voided.toString(), epoch.voidedRoundCount.toString()]);
  }
  const nodes = epoch.nodes;
  const after = epoch.deltasAfterVoids;
  for (let i = 0; i < table.length; i++) {
    const node = loadNode(table[i]);
    const k = positionOf(nodes, table[i]);
    if (k < 0) {
      log.error("EpochFinalized {}: node {} is not in the epoch's table", [epochId, table[i].toHexString()]);
    } else {
      // The rule (src/chain/finality.ts finalReputations): the final reputation moves once by the net after voids, clamped.
      const replayed = applyDelta(node.reputation, after[k]);
      if (replayed != reps[i]) {
        log.error("epoch {}: node {} replayed to reputation {} but the contract reports {}", [
          epochId,
          table[i].toHexString(),
          replayed.toString(),
          reps[i].toString(),
        ]);
      }
      node.pendingReputationDelta -= after[k];
    }
    node.reputation = reps[i];
    node.save();
  }
  if (table.length != nodes.length) {
    log.error("EpochFinalized {}: {} nodes, but the epoch's table holds {}", [epochId, table.length.toString(), nodes.length.toString()]);
  }
  // Sources: SourceScoresUpdated (just before, same transaction) set the scores of those still active; every
  // source's deltas of the epoch leave its pending deltas now, applied or skipped.
  const sources = epoch.sources;
  const rel = epoch.reliabilityAfterVoids;
  const use = epoch.usefulnessAfterVoids;
  for (let j = 0; j < sources.length; j++) {
    const s = loadSource(sources[j], event.block.timestamp);
    s.pendingReliabilityDelta -= rel[j];
    s.pendingUsefulnessDelta -= use[j];
    s.updatedAt = event.block.timestamp;
    s.save();
  }
  epoch.status = EPOCH_FINAL;
  epoch.reputations = reps;
  epoch.finalizer = event.params.finalizer;
  epoch.finalizedAt = event.block.timestamp;
  epoch.finalizedTransactionHash = event.transaction.hash;
  epoch.save();
  const p = loadProtocol();
  p.pendingEpochCount -= 1;
  p.finalEpochCount += 1;
  p.save();
}

export function handleSourceSkipped(event: SourceSkipped): void {
  const s = new SourceSkip(eventId(event));
  s.epoch = event.params.epoch;
  s.source = event.params.source;
  s.timestamp = event.block.timestamp;
  s.transactionHash = event.transaction.hash;
  s.save();
}
