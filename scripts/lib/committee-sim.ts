/**
 * Pure logic of `npm run bench:committee` (scripts/bench-committee.ts): how often a coalition holding a fraction of
 * the stake captures a sortition committee's 2/3 quorum, and what a coordinator gains by voiding rounds.
 *
 * The draw is the production rule (src/protocol/committee.ts, = contracts/libraries/Sortition.sol): node i holds
 * floor(s_i + u_i) seats, s_i = shareOf(...)/2^128, u_i = keccak256(seed ‖ node) >> 128 over 2^128. The bench hashes
 * each (round, node) once with the project's keccak and evaluates every committee size tau and coalition on those
 * same u (common random numbers, so the tau sweep is smooth). u is kept as a double of its top 52 bits: it differs
 * from the 128-bit rule only when u lies within 2^-52 of a seat boundary; the bench checks the fast path against
 * `drawCommittee` round by round on its first rounds. Exact values (Poisson-binomial over seat outcomes) and the
 * void-credit account (CoordinatorBatches.sol's constants) are here too, so the simulation is checked against them.
 */
import { encodeAbiParameters, getAddress, hexToBytes, type Address, type Hex } from "viem";
import {
  applyDelta,
  makeRoundId,
  keccak256,
  keccakBytes,
  MAX_REP_DELTA,
  REP_INITIAL,
  REP_SCALE,
} from "../../src/core/index.js";
import { SHARE_ONE, shareOf } from "../../src/protocol/index.js";

/**
 * The void-credit constants, mirrored by hand from contracts/base/CoordinatorBatches.sol (Settlement): VOID_COST,
 * MAX_CREDIT, INITIAL_CREDIT, VOID_PENALTY and VOID_SLASH_BPS there. This is the one place the simulation names them;
 * change them here when the contract changes.
 */
export const VOID_COST = 16;
export const MAX_CREDIT = 256;
export const INITIAL_CREDIT = 16;
export const VOID_PENALTY = 5_000;
/** CoordinatorBatches.VOID_SLASH_BPS: share (basis points) of its stake (staked + thawing) a coordinator loses per
 *  void beyond credit (Settlement._slashForVoids). */
export const VOID_SLASH_BPS = 50;
export const BPS = 10_000;
/** FixedPoint.MAX_DELTA: the most a record moves one member's reputation (src/core/fixed.ts owns the numbers). */
export const MAX_DELTA = MAX_REP_DELTA;
export const REP_REF = REP_INITIAL;
export const REP_MAX = REP_SCALE;

const TWO52 = 2 ** 52;

/** Deterministic node addresses: the low 20 bytes of keccak256(label, i). */
export function benchAddresses(n: number, label = "chorus bench:committee node"): Address[] {
  return Array.from({ length: n }, (_, i) =>
    getAddress(
      `0x${keccak256(encodeAbiParameters([{ type: "string" }, { type: "uint256" }], [label, BigInt(i)])).slice(26)}`,
    ),
  );
}

/** The seed of batch `b`: keccak256 of a counter, never Math.random. */
export function batchSeedOf(b: number, label = "chorus bench:committee batch"): Hex {
  return keccak256(encodeAbiParameters([{ type: "string" }, { type: "uint256" }], [label, BigInt(b)]));
}

/** Round id as Settlement builds it: coordinator << 96 | seq (src/core/round-id.ts encodes it). */
export function roundIdOf(coordinator: Address, seq: bigint): Hex {
  return makeRoundId(coordinator, seq);
}

/** u_i / 2^128 (top 52 bits) of every node for the round seeded `seed`: the hash `seatsOf` takes. */
export function uniformsOf(seed: Hex, nodes: readonly Uint8Array[], out: Float64Array): void {
  const buf = Buffer.alloc(52);
  buf.set(hexToBytes(seed), 0);
  for (let i = 0; i < nodes.length; i++) {
    buf.set(nodes[i], 32);
    out[i] = parseInt(keccakBytes(buf).slice(2, 15), 16) / TWO52;
  }
}

