/**
 * Disputes mapping: arbitrated disputes (opened, then upheld, rejected or reclaimed) and proven
 * equivocations. Signers added to an open dispute (SignersAdded) join its `signers`. The slashes and stake locks
 * themselves arrive as NodeRegistry.NodeSlashed / StakeLocked (mappings/nodeRegistry.ts); an upheld dispute's
 * void arrives as Settlement.RoundVoided (mappings/settlement.ts).
 */
import { BigInt, Bytes } from "@graphprotocol/graph-ts";
import {
  DisputeOpened,
  DisputeReclaimed,
  DisputeRejected,
  DisputeUpheld,
  EquivocationProven,
  SignersAdded,
} from "../../generated/Disputes/Disputes";
import { Dispute, Equivocation, Round } from "../../generated/schema";
import { loadProtocol } from "../lib/entities";
import { eventId } from "../lib/ids";

export function handleDisputeOpened(event: DisputeOpened): void {
  const d = new Dispute(event.params.id.toString());
  d.number = event.params.id;
  d.roundId = event.params.roundId;
  if (Round.load(event.params.roundId) != null) d.round = event.params.roundId;
  d.epoch = event.params.epoch.toString();
  d.disputer = event.params.disputer;
  d.deposit = event.params.deposit;
  d.evidenceCid = event.params.evidenceCid;
  const signers = new Array<Bytes>(0);
  for (let i = 0; i < event.params.signers.length; i++) signers.push(event.params.signers[i]);
  d.signers = signers;
  d.deadline = event.params.deadline;
  d.status = "Open";
  d.openedAt = event.block.timestamp;
  d.transactionHash = event.transaction.hash;
  d.save();
  const p = loadProtocol();
  p.disputeCount += 1;
  p.save();
}

export function handleSignersAdded(event: SignersAdded): void {
  const d = Dispute.load(event.params.id.toString());
  if (d == null) return; // opened before the start block
  const signers = d.signers;
  for (let i = 0; i < event.params.signers.length; i++) signers.push(event.params.signers[i]);
  d.signers = signers;
  d.save();
}

function resolve(id: string, status: string, timestamp: BigInt): Dispute | null {
  const d = Dispute.load(id);
  if (d == null) return null; // opened before the start block
  d.status = status;
  d.resolvedAt = timestamp;
  return d;
}

export function handleDisputeUpheld(event: DisputeUpheld): void {
  const d = resolve(event.params.id.toString(), "Upheld", event.block.timestamp);
  if (d == null) return;
  d.slashedAmounts = event.params.amounts;
  d.save();
}

export function handleDisputeRejected(event: DisputeRejected): void {
  const d = resolve(event.params.id.toString(), "Rejected", event.block.timestamp);
  if (d != null) d.save();
}

export function handleDisputeReclaimed(event: DisputeReclaimed): void {
  const d = resolve(event.params.id.toString(), "Reclaimed", event.block.timestamp);
  if (d != null) d.save();
}

export function handleEquivocationProven(event: EquivocationProven): void {
  const e = new Equivocation(eventId(event));
  e.roundId = event.params.roundId;
  if (Round.load(event.params.roundId) != null) e.round = event.params.roundId;
  e.signer = event.params.signer;
  e.prover = event.params.prover;
  e.digestA = event.params.digestA;
  e.digestB = event.params.digestB;
  e.amount = event.params.amount;
  e.reward = event.params.reward;
  e.timestamp = event.block.timestamp;
  e.transactionHash = event.transaction.hash;
  e.save();
  const p = loadProtocol();
  p.equivocationCount += 1;
  p.save();
}
