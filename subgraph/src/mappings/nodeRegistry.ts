/**
 * NodeRegistry mapping: nodes, their stake (one immutable StakeChange per event, with the amounts after
 * it), the active set and the protocol parameters. Slashes are split staked-first as the contract does
 * (lib/stake.ts), since NodeSlashed carries only the amount. Stake locked by open disputes follows
 * StakeLocked / StakeUnlocked, and a slash lowers it to what is left, as NodeRegistry._slash does.
 */
import { BigInt, ethereum } from "@graphprotocol/graph-ts";
import {
  MinStakeUpdated,
  NodeActivated,
  NodeDeactivated,
  NodeSlashed,
  NodeStaked,
  NodeUpdated,
  StakeAdded,
  StakeLocked,
  StakeUnlocked,
  StakeWithdrawn,
  ThawingPeriodUpdated,
  TreasuryUpdated,
  UnstakeRequested,
} from "../../generated/NodeRegistry/NodeRegistry";
import { Node, StakeChange } from "../../generated/schema";
import { loadNode, loadProtocol } from "../lib/entities";
import { eventId } from "../lib/ids";
import { afterSlash } from "../lib/stake";

function recordChange(event: ethereum.Event, node: Node, kind: string, amount: BigInt): StakeChange {
  const c = new StakeChange(eventId(event));
  c.node = node.id;
  c.kind = kind;
  c.amount = amount;
  c.stakedAfter = node.staked;
  c.thawingAfter = node.thawing;
  c.blockNumber = event.block.number;
  c.timestamp = event.block.timestamp;
  c.transactionHash = event.transaction.hash;
  return c;
}

export function handleNodeStaked(event: NodeStaked): void {
  const p = loadProtocol();
  const node = loadNode(event.params.node);
  if (!node.registered) p.nodeCount += 1;
  node.registered = true;
  node.staked = event.params.amount; // stake() works once per address: a node never registers twice
  node.endpoint = event.params.endpoint;
  node.metadataCid = event.params.metadataCid;
  node.joinedAt = event.block.timestamp;
  node.save();
  p.totalStaked = p.totalStaked.plus(event.params.amount);
  p.save();
  recordChange(event, node, "Staked", event.params.amount).save();
}

export function handleStakeAdded(event: StakeAdded): void {
  const node = loadNode(event.params.node);
  node.staked = event.params.staked;
  node.save();
  const p = loadProtocol();
  p.totalStaked = p.totalStaked.plus(event.params.amount);
  p.save();
  recordChange(event, node, "Added", event.params.amount).save();
}

export function handleNodeUpdated(event: NodeUpdated): void {
  const node = loadNode(event.params.node);
  node.endpoint = event.params.endpoint;
  node.metadataCid = event.params.metadataCid;
  node.save();
}

export function handleUnstakeRequested(event: UnstakeRequested): void {
  const node = loadNode(event.params.node);
  node.staked = event.params.staked;
  node.thawing = event.params.thawing;
  node.thawEnd = event.params.thawEnd;
  node.save();
  const p = loadProtocol();
  p.totalStaked = p.totalStaked.minus(event.params.amount);
  p.totalThawing = p.totalThawing.plus(event.params.amount);
  p.save();
  recordChange(event, node, "UnstakeRequested", event.params.amount).save();
}

export function handleStakeWithdrawn(event: StakeWithdrawn): void {
  const node = loadNode(event.params.node);
  node.thawing = BigInt.zero();
  node.save();
  const p = loadProtocol();
  p.totalThawing = p.totalThawing.minus(event.params.amount);
  p.save();
  recordChange(event, node, "Withdrawn", event.params.amount).save();
}

export function handleNodeSlashed(event: NodeSlashed): void {
  const node = loadNode(event.params.node);
  const split = afterSlash(node.staked, node.thawing, event.params.amount);
  const p = loadProtocol();
  p.totalStaked = p.totalStaked.minus(node.staked.minus(split.staked));
  p.totalThawing = p.totalThawing.minus(node.thawing.minus(split.thawing));
  p.totalSlashed = p.totalSlashed.plus(event.params.amount);
  p.save();
  node.staked = split.staked;
  node.thawing = split.thawing;
  node.slashed = node.slashed.plus(event.params.amount);
  // a lock never exceeds what is left to slash
  const held = split.staked.plus(split.thawing);
  if (node.locked.gt(held)) node.locked = held;
  node.save();
  const c = recordChange(event, node, "Slashed", event.params.amount);
  c.slasher = event.params.slasher;
  c.reward = event.params.reward;
  c.beneficiary = event.params.beneficiary;
  c.reason = event.params.reason;
  c.evidenceCid = event.params.evidenceCid;
  c.save();
}

export function handleNodeActivated(event: NodeActivated): void {
  const node = loadNode(event.params.node);
  node.active = true;
  node.save();
  const p = loadProtocol();
  p.activeNodeCount += 1;
  p.save();
}

export function handleNodeDeactivated(event: NodeDeactivated): void {
  const node = loadNode(event.params.node);
  node.active = false;
  node.save();
  const p = loadProtocol();
  p.activeNodeCount -= 1;
  p.save();
}

export function handleMinStakeUpdated(event: MinStakeUpdated): void {
  const p = loadProtocol();
  p.minStake = event.params.newValue;
  p.save();
}

export function handleThawingPeriodUpdated(event: ThawingPeriodUpdated): void {
  const p = loadProtocol();
  p.thawingPeriod = event.params.newValue;
  p.save();
}

export function handleTreasuryUpdated(event: TreasuryUpdated): void {
  const p = loadProtocol();
  p.treasury = event.params.newTreasury;
  p.save();
}

export function handleStakeLocked(event: StakeLocked): void {
  const node = loadNode(event.params.node);
  node.locked = event.params.locked;
  node.save();
}

export function handleStakeUnlocked(event: StakeUnlocked): void {
  const node = loadNode(event.params.node);
  node.locked = event.params.locked;
  node.save();
}