/** A stake profile: stakes, and nested coalitions given as group bands (coalition c = groups 0..c). */
export interface Profile {
  name: string;
  stakes: bigint[];
  /** group[i]: the smallest coalition index that contains node i, or `coalitions.length` for honest-only nodes. */
  group: Uint8Array;
  /** Coalition names (e.g. "f10") and their exact stake fractions. */
  coalitions: { name: string; fraction: number }[];
  total: bigint;
}

/**
 * Nested coalitions holding (at most, as close as whole nodes allow) each fraction of the stake, taken from the
 * nodes in `order` (indices): the first nodes of the order join first.
 */
export function profileOf(name: string, stakes: bigint[], fractions: number[], order: number[]): Profile {
  const total = stakes.reduce((a, b) => a + b, 0n);
  const group = new Uint8Array(stakes.length).fill(fractions.length);
  const coalitions: { name: string; fraction: number }[] = [];
  let acc = 0n;
  let pos = 0;
  fractions.forEach((f, c) => {
    const target = (BigInt(Math.round(f * 1e6)) * total) / 1_000_000n;
    // add the next node while the sum gets no farther from the target
    while (pos < order.length) {
      const next = acc + stakes[order[pos]];
      const before = target > acc ? target - acc : acc - target;
      const after = target > next ? target - next : next - target;
      if (after > before) break;
      acc = next;
      group[order[pos]] = c;
      pos++;
    }
    coalitions.push({ name: `f${Math.round(f * 100)}`, fraction: Number((acc * 1_000_000n) / total) / 1e6 });
  });
  return { name, stakes, group, coalitions, total };
}

/** Shares (expected seats, the production `shareOf` over 2^128) of every node at committee size tau. */
export function sharesAt(p: Profile, tau: number, reputation = REP_REF): { exact: bigint[]; float: Float64Array } {
  const exact = p.stakes.map((s) => shareOf(tau, s, p.total, reputation));
  return { exact, float: Float64Array.from(exact, (x) => Number(x) / Number(SHARE_ONE)) };
}

/** Per-round outcome bits. */
export const CAPTURED = 1;
export const FORCED = 2;
export const COORD_IN = 4;

/**
 * One round at one tau: seats per group band, members, total seats. Returns, per coalition c, the outcome bits
 * (CAPTURED iff coalition seats >= 2/3 of the committee's seats and members >= minCommittee; FORCED iff members <
 * minCommittee; COORD_IN iff node `coordinator` holds a seat).
 */
export function roundOutcome(
  shares: Float64Array,
  u: Float64Array,
  group: Uint8Array,
  coalitions: number,
  minCommittee: number,
  coordinator: number,
  bandSeats: Float64Array,
  out: Uint8Array,
): void {
  bandSeats.fill(0);
  let members = 0;
  let total = 0;
  for (let i = 0; i < u.length; i++) {
    const k = Math.floor(shares[i] + u[i]);
    if (k > 0) {
      members++;
      total += k;
      bandSeats[group[i]] += k;
    }
  }
  const forced = members < minCommittee;
  const coordBit = Math.floor(shares[coordinator] + u[coordinator]) > 0 ? COORD_IN : 0;
  let coal = 0;
  for (let c = 0; c < coalitions; c++) {
    coal += bandSeats[c];
    // 3 * signed >= 2 * total, as EpochCodec counts the quorum
    out[c] = (forced ? FORCED : 3 * coal >= 2 * total ? CAPTURED : 0) | coordBit;
  }
}

/**
 * Exact per-round probabilities (Poisson-binomial over each node's two seat outcomes floor(s) and floor(s)+1, the
 * latter with probability frac(share)/2^128): capture by the coalition of bands 0..c, and a forced void.
 */
