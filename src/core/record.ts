/**
 * Round records as the Settlement contract sees them: the record and statement shapes, the bounds the contract
 * enforces (`validateRecord`) and the order it requires (`sortRecord`). Pure.
 */
import { hexToBigInt, isAddress, isHex, type Address, type Hex } from "viem";
import { ChorusError } from "./errors.js";
import { compareAddress, sameAddress } from "./address.js";
import { MAX_REP_DELTA } from "./fixed.js";

/** Largest epoch table (indices are one byte), and largest committee / source list of one record. */
export const MAX_TABLE = 256;
export const MAX_PER_RECORD = 255;

/** One source's deltas in a round and the CID (bytes32 digest) of what it served. */
export interface SourceDelta {
  source: Address;
  reliability: number;
  usefulness: number;
  servedCid: Hex;
}

/** What the committee signs for a round. `deltas[i]` belongs to `participants[i]`. */
export interface RoundRecord {
  roundId: Hex;
  /** The round's committee seed: keccak256(batch seed, round id) (src/protocol/committee.ts `roundSeed`). */
  seed: Hex;
  /** The weight period the committee was drawn in (Settlement.currentPeriod when the batch was opened). */
  period: number;
  queryCid: Hex;
  transcriptCid: Hex;
  winner: Address;
  participants: Address[];
  deltas: number[];
  sources: SourceDelta[];
}

/** A source's statement of what it served in a round (EIP-712 `SourceService`). */
export interface ServiceStatement {
  roundId: Hex;
  servedCid: Hex;
}

/** A record with the signatures gathered for it, keyed by signer address (any case). */
export interface SignedRecord {
  record: RoundRecord;
  /** Participant signatures over `recordDigest`. */
  signatures: Record<string, Hex>;
  /** Each source's signature over its `ServiceStatement` for this round, keyed by source address. */
  sourceSignatures?: Record<string, Hex>;
}

export const isBytes32 = (v: unknown): v is Hex => typeof v === "string" && isHex(v) && v.length === 66;
/** Throws ChorusError RECORD_INVALID with `details`. */
export const recordInvalid = (message: string, details: Record<string, unknown> = {}): never => {
  throw new ChorusError("RECORD_INVALID", message, details);
};

function checkDelta(value: number, what: string, roundId: Hex): void {
  if (!Number.isInteger(value) || Math.abs(value) > MAX_REP_DELTA) {
    recordInvalid(`round ${roundId}: ${what} delta ${value} is not an integer within ±${MAX_REP_DELTA}`, {
      roundId,
      what,
      delta: value,
      bound: MAX_REP_DELTA,
    });
  }
}

/** Throws ChorusError RECORD_INVALID unless `record` is one the contract could accept (signatures aside). */
export function validateRecord(record: RoundRecord): void {
  const { roundId } = record;
  if (!Number.isInteger(record.period) || record.period < 1 || record.period > 0xffffffff) {
    recordInvalid(`period must be an integer in 1..2^32-1, got ${record.period}`, { period: record.period });
  }
  for (const field of ["roundId", "seed", "queryCid", "transcriptCid"] as const) {
    if (!isBytes32(record[field]))
      recordInvalid(`${field} must be a 32-byte hex string`, { field, value: record[field] });
  }
  if (hexToBigInt(roundId) === 0n) recordInvalid("roundId must not be zero", { roundId });
  const n = record.participants.length;
  if (n === 0 || n > MAX_PER_RECORD)
    recordInvalid(`round ${roundId}: ${n} participants; 1..${MAX_PER_RECORD} allowed`, { roundId, n });
  if (record.deltas.length !== n) {
    recordInvalid(`round ${roundId}: ${record.deltas.length} deltas for ${n} participants`, {
      roundId,
      n,
      deltas: record.deltas.length,
    });
  }
  record.participants.forEach((p, i) => {
    if (!isAddress(p, { strict: false }))
      recordInvalid(`round ${roundId}: participant ${String(p)} is not an address`, { roundId, participant: p });
    if (i > 0 && BigInt(p) <= BigInt(record.participants[i - 1])) {
      recordInvalid(
        `round ${roundId}: participants must be sorted by strictly increasing address (see sortRecord); ${p} is not`,
        {
          roundId,
          participant: p,
        },
      );
    }
    checkDelta(record.deltas[i], `participant ${p}`, roundId);
  });
  if (!record.participants.some((p) => sameAddress(p, record.winner))) {
    recordInvalid(`round ${roundId}: winner ${record.winner} is not a participant`, { roundId, winner: record.winner });
  }
  if (record.sources.length > MAX_PER_RECORD)
    recordInvalid(`round ${roundId}: too many sources`, { roundId, m: record.sources.length });
  record.sources.forEach((s, i) => {
    if (!isAddress(s.source, { strict: false }))
      recordInvalid(`round ${roundId}: source ${String(s.source)} is not an address`, { roundId });
    if (i > 0 && BigInt(s.source) <= BigInt(record.sources[i - 1].source)) {
      recordInvalid(
        `round ${roundId}: sources must be sorted by strictly increasing address (see sortRecord); ${s.source} is not`,
        {
          roundId,
          source: s.source,
        },
      );
    }
    if (!isBytes32(s.servedCid))
      recordInvalid(`round ${roundId}: servedCid of ${s.source} must be 32 bytes`, { roundId, source: s.source });
    checkDelta(s.reliability, `reliability of source ${s.source}`, roundId);
    checkDelta(s.usefulness, `usefulness of source ${s.source}`, roundId);
  });
}

/**
 * `record` with participants (and their deltas) and sources sorted by increasing address, as the contract
 * requires. Sort before signing: the order is part of what is signed.
 */
export function sortRecord(record: RoundRecord): RoundRecord {
  if (record.deltas.length !== record.participants.length) {
    recordInvalid(
      `round ${record.roundId}: ${record.deltas.length} deltas for ${record.participants.length} participants`,
    );
  }
  const pairs = record.participants
    .map((p, i) => ({ p, d: record.deltas[i] }))
    .sort((a, b) => compareAddress(a.p, b.p));
  return {
    ...record,
    participants: pairs.map((x) => x.p),
    deltas: pairs.map((x) => x.d),
    sources: [...record.sources].sort((a, b) => compareAddress(a.source, b.source)),
  };
}
