/**
 * The committee rule (contracts/libraries/Sortition.sol, the same rule bit for bit): a node's seats in a round
 * are floor(share + u), u = keccak256(roundSeed ‖ node) >> 128 uniform in [0, 2^128), and
 * share = tau · stake · min(rep, REP_REF) · 2^128 / (totalStake · REP_REF). A node is drawn iff it holds a seat.
 * Stake (0 when below the minimum or not capable), total stake and reputation are the values when the round's
 * weight period began; the round seed is keccak256(batchSeed, roundId), the batch seed the hash of a block mined
 * after the coordinator reserved the batch (Settlement.openBatch). So anyone recomputes the committee from
 * public data, each member's claim is checked on chain in O(1), and splitting stake over identities gains
 * nothing in expectation. Integer (bigint) arithmetic only.
 */
import { concat, encodePacked, getAddress, type Address, type Hex } from "viem";
import { keccak256 } from "../core/index.js";
import { ChorusError, compareAddress } from "../core/index.js";

/** Reputation at or above which a node's seats are not thinned (the initial reputation). */
export const REP_REF = 250_000n;
/** Fixed-point one of a share. */
export const SHARE_ONE = 1n << 128n;

export interface Candidate {
  address: Address;
  /** Eligible stake when the weight period began (token wei): 0 when below the minimum stake or not capable. */
  stake: bigint;
  /** Reputation in [0, 1_000_000] when the weight period began. */
  reputation: number;
}

/** The seed of round `roundId` in a batch seeded `batchSeed` (Sortition.roundSeed). */
export function roundSeed(batchSeed: Hex, roundId: Hex): Hex {
  return keccak256(concat([batchSeed, roundId]));
}

/** Expected seats of a node times 2^128 (Sortition.share). */
export function shareOf(tau: number, stake: bigint, totalStake: bigint, reputation: number): bigint {
  if (stake <= 0n || totalStake <= 0n) return 0n;
  const rep = BigInt(Math.max(0, Math.trunc(reputation)));
  const rho = rep < REP_REF ? rep : REP_REF;
  return (BigInt(tau) * stake * rho * SHARE_ONE) / (totalStake * REP_REF);
}

/** Seats of `node` in the round seeded `seed`, given its share (Sortition.seats). */
export function seatsOf(share: bigint, seed: Hex, node: Address): bigint {
  const u = BigInt(keccak256(encodePacked(["bytes32", "address"], [seed, node]))) >> 128n;
  return (share + u) >> 128n;
}

/** The drawn committee: members sorted by address, with their seats. */
export interface Committee {
  members: Address[];
  seats: Map<string, bigint>;
  totalSeats: bigint;
}

/**
 * The committee of the round seeded `seed`: every candidate with a seat. `totalStake` is the total stake when the
 * period began (NodeRegistry.stakesAt); it defaults to the candidates' sum, which is right only when they are all
 * the registered nodes.
 */
export function drawCommittee(
  seed: Hex,
  candidates: readonly Candidate[],
  tau: number,
  totalStake?: bigint,
): Committee {
  if (!Number.isInteger(tau) || tau < 1 || tau > 255) {
    throw new ChorusError("ROUND_BAD_COMMITTEE_SIZE", `expected committee seats must be in 1..255, got ${tau}`, {
      tau,
    });
  }
  const seen = new Set<string>();
  for (const c of candidates) {
    const key = c.address.toLowerCase();
    if (seen.has(key))
      throw new ChorusError("ROUND_DUPLICATE_CANDIDATE", `candidate ${c.address} appears twice`, {
        address: c.address,
      });
    seen.add(key);
  }
  const total = totalStake ?? candidates.reduce((s, c) => s + (c.stake > 0n ? c.stake : 0n), 0n);
  const seats = new Map<string, bigint>();
  const members: Address[] = [];
  for (const c of [...candidates].sort((a, b) => compareAddress(a.address, b.address))) {
    const address = getAddress(c.address);
    const s = seatsOf(shareOf(tau, c.stake, total, c.reputation), seed, address);
    if (s > 0n) {
      members.push(address);
      seats.set(address.toLowerCase(), s);
    }
  }
  return { members, seats, totalSeats: [...seats.values()].reduce((a, b) => a + b, 0n) };
}

/** The committee part of an answer request and a transcript. */
export interface CommitteeSnapshot {
  /** The batch's seed block; its hash is the batch seed. */
  seedBlock: { number: string; hash: Hex };
  /** The round seed: keccak256(batch seed, round id). */
  seed: Hex;
  /** The weight period whose start weights the draw used. */
  period: number;
  /** Expected seats (tau). */
  size: number;
  /** Total stake when the period began (token wei, decimal). */
  totalStake: string;
  /** Fewest members a record may list. */
  minCommittee: number;
  candidates: { address: Address; stake: string; reputation: number }[];
  /** Every drawn node, sorted by address. */
  members: Address[];
  /** Seats of each member (by address as listed in `members`). */
  seats: Record<string, number>;
}