export function exactRound(
  exact: bigint[],
  group: Uint8Array,
  c: number,
  minCommittee: number,
): { capture: number; forced: number } {
  const lo = exact.map((s) => Number(s / SHARE_ONE));
  const pHi = exact.map((s) => Number(s % SHARE_ONE) / Number(SHARE_ONE));
  // d = coalition seats * 1 - honest seats * 2 >= 0 iff 3 * coalition >= 2 * total
  let dMin = 0;
  let dMax = 0;
  exact.forEach((_, i) => (group[i] <= c ? (dMax += lo[i] + 1) : (dMin -= 2 * (lo[i] + 1))));
  const width = dMax - dMin + 1;
  const M = minCommittee + 1; // members capped at minCommittee
  let dist = new Float64Array(width * M);
  dist[(0 - dMin) * M] = 1;
  for (let i = 0; i < exact.length; i++) {
    const next = new Float64Array(width * M);
    const w = group[i] <= c ? 1 : -2;
    for (let d = 0; d < width; d++) {
      for (let m = 0; m < M; m++) {
        const p = dist[d * M + m];
        if (p === 0) continue;
        for (const [k, pk] of [
          [lo[i], 1 - pHi[i]],
          [lo[i] + 1, pHi[i]],
        ] as const) {
          if (pk === 0) continue;
          const nd = d + w * k;
          const nm = Math.min(M - 1, m + (k > 0 ? 1 : 0));
          next[nd * M + nm] += p * pk;
        }
      }
    }
    dist = next;
  }
  let capture = 0;
  let forced = 0;
  for (let d = 0; d < width; d++) {
    for (let m = 0; m < M; m++) {
      const p = dist[d * M + m];
      if (m < minCommittee) forced += p;
      else if (d + dMin >= 0) capture += p;
    }
  }
  return { capture, forced };
}

/** P(X >= k), X ~ Binomial(n, p). */
export function binomialTail(n: number, p: number, k: number): number {
  let s = 0;
  let c = 1;
  for (let i = 0; i <= n; i++) {
    if (i >= k) s += c * p ** i * (1 - p) ** (n - i);
    c = (c * (n - i)) / (i + 1);
  }
  return s;
}

/** Voids a grinder keeps credit for beyond the forced voids it sees ahead in its batch (about what the next batch
 *  forces at tau = 7 with batches of 64), so that it does not pay the penalty for forced voids. */
export const GRIND_RESERVE_VOIDS = 2;

/** What a coordinator (or a coalition's coordinator identities) did with a stream of rounds. */
export interface Account {
  rounds: number;
  settled: number;
  captured: number;
  forcedVoids: number;
  strategicVoids: number;
  /** Voids beyond credit, each costing its coordinator VOID_PENALTY reputation and VOID_SLASH_BPS of its stake. */
  penaltyVoids: number;
  /** Coordinator identities used (1 but for the "identities" strategy), each holding an equal part of the stake. */
  identities: number;
  /** Fraction of the coordinators' initial stake slashed for voids beyond credit (each void slashes VOID_SLASH_BPS of
   *  what its coordinator still holds, so slashes compound per identity). */
  stakeLost: number;
  /** Captured rounds settled before the coordinators had lost half their stake, or undefined if they never did. */
  capturedAtHalfStake: number | undefined;
}

export type Strategy =
  /** Voids only rounds that cannot settle. */
  | { kind: "honest" }
  /** Voids non-captured rounds with free credit only, keeping 16 credits per forced void still ahead in its batch
   *  (it sees the whole batch's draw) plus GRIND_RESERVE_VOIDS more for the next batch's forced voids. */
  | { kind: "grind" }
  /** As grind, then also up to `perBatch` paid voids per batch. */
  | { kind: "paid"; perBatch: number }
  /** As grind, then paid voids while its own reputation stays >= REP_REF, refilled by +MAX_DELTA per captured round it
   *  sits in (its seats never thin). Its stake is not refilled. */
  | { kind: "selfFinanced" }
  /** A coalition's `k` staked identities (active, capable nodes, each holding 1/k of the stake at risk) open the
   *  batches in turn (batch b under identity b mod k); each settles only captured rounds and voids every other one,
   *  with its credit while it lasts, else paying VOID_PENALTY and VOID_SLASH_BPS of its stake. Voiding one round per
   *  `voidRounds` call makes the slashes compound, the cheapest order for it; abandoning the batch instead costs as
   *  much or more, since `closeExpiredBatch` (anyone) or its next `openBatch` charges every unsettled sequence. */
  | { kind: "identities"; k: number };

