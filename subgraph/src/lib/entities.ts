/**
 * Loading-or-creating the mutable entities several mappings share (the Protocol singleton, nodes, sources),
 * with the defaults the schema documents. Every handler goes through these so a node first seen in any
 * contract starts from the same state.
 */
import { Address, BigInt, Bytes } from "@graphprotocol/graph-ts";
import { Node, Protocol, Source } from "../../generated/schema";
import { REP_INITIAL, SOURCE_INITIAL } from "./scores";

export const PROTOCOL_ID = "1";

export function loadProtocol(): Protocol {
  let p = Protocol.load(PROTOCOL_ID);
  if (p == null) {
    p = new Protocol(PROTOCOL_ID);
    p.minStake = BigInt.zero();
    p.thawingPeriod = BigInt.zero();
    p.treasury = Address.zero();
    p.totalStaked = BigInt.zero();
    p.totalThawing = BigInt.zero();
    p.totalSlashed = BigInt.zero();
    p.nodeCount = 0;
    p.activeNodeCount = 0;
    p.sourceCount = 0;
    p.activeSourceCount = 0;
    p.suiteCount = 0;
    p.epochCount = 0;
    p.pendingEpochCount = 0;
    p.finalEpochCount = 0;
    p.roundCount = 0;
    p.disputeCount = 0;
    p.equivocationCount = 0;
    p.voidedRoundCount = 0;
    p.unsettledRounds = new Array<Bytes>(0);
  }
  return p;
}

/** The node at `address`, created unregistered with the initial reputation if it was never seen. */
export function loadNode(address: Bytes): Node {
  let n = Node.load(address);
  if (n == null) {
    n = new Node(address);
    n.registered = false;
    n.active = false;
    n.staked = BigInt.zero();
    n.thawing = BigInt.zero();
    n.thawEnd = BigInt.zero();
    n.slashed = BigInt.zero();
    n.locked = BigInt.zero();
    n.endpoint = "";
    n.metadataCid = Bytes.fromHexString("0x0000000000000000000000000000000000000000000000000000000000000000");
    n.joinedAt = BigInt.zero();
    n.reputation = REP_INITIAL;
    n.pendingReputationDelta = 0;
    n.roundCount = 0;
    n.winCount = 0;
    n.capableUntil = BigInt.zero();
    n.capabilityRevokedAt = BigInt.zero();
    n.capabilityScore = 0;
  }
  return n;
}

/** The source at `address`, created inactive with the initial scores if it was never seen. */
export function loadSource(address: Bytes, timestamp: BigInt): Source {
  let s = Source.load(address);
  if (s == null) {
    s = new Source(address);
    s.active = false;
    s.endpoint = "";
    s.manifestCid = Bytes.fromHexString("0x0000000000000000000000000000000000000000000000000000000000000000");
    s.reliability = SOURCE_INITIAL;
    s.usefulness = SOURCE_INITIAL;
    s.pendingReliabilityDelta = 0;
    s.pendingUsefulnessDelta = 0;
    s.registeredAt = timestamp;
    s.updatedAt = timestamp;
    s.bond = BigInt.zero();
    s.bondUnlocksAt = BigInt.zero();
    s.bondForfeited = BigInt.zero();
  }
  return s;
}
