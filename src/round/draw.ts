/**
 * A round's committee from its ticket and its period's weights (src/protocol/committee.ts is the rule): what the
 * coordinator draws, what a member recomputes from the answer-request's snapshot or from its own chain reads
 * (`drawFromDirectory`), and what the auditor recomputes. Pure but for `drawFromDirectory`'s reads.
 */
import { getAddress, isAddressEqual, type Address, type Hex } from "viem";
import { ChorusError } from "../core/index.js";
import { drawCommittee, roundSeed, type Committee, type CommitteeSnapshot } from "../protocol/index.js";
import type { Directory, PeriodWeights } from "./ports.js";

export type { CommitteeSnapshot };

/** The committee of `roundId` in a batch seeded `batchSeed`, from the period's weights. */
export function drawFromWeights(
  roundId: Hex,
  batchSeed: Hex,
  w: Pick<PeriodWeights, "candidates" | "totalStake" | "tau">,
): Committee & { seed: Hex } {
  const seed = roundSeed(batchSeed, roundId);
  return { seed, ...drawCommittee(seed, w.candidates, w.tau, w.totalStake) };
}

/** The snapshot a coordinator puts into its answer request and transcript. */
export function snapshotOf(
  ticket: { roundId: Hex; batchSeed: Hex; seedBlock: bigint; period: number },
  w: PeriodWeights,
): CommitteeSnapshot {
  const c = drawFromWeights(ticket.roundId, ticket.batchSeed, w);
  return {
    seedBlock: { number: ticket.seedBlock.toString(), hash: ticket.batchSeed },
    seed: c.seed,
    period: ticket.period,
    size: w.tau,
    totalStake: w.totalStake.toString(),
    minCommittee: w.minCommittee,
    candidates: w.candidates.map((x) => ({
      address: getAddress(x.address),
      stake: x.stake.toString(),
      reputation: x.reputation,
    })),
    members: c.members,
    seats: Object.fromEntries(c.members.map((m) => [m, Number(c.seats.get(m.toLowerCase()) ?? 0n)])),
  };
}

/** Seats of `member` in a snapshot (0 when not drawn). */
export function seatsIn(snapshot: Pick<CommitteeSnapshot, "seats">, member: string): bigint {
  const hit = Object.entries(snapshot.seats).find(([a]) => a.toLowerCase() === member.toLowerCase());
  return BigInt(hit?.[1] ?? 0);
}

/** Total seats of a snapshot's committee. */
export function totalSeatsOf(snapshot: Pick<CommitteeSnapshot, "seats">): bigint {
  return Object.values(snapshot.seats).reduce((a, b) => a + BigInt(b), 0n);
}

/**
 * What is wrong with a snapshot as a draw (undefined when it is the draw its own candidates, total stake, tau and
 * seeds give): the round seed, the members and their seats are recomputed. Checks the snapshot's internal
 * consistency only; compare its weights with the chain's (`drawFromDirectory`) to trust them.
 */
export function snapshotProblem(roundId: Hex, s: CommitteeSnapshot): string | undefined {
  let drawn: Committee & { seed: Hex };
  try {
    drawn = drawFromWeights(roundId, s.seedBlock.hash, {
      candidates: s.candidates.map((c) => ({
        address: c.address,
        endpoint: "",
        stake: BigInt(c.stake),
        reputation: c.reputation,
      })),
      totalStake: BigInt(s.totalStake),
      tau: s.size,
    });
  } catch (err) {
    return `the committee snapshot cannot be drawn: ${(err as Error).message}`.slice(0, 300);
  }
  if (drawn.seed !== s.seed) return `the round seed is not keccak256(batch seed, round id)`;
  if (!sameMembers(drawn.members, s.members)) return `the committee is not the draw of its candidates`;
  for (const m of drawn.members) {
    if (seatsIn(s, m) !== drawn.seats.get(m.toLowerCase())) return `the seats of ${m} are not the draw's`;
  }
  return undefined;
}

export function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => isAddressEqual(x as Address, b[i] as Address));
}

/**
 * The committee of round `roundId` from this node's own reads: the batch seed (hash of `seedBlock`, when the
 * directory reads a chain) and the period's weights. A member calls it to check it is drawn and that the
 * coordinator's snapshot is the chain's.
 */
export async function drawFromDirectory(
  directory: Directory,
  round: { roundId: Hex; seedBlock: bigint; period: number; batchSeed?: Hex },
  opts: { signal?: AbortSignal } = {},
): Promise<Committee & { seed: Hex; weights: PeriodWeights }> {
  const batchSeed = directory.blockHash ? await directory.blockHash(round.seedBlock, opts) : round.batchSeed;
  if (!batchSeed)
    throw new ChorusError("ROUND_UNAVAILABLE", "no batch seed: the directory reads no chain and none was given");
  const weights = await directory.weightsAt(round.period, opts);
  return { ...drawFromWeights(round.roundId, batchSeed, weights), weights };
}
