/**
 * Verifiable committee draw. The seed is keccak256(blockHash, queryDigest) of a recent block chosen by the
 * coordinator, so anyone can recompute the committee from public data. Each candidate's chance is
 * proportional to stake x reputation; k members are drawn without replacement with a keccak256 counter-mode
 * stream over the seed. Integer (bigint) arithmetic only: the same inputs give the same committee anywhere.
 */
import { encodePacked, type Address, type Hex } from "viem";
import { keccak256 } from "./keccak.js";
import { ChorusError } from "../errors.js";

export interface Candidate {
  address: Address;
  /** Staked amount (token wei). */
  stake: bigint;
  /** Reputation in [0, 1_000_000]. */
  reputation: number;
}

export function committeeSeed(blockHash: Hex, queryDigest: Hex): Hex {
  return keccak256(encodePacked(["bytes32", "bytes32"], [blockHash, queryDigest]));
}

/** Draws min(k, eligible) members; candidates with zero weight are never drawn. Result in draw order. */
export function drawCommittee(seed: Hex, candidates: readonly Candidate[], k: number): Address[] {
  if (!Number.isInteger(k) || k < 1) throw new ChorusError("ROUND_BAD_COMMITTEE_SIZE", `committee size must be >= 1, got ${k}`, { k });
  const seen = new Set<string>();
  const pool = [...candidates]
    .map((c) => ({ address: c.address, weight: c.stake * BigInt(Math.max(0, Math.trunc(c.reputation))) }))
    .filter((c) => c.weight > 0n)
    .sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));
  for (const c of pool) {
    const key = c.address.toLowerCase();
    if (seen.has(key)) throw new ChorusError("ROUND_DUPLICATE_CANDIDATE", `candidate ${c.address} appears twice`, { address: c.address });
    seen.add(key);
  }
  const chosen: Address[] = [];
  for (let draw = 0; draw < k && pool.length > 0; draw++) {
    const total = pool.reduce((s, c) => s + c.weight, 0n);
    const r = BigInt(keccak256(encodePacked(["bytes32", "uint256"], [seed, BigInt(draw)]))) % total;
    let acc = 0n;
    let index = pool.length - 1;
    for (let i = 0; i < pool.length; i++) {
      acc += pool[i].weight;
      if (r < acc) {
        index = i;
        break;
      }
    }
    chosen.push(pool[index].address);
    pool.splice(index, 1);
  }
  return chosen;
}
