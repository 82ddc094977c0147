/**
 * Settling records: the contract's stake-weighted quorum rule, the packed epoch encoding `settleEpoch` takes
 * (format in contracts/interfaces/ISettlement.sol), the records commitment `epochInfo` stores, and the decoding of
 * a `RoundSettled` event's deltas. Shared by the coordinator (settles), the auditor and the contract tests. Pure.
 */
import { concat, getAddress, hexToBigInt, keccak256, slice, toHex, type Address, type Hex } from "viem";
import {
  ChorusError,
  compactSignature,
  compareAddress,
  MAX_TABLE,
  normAddress,
  present,
  recordInvalid,
  roundIdParts,
  validateRecord,
} from "../core/index.js";
import type { RoundRecord, SignedRecord } from "../core/index.js";

/** The contract's quorum rule: signers hold at least 2/3 of the committee's seats. */
export function hasQuorum(signedSeats: bigint, totalSeats: bigint): boolean {
  return 3n * signedSeats >= 2n * totalSeats;
}

/** Seats of `node` in the round of `record` (src/protocol/committee.ts `seatsOf` with the round's weights). */
export type SeatLookup = (record: RoundRecord, node: Address) => bigint;

function seatsIn(seats: SeatLookup, record: RoundRecord, a: Address): bigint {
  const v = seats(record, getAddress(a));
  if (typeof v !== "bigint" || v < 1n)
    recordInvalid(`round ${record.roundId}: ${a} holds no seat`, { roundId: record.roundId, node: a, seats: v });
  return v;
}

/**
 * The fewest signers (most seats first) of `record` whose seats reach 2/3 of the committee's: what an epoch needs
 * to carry. Throws SETTLEMENT_NO_QUORUM when all of `signers` together fall short.
 */
export function selectQuorum(record: RoundRecord, signers: readonly Address[], seats: SeatLookup): Address[] {
  const total = record.participants.reduce((acc, p) => acc + seatsIn(seats, record, p), 0n);
  const members = new Set(record.participants.map((p) => normAddress(p)));
  const candidates = [...new Set(signers.map((s) => normAddress(s)))]
    .filter((s) => members.has(s))
    .map((s) => ({ s, stake: seatsIn(seats, record, s as Address) }))
    .sort((a, b) => (a.stake === b.stake ? a.s.localeCompare(b.s) : a.stake > b.stake ? -1 : 1));
  const chosen: Address[] = [];
  let signed = 0n;
  for (const c of candidates) {
    if (hasQuorum(signed, total)) break;
    chosen.push(c.s);
    signed += c.stake;
  }
  if (!hasQuorum(signed, total)) {
    throw new ChorusError(
      "SETTLEMENT_NO_QUORUM",
      `round ${record.roundId}: signers hold ${signed} of ${total} seats; 2/3 needed`,
      {
        roundId: record.roundId,
        signedSeats: signed,
        totalSeats: total,
      },
    );
  }
  return chosen;
}

export interface EncodeEpochOptions {
  /** With seats, each record carries only the fewest signatures that reach quorum (cheaper); otherwise all. */
  seats?: SeatLookup;
  /** false: encode records as they are, without `validateRecord` (to test the contract's own checks). */
  validate?: boolean;
}

/** Arguments of `Settlement.settleEpoch`, and the round ids in the order the epoch holds them. */
export interface EncodedEpoch {
  nodes: Address[];
  sources: Address[];
  records: Hex;
  roundIds: Hex[];
}

const int32Hex = (v: number): Hex => toHex(BigInt.asUintN(32, BigInt(v)), { size: 4 });

/** A signature in the EIP-2098 compact form the contract reads: r | (yParity << 255 | s), s in the lower half. */
/**
 * Packs signed records into `settleEpoch` arguments (format in contracts/interfaces/ISettlement.sol): sorted
 * unique node and source tables, records sorted by round id and grouped in runs of one coordinator,
 * participants and sources as table indices, participant signatures in position order, compact signatures.
 */
