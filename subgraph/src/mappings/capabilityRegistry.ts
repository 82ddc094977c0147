/**
 * CapabilityRegistry mapping: suites, graded attempts (immutable CapabilityResult) and each node's current
 * pass, which a new pass replaces only when it lasts longer (lib/capability.ts, as the contract does).
 */
import {
  CapabilityGraded,
  ChoicesCommitted,
  PassRevoked,
  SuiteKeyRevealed,
  SuitePublished,
} from "../../generated/CapabilityRegistry/CapabilityRegistry";
import { BigInt } from "@graphprotocol/graph-ts";
import { CapabilityResult, Suite } from "../../generated/schema";
import { replacesPass } from "../lib/capability";
import { loadNode, loadProtocol } from "../lib/entities";
import { eventId } from "../lib/ids";

export function handleSuitePublished(event: SuitePublished): void {
  const s = new Suite(event.params.suiteId.toString());
  s.number = event.params.suiteId;
  s.itemsCid = event.params.itemsCid;
  s.itemCount = event.params.itemCount;
  s.passThreshold = event.params.passThreshold;
  s.keyCommitment = event.params.keyCommitment;
  s.commitEnd = event.params.commitEnd;
  s.keyRevealEnd = event.params.keyRevealEnd;
  s.revealEnd = event.params.revealEnd;
  s.validity = event.params.validity;
  s.keyRevealed = false;
  s.commitmentCount = 0;
  s.passCount = 0;
  s.failCount = 0;
  s.publishedAt = event.block.timestamp;
  s.save();
  const p = loadProtocol();
  p.suiteCount += 1;
  p.save();
}

export function handleChoicesCommitted(event: ChoicesCommitted): void {
  const s = Suite.load(event.params.suiteId.toString());
  if (s == null) return; // published before the start block
  s.commitmentCount += 1;
  s.save();
}

export function handleSuiteKeyRevealed(event: SuiteKeyRevealed): void {
  const s = Suite.load(event.params.suiteId.toString());
  if (s == null) return;
  s.keyRevealed = true;
  s.key = event.params.key;
  s.save();
}

export function handleCapabilityGraded(event: CapabilityGraded): void {
  const suiteId = event.params.suiteId.toString();
  const s = Suite.load(suiteId);
  if (s != null) {
    if (event.params.passed) s.passCount += 1;
    else s.failCount += 1;
    s.save();
  }
  const node = loadNode(event.params.node);
  const replaced = replacesPass(event.params.passed, event.params.validUntil.toU64(), node.capableUntil.toU64());
  if (replaced) {
    node.capableUntil = event.params.validUntil;
    node.capabilitySuite = suiteId;
    node.capabilityScore = event.params.score;
  }
  node.save();
  const r = new CapabilityResult(eventId(event));
  r.suite = suiteId;
  r.node = node.id;
  r.choices = event.params.choices;
  r.score = event.params.score;
  r.passed = event.params.passed;
  r.validUntil = event.params.validUntil;
  r.replacedPass = replaced;
  r.blockNumber = event.block.number;
  r.timestamp = event.block.timestamp;
  r.transactionHash = event.transaction.hash;
  r.save();
}

/** The arbitrator ended a pass: the node is capable until the revocation time (the contract's validUntil). */
export function handlePassRevoked(event: PassRevoked): void {
  const node = loadNode(event.params.node);
  node.capableUntil = BigInt.fromU64(event.params.revokedAt.toU64());
  node.capabilityRevokedAt = node.capableUntil;
  node.save();
}