/** Runs one coordinator (or `k` identities taking the batches in turn) over `flags`, in batches of `batch` rounds. */
export function runAccount(flags: Uint8Array, batch: number, strategy: Strategy): Account {
  const k = strategy.kind === "identities" ? strategy.k : 1;
  if (!Number.isInteger(k) || k < 1) throw new Error(`identities must be a whole number >= 1, got ${k}`);
  const a: Account = {
    rounds: flags.length,
    settled: 0,
    captured: 0,
    forcedVoids: 0,
    strategicVoids: 0,
    penaltyVoids: 0,
    identities: k,
    stakeLost: 0,
    capturedAtHalfStake: undefined,
  };
  const credit = new Array<number>(k).fill(INITIAL_CREDIT);
  const held = new Array<number>(k).fill(1 / k);
  let heldTotal = 1;
  let id = 0;
  let rep = REP_REF;
  let forcedAhead = 0;
  let paidInBatch = 0;
  const settle = (f: number) => {
    a.settled++;
    credit[id] = Math.min(MAX_CREDIT, credit[id] + 1);
    if (f & CAPTURED) {
      a.captured++;
      if (f & COORD_IN) rep = applyDelta(rep, MAX_DELTA);
    }
  };
  const pay = () => {
    a.penaltyVoids++;
    rep -= VOID_PENALTY;
    const slashed = (held[id] * VOID_SLASH_BPS) / BPS;
    held[id] -= slashed;
    heldTotal -= slashed;
    if (a.capturedAtHalfStake === undefined && heldTotal < 0.5) a.capturedAtHalfStake = a.captured;
  };
  const voidRound = (forced: boolean) => {
    if (forced) a.forcedVoids++;
    else a.strategicVoids++;
    if (credit[id] >= VOID_COST) credit[id] -= VOID_COST;
    else pay();
  };
  for (let r = 0; r < flags.length; r++) {
    if (r % batch === 0) {
      id = Math.floor(r / batch) % k;
      forcedAhead = 0;
      for (let j = r; j < Math.min(flags.length, r + batch); j++) if (flags[j] & FORCED) forcedAhead++;
      paidInBatch = 0;
    }
    const f = flags[r];
    if (strategy.kind === "identities") {
      if (f & CAPTURED) settle(f);
      else voidRound((f & FORCED) !== 0);
      continue;
    }
    if (f & FORCED) {
      forcedAhead--;
      voidRound(true);
      continue;
    }
    if (f & CAPTURED || strategy.kind === "honest") {
      settle(f);
      continue;
    }
    if (credit[id] - VOID_COST >= VOID_COST * (forcedAhead + GRIND_RESERVE_VOIDS)) {
      voidRound(false);
      continue;
    }
    if (strategy.kind === "paid" && paidInBatch < strategy.perBatch) {
      paidInBatch++;
      a.strategicVoids++;
      pay();
      continue;
    }
    if (strategy.kind === "selfFinanced" && rep - VOID_PENALTY >= REP_REF) {
      a.strategicVoids++;
      pay();
      continue;
    }
    settle(f);
  }
  a.stakeLost = 1 - heldTotal;
  return a;
}

/**
 * The seed block's proposer withholding its block (c): each withheld block gives the batch a fresh seed, so the
 * coalition picks the best of `draws` independent draws of the whole batch. Takes each group of `draws`
 * consecutive batches of `flags` as the alternatives and keeps the one with the most captured rounds.
 */
export function bestOfBatches(flags: Uint8Array, batch: number, draws: number): Uint8Array {
  const groups = Math.floor(flags.length / (batch * draws));
  const out = new Uint8Array(groups * batch);
  for (let g = 0; g < groups; g++) {
    let best = 0;
    let bestCount = -1;
    for (let d = 0; d < draws; d++) {
      const start = (g * draws + d) * batch;
      let count = 0;
      for (let j = start; j < start + batch; j++) if (flags[j] & CAPTURED) count++;
      if (count > bestCount) [best, bestCount] = [start, count];
    }
    out.set(flags.subarray(best, best + batch), g * batch);
  }
  return out;
}