export function encodeEpoch(signed: readonly SignedRecord[], opts: EncodeEpochOptions = {}): EncodedEpoch {
  if (signed.length === 0 || signed.length > 0xffff)
    recordInvalid(`an epoch holds 1..65535 records, got ${signed.length}`);
  const sorted = [...signed].sort((a, b) => compareAddress(a.record.roundId, b.record.roundId));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].record.roundId === sorted[i - 1].record.roundId)
      recordInvalid(`round ${sorted[i].record.roundId} appears twice`);
  }
  if (opts.validate !== false) sorted.forEach((s) => validateRecord(s.record));
  const nodes = [...new Set(sorted.flatMap((s) => s.record.participants.map((p) => normAddress(p))))].sort(
    compareAddress,
  );
  const sources = [...new Set(sorted.flatMap((s) => s.record.sources.map((x) => normAddress(x.source))))].sort(
    compareAddress,
  );
  if (nodes.length > MAX_TABLE || sources.length > MAX_TABLE)
    recordInvalid(`an epoch may name at most ${MAX_TABLE} nodes and sources`);
  const nodeIndex = new Map(nodes.map((a, i) => [a, i]));
  const sourceIndex = new Map(sources.map((a, i) => [a, i]));
  const parts: Hex[] = [toHex(sorted.length, { size: 2 })];
  for (let i = 0; i < sorted.length;) {
    const { coordinator } = roundIdParts(sorted[i].record.roundId);
    let j = i;
    while (j < sorted.length && roundIdParts(sorted[j].record.roundId).coordinator === coordinator) j++;
    parts.push(coordinator, toHex(j - i, { size: 2 }));
    for (; i < j; i++) parts.push(...encodeRecord(sorted[i], nodeIndex, sourceIndex, opts));
  }
  return {
    nodes: nodes.map((a) => getAddress(a)),
    sources: sources.map((a) => getAddress(a)),
    records: concat(parts),
    roundIds: sorted.map((s) => s.record.roundId),
  };
}

function encodeRecord(
  { record, signatures, sourceSignatures = {} }: SignedRecord,
  nodeIndex: Map<string, number>,
  sourceIndex: Map<string, number>,
  opts: EncodeEpochOptions,
): Hex[] {
  const sigs = lowerKeys(signatures);
  const srcSigs = lowerKeys(sourceSignatures);
  const lower = record.participants.map((p) => normAddress(p));
  const parts: Hex[] = [
    slice(record.roundId, 20, 32),
    record.queryCid,
    record.transcriptCid,
    toHex(lower.length, { size: 1 }),
  ];
  parts.push(...lower.map((p) => toHex(present(nodeIndex.get(p), `node table entry of ${p}`), { size: 1 })));
  parts.push(toHex(Math.max(0, lower.indexOf(normAddress(record.winner))), { size: 1 }));
  parts.push(...record.deltas.map(int32Hex));
  parts.push(toHex(record.sources.length, { size: 1 }));
  for (const s of record.sources) {
    const sig =
      srcSigs.get(normAddress(s.source)) ||
      recordInvalid(`round ${record.roundId}: no service statement signature from source ${s.source}`, {
        source: s.source,
      });
    parts.push(
      toHex(present(sourceIndex.get(normAddress(s.source)), `source table entry of ${s.source}`), { size: 1 }),
      int32Hex(s.reliability),
      int32Hex(s.usefulness),
      s.servedCid,
      compactSignature(sig),
    );
  }
  let signers = lower.filter((p) => sigs.has(p));
  if (opts.seats) {
    const chosen = new Set(selectQuorum(record, signers, opts.seats).map(normAddress));
    signers = signers.filter((p) => chosen.has(p));
  }
  parts.push(toHex(signers.length, { size: 1 }));
  parts.push(...signers.map((p) => toHex(lower.indexOf(p), { size: 1 })));
  parts.push(...signers.map((p) => compactSignature(present(sigs.get(p), `signature of ${p}`))));
  return parts;
}

function lowerKeys(m: Record<string, Hex>): Map<string, Hex> {
  return new Map(Object.entries(m).map(([k, v]) => [normAddress(k), v]));
}

/** The commitment `Settlement.epochInfo` stores for an epoch whose records have these digests, in order. */
export function recordsCommitment(digests: readonly Hex[]): Hex {
  const h = hexToBigInt(keccak256(concat([...digests])));
  return toHex(h & ~((1n << 40n) - 1n), { size: 32 });
}
