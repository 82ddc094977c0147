/**
 * Stake bookkeeping the NodeRegistry events leave implicit. NodeSlashed carries only the amount; the
 * contract takes it from staked stake first, then from thawing stake (NodeRegistry._slash). Pure: only
 * graph-ts BigInt arithmetic.
 */
import { BigInt } from "@graphprotocol/graph-ts";

/** Staked and thawing amounts after a slash of `amount`. */
export class StakeSplit {
  constructor(public staked: BigInt, public thawing: BigInt) {}
}

/** Where a slash of `amount` leaves a node holding `staked` + `thawing` (amount <= staked + thawing). */
export function afterSlash(staked: BigInt, thawing: BigInt, amount: BigInt): StakeSplit {
  const fromStaked = amount.lt(staked) ? amount : staked;
  return new StakeSplit(staked.minus(fromStaked), thawing.minus(amount.minus(fromStaked)));
}
