/**
 * Round records as the Settlement contract sees them: the EIP-712 domain and types, digests, signing and
 * recovery with viem, the stake-weighted quorum rule, and the packed epoch encoding that `settleEpoch` takes
 * (see contracts/interfaces/ISettlement.sol). Shared by the off-chain node (members sign, the coordinator
 * settles), the auditor (recomputes digests, decodes `RoundSettled`) and the contract tests. Pure: no I/O
 * beyond signing with the account it is given.
 */
import {
  concat,
  encodePacked,
  getAddress,
  hashTypedData,
  isAddress,
  isHex,
  keccak256,
  recoverTypedDataAddress,
  size,
  slice,
  toHex,
  hexToBigInt,
  hexToNumber,
  type Address,
  type Hex,
} from "viem";
import { ChorusError } from "../errors.js";

/** 1.0 on the reputation / source-score scale. */
export const REP_SCALE = 1_000_000;
/** Reputation of a node never settled, and the scores of a source never scored (FixedPoint.sol). */
export { REP_INITIAL, SOURCE_INITIAL } from "../consensus/fixed.js";
/** Largest |delta| one round may give one node or one source score. */
export const MAX_REP_DELTA = 50_000;
/** Largest epoch table (indices are one byte), and largest committee / source list of one record. */
export const MAX_TABLE = 256;
export const MAX_PER_RECORD = 255;

export const SETTLEMENT_DOMAIN_NAME = "Chorus Settlement";
export const SETTLEMENT_DOMAIN_VERSION = "1";

export interface SettlementDomain {
  name: string;
  version: string;
  chainId: number;
  verifyingContract: Address;
}

/** The EIP-712 domain of the Settlement contract at `verifyingContract` on chain `chainId`. */
export function settlementDomain(chainId: number | bigint, verifyingContract: Address): SettlementDomain {
  return {
    name: SETTLEMENT_DOMAIN_NAME,
    version: SETTLEMENT_DOMAIN_VERSION,
    chainId: Number(chainId),
    verifyingContract: getAddress(verifyingContract),
  };
}

export const RECORD_TYPES = {
  RoundRecord: [
    { name: "roundId", type: "bytes32" },
    { name: "seed", type: "bytes32" },
    { name: "period", type: "uint32" },
    { name: "queryCid", type: "bytes32" },
    { name: "transcriptCid", type: "bytes32" },
    { name: "winner", type: "address" },
    { name: "participants", type: "address[]" },
    { name: "deltas", type: "int32[]" },
    { name: "sources", type: "SourceDelta[]" },
  ],
  SourceDelta: [
    { name: "source", type: "address" },
    { name: "reliability", type: "int32" },
    { name: "usefulness", type: "int32" },
    { name: "servedCid", type: "bytes32" },
  ],
} as const;

export const SERVICE_TYPES = {
  SourceService: [
    { name: "roundId", type: "bytes32" },
    { name: "servedCid", type: "bytes32" },
  ],
} as const;

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
  /** The round's committee seed: keccak256(batch seed, round id) (src/round/committee.ts `roundSeed`). */
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

/** Anything that signs EIP-712 typed data: a viem LocalAccount, or a WalletClient with an account. */
export interface TypedDataSigner {
  signTypedData(args: {
    domain: SettlementDomain;
    types: Record<string, readonly { name: string; type: string }[]>;
    primaryType: string;
    message: Record<string, unknown>;
  }): Promise<Hex>;
}

const isBytes32 = (v: unknown): v is Hex => typeof v === "string" && isHex(v) && v.length === 66;
const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new ChorusError("RECORD_INVALID", message, details);
};

function checkDelta(value: number, what: string, roundId: Hex): void {
  if (!Number.isInteger(value) || Math.abs(value) > MAX_REP_DELTA) {
    fail(`round ${roundId}: ${what} delta ${value} is not an integer within ±${MAX_REP_DELTA}`, {
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
    fail(`period must be an integer in 1..2^32-1, got ${record.period}`, { period: record.period });
  }
  for (const field of ["roundId", "seed", "queryCid", "transcriptCid"] as const) {
    if (!isBytes32(record[field])) fail(`${field} must be a 32-byte hex string`, { field, value: record[field] });
  }
  if (hexToBigInt(roundId) === 0n) fail("roundId must not be zero", { roundId });
  const n = record.participants.length;
  if (n === 0 || n > MAX_PER_RECORD) fail(`round ${roundId}: ${n} participants; 1..${MAX_PER_RECORD} allowed`, { roundId, n });
  if (record.deltas.length !== n) {
    fail(`round ${roundId}: ${record.deltas.length} deltas for ${n} participants`, { roundId, n, deltas: record.deltas.length });
  }
  record.participants.forEach((p, i) => {
    if (!isAddress(p, { strict: false })) fail(`round ${roundId}: participant ${p} is not an address`, { roundId, participant: p });
    if (i > 0 && BigInt(p) <= BigInt(record.participants[i - 1])) {
      fail(`round ${roundId}: participants must be sorted by strictly increasing address (see sortRecord); ${p} is not`, {
        roundId,
        participant: p,
      });
    }
    checkDelta(record.deltas[i], `participant ${p}`, roundId);
  });
  if (!record.participants.some((p) => p.toLowerCase() === record.winner.toLowerCase())) {
    fail(`round ${roundId}: winner ${record.winner} is not a participant`, { roundId, winner: record.winner });
  }
  if (record.sources.length > MAX_PER_RECORD) fail(`round ${roundId}: too many sources`, { roundId, m: record.sources.length });
  record.sources.forEach((s, i) => {
    if (!isAddress(s.source, { strict: false })) fail(`round ${roundId}: source ${s.source} is not an address`, { roundId });
    if (i > 0 && BigInt(s.source) <= BigInt(record.sources[i - 1].source)) {
      fail(`round ${roundId}: sources must be sorted by strictly increasing address (see sortRecord); ${s.source} is not`, {
        roundId,
        source: s.source,
      });
    }
    if (!isBytes32(s.servedCid)) fail(`round ${roundId}: servedCid of ${s.source} must be 32 bytes`, { roundId, source: s.source });
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
    fail(`round ${record.roundId}: ${record.deltas.length} deltas for ${record.participants.length} participants`);
  }
  const pairs = record.participants.map((p, i) => ({ p, d: record.deltas[i] })).sort((a, b) => byAddress(a.p, b.p));
  return {
    ...record,
    participants: pairs.map((x) => x.p),
    deltas: pairs.map((x) => x.d),
    sources: [...record.sources].sort((a, b) => byAddress(a.source, b.source)),
  };
}

function recordMessage(record: RoundRecord) {
  return {
    roundId: record.roundId,
    seed: record.seed,
    period: record.period,
    queryCid: record.queryCid,
    transcriptCid: record.transcriptCid,
    winner: getAddress(record.winner),
    participants: record.participants.map((p) => getAddress(p)),
    deltas: record.deltas,
    sources: record.sources.map((s) => ({ ...s, source: getAddress(s.source) })),
  };
}

/** The EIP-712 digest participants sign for `record` (equals `Settlement.recordDigest`). */
export function recordDigest(domain: SettlementDomain, record: RoundRecord): Hex {
  validateRecord(record);
  return hashTypedData({ domain, types: RECORD_TYPES, primaryType: "RoundRecord", message: recordMessage(record) });
}

/** Signs `record` with `signer` (EIP-712; the signature verifies against `recordDigest`). */
export async function signRecord(signer: TypedDataSigner, domain: SettlementDomain, record: RoundRecord): Promise<Hex> {
  validateRecord(record);
  const sig = await signer.signTypedData({ domain, types: RECORD_TYPES, primaryType: "RoundRecord", message: recordMessage(record) });
  return normalizeSignature(sig);
}

/** The address that signed `record` with `signature`. */
export async function recoverRecordSigner(domain: SettlementDomain, record: RoundRecord, signature: Hex): Promise<Address> {
  validateRecord(record);
  return recoverTypedDataAddress({
    domain,
    types: RECORD_TYPES,
    primaryType: "RoundRecord",
    message: recordMessage(record),
    signature,
  });
}

/** The EIP-712 digest a source signs for what it served in a round (equals `Settlement.serviceDigest`). */
export function serviceDigest(domain: SettlementDomain, statement: ServiceStatement): Hex {
  return hashTypedData({ domain, types: SERVICE_TYPES, primaryType: "SourceService", message: { ...statement } });
}

/** A source signs what it served (`servedCid`) in round `roundId`: bound to chain, contract and round. */
export async function signServiceStatement(
  signer: TypedDataSigner,
  domain: SettlementDomain,
  statement: ServiceStatement,
): Promise<Hex> {
  if (!isBytes32(statement.roundId) || !isBytes32(statement.servedCid)) fail("statement fields must be 32-byte hex", { ...statement });
  const sig = await signer.signTypedData({ domain, types: SERVICE_TYPES, primaryType: "SourceService", message: { ...statement } });
  return normalizeSignature(sig);
}

export async function recoverServiceSigner(domain: SettlementDomain, statement: ServiceStatement, signature: Hex): Promise<Address> {
  return recoverTypedDataAddress({ domain, types: SERVICE_TYPES, primaryType: "SourceService", message: { ...statement }, signature });
}

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * A 65-byte r|s|v signature with v in {27, 28} and s in the lower half, as the contract requires (a signature
 * with high s is rewritten to its low-s twin, which recovers to the same signer).
 */
export function normalizeSignature(sig: Hex): Hex {
  if (!isHex(sig) || size(sig) !== 65) fail(`a signature must be 65 bytes, got ${isHex(sig) ? size(sig) : "non-hex"}`, { sig });
  const r = slice(sig, 0, 32);
  let s = hexToBigInt(slice(sig, 32, 64));
  let v = hexToNumber(slice(sig, 64, 65));
  if (v < 27) v += 27;
  if (v !== 27 && v !== 28) fail(`signature v must be 27 or 28, got ${v}`, { v });
  if (s > SECP256K1_N / 2n) {
    s = SECP256K1_N - s;
    v = v === 27 ? 28 : 27;
  }
  return concat([r, toHex(s, { size: 32 }), toHex(v, { size: 1 })]);
}

/** The contract's quorum rule: signers hold at least 2/3 of the committee's seats. */
export function hasQuorum(signedSeats: bigint, totalSeats: bigint): boolean {
  return 3n * signedSeats >= 2n * totalSeats;
}

/** Seats of `node` in the round of `record` (src/round/committee.ts `seatsOf` with the round's weights). */
export type SeatLookup = (record: RoundRecord, node: Address) => bigint;

function seatsIn(seats: SeatLookup, record: RoundRecord, a: Address): bigint {
  const v = seats(record, getAddress(a));
  if (typeof v !== "bigint" || v < 1n) fail(`round ${record.roundId}: ${a} holds no seat`, { roundId: record.roundId, node: a, seats: v });
  return v;
}

/**
 * The fewest signers (most seats first) of `record` whose seats reach 2/3 of the committee's: what an epoch needs
 * to carry. Throws SETTLEMENT_NO_QUORUM when all of `signers` together fall short.
 */
export function selectQuorum(record: RoundRecord, signers: readonly Address[], seats: SeatLookup): Address[] {
  const total = record.participants.reduce((acc, p) => acc + seatsIn(seats, record, p), 0n);
  const members = new Set(record.participants.map((p) => p.toLowerCase()));
  const candidates = [...new Set(signers.map((s) => s.toLowerCase()))]
    .filter((s) => members.has(s))
    .map((s) => ({ s: s as Address, stake: seatsIn(seats, record, s as Address) }))
    .sort((a, b) => (a.stake === b.stake ? a.s.localeCompare(b.s) : a.stake > b.stake ? -1 : 1));
  const chosen: Address[] = [];
  let signed = 0n;
  for (const c of candidates) {
    if (hasQuorum(signed, total)) break;
    chosen.push(c.s);
    signed += c.stake;
  }
  if (!hasQuorum(signed, total)) {
    throw new ChorusError("SETTLEMENT_NO_QUORUM", `round ${record.roundId}: signers hold ${signed} of ${total} seats; 2/3 needed`, {
      roundId: record.roundId,
      signedSeats: signed,
      totalSeats: total,
    });
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

const byAddress = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);
const int32Hex = (v: number): Hex => toHex(BigInt.asUintN(32, BigInt(v)), { size: 4 });

/** A signature in the EIP-2098 compact form the contract reads: r | (yParity << 255 | s), s in the lower half. */
export function compactSignature(sig: Hex): Hex {
  const n = normalizeSignature(sig);
  const yParity = BigInt(hexToNumber(slice(n, 64, 65)) - 27);
  return concat([slice(n, 0, 32), toHex((yParity << 255n) | hexToBigInt(slice(n, 32, 64)), { size: 32 })]);
}

/**
 * Packs signed records into `settleEpoch` arguments (format in contracts/interfaces/ISettlement.sol): sorted
 * unique node and source tables, records sorted by round id and grouped in runs of one coordinator,
 * participants and sources as table indices, participant signatures in position order, compact signatures.
 */
export function encodeEpoch(signed: readonly SignedRecord[], opts: EncodeEpochOptions = {}): EncodedEpoch {
  if (signed.length === 0 || signed.length > 0xffff) fail(`an epoch holds 1..65535 records, got ${signed.length}`);
  const sorted = [...signed].sort((a, b) => byAddress(a.record.roundId, b.record.roundId));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].record.roundId === sorted[i - 1].record.roundId) fail(`round ${sorted[i].record.roundId} appears twice`);
  }
  if (opts.validate !== false) sorted.forEach((s) => validateRecord(s.record));
  const nodes = [...new Set(sorted.flatMap((s) => s.record.participants.map((p) => p.toLowerCase())))].sort(byAddress);
  const sources = [...new Set(sorted.flatMap((s) => s.record.sources.map((x) => x.source.toLowerCase())))].sort(byAddress);
  if (nodes.length > MAX_TABLE || sources.length > MAX_TABLE) fail(`an epoch may name at most ${MAX_TABLE} nodes and sources`);
  const nodeIndex = new Map(nodes.map((a, i) => [a, i]));
  const sourceIndex = new Map(sources.map((a, i) => [a, i]));
  const parts: Hex[] = [toHex(sorted.length, { size: 2 })];
  for (let i = 0; i < sorted.length; ) {
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
  const lower = record.participants.map((p) => p.toLowerCase());
  const parts: Hex[] = [slice(record.roundId, 20, 32), record.queryCid, record.transcriptCid, toHex(lower.length, { size: 1 })];
  parts.push(...lower.map((p) => toHex(nodeIndex.get(p)!, { size: 1 })));
  parts.push(toHex(Math.max(0, lower.indexOf(record.winner.toLowerCase())), { size: 1 }));
  parts.push(...record.deltas.map(int32Hex));
  parts.push(toHex(record.sources.length, { size: 1 }));
  for (const s of record.sources) {
    const sig = srcSigs.get(s.source.toLowerCase());
    if (!sig) fail(`round ${record.roundId}: no service statement signature from source ${s.source}`, { source: s.source });
    parts.push(
      toHex(sourceIndex.get(s.source.toLowerCase())!, { size: 1 }),
      int32Hex(s.reliability),
      int32Hex(s.usefulness),
      s.servedCid,
      compactSignature(sig!),
    );
  }
  let signers = lower.filter((p) => sigs.has(p)) as Address[];
  if (opts.seats) {
    const chosen = new Set(selectQuorum(record, signers, opts.seats));
    signers = signers.filter((p) => chosen.has(p));
  }
  parts.push(toHex(signers.length, { size: 1 }));
  parts.push(...signers.map((p) => toHex(lower.indexOf(p), { size: 1 })));
  parts.push(...signers.map((p) => compactSignature(sigs.get(p)!)));
  return parts;
}

function lowerKeys(m: Record<string, Hex>): Map<string, Hex> {
  return new Map(Object.entries(m).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The commitment `Settlement.epochInfo` stores for an epoch whose records have these digests, in order. */
export function recordsCommitment(digests: readonly Hex[]): Hex {
  const h = hexToBigInt(keccak256(concat([...digests])));
  return toHex(h & ~((1n << 40n) - 1n), { size: 32 });
}

/** The coordinator and 96-bit sequence a round id is made of. */
export function roundIdParts(roundId: Hex): { coordinator: Address; seq: bigint } {
  if (!isBytes32(roundId)) fail("roundId must be 32 bytes", { roundId });
  return { coordinator: getAddress(slice(roundId, 0, 20)), seq: hexToBigInt(slice(roundId, 20, 32)) };
}

/** A round id from its coordinator and sequence. */
export function makeRoundId(coordinator: Address, seq: bigint): Hex {
  if (seq <= 0n || seq >= 1n << 96n) fail(`sequence ${seq} out of range 1..2^96-1`, { seq });
  return encodePacked(["address", "uint96"], [getAddress(coordinator), seq]);
}

/** One round's score changes as a `RoundSettled` event carries them (indices into the epoch's tables). */
export interface RoundDeltas {
  winner: number;
  nodes: { index: number; delta: number }[];
  sources: { index: number; reliability: number; usefulness: number }[];
}

/**
 * The `deltas` bytes of a `RoundSettled` event: uint8 n | n x uint8 node index | uint8 winner position |
 * n x int32 delta | m x (uint8 source index | int32 reliability | int32 usefulness). Pass the epoch's tables
 * (the `nodes` and `sources` of the `EpochSettled` event of the same transaction)
 * to get addresses.
 */
export function decodeRoundDeltas(
  data: Hex,
  tables?: { nodes: readonly Address[]; sources?: readonly Address[] },
): RoundDeltas & { nodeAddresses?: Address[]; sourceAddresses?: Address[] } {
  const bytes = size(data);
  if (bytes < 2) fail("RoundSettled deltas too short", { data });
  const n = hexToNumber(slice(data, 0, 1));
  const head = 2 + 5 * n;
  if (bytes < head || (bytes - head) % 9 !== 0) fail("RoundSettled deltas have an invalid length", { data, n });
  const int32At = (o: number) => Number(BigInt.asIntN(32, hexToBigInt(slice(data, o, o + 4))));
  const nodes = Array.from({ length: n }, (_, j) => ({ index: hexToNumber(slice(data, 1 + j, 2 + j)), delta: int32At(2 + n + 4 * j) }));
  const winner = hexToNumber(slice(data, 1 + n, 2 + n));
  const sources = Array.from({ length: (bytes - head) / 9 }, (_, j) => {
    const o = head + 9 * j;
    return { index: hexToNumber(slice(data, o, o + 1)), reliability: int32At(o + 1), usefulness: int32At(o + 5) };
  });
  const out: RoundDeltas & { nodeAddresses?: Address[]; sourceAddresses?: Address[] } = { winner, nodes, sources };
  if (tables) {
    const at = (table: readonly Address[] | undefined, i: number, what: string): Address => {
      const a = table?.[i];
      if (!a) fail(`RoundSettled refers to ${what} ${i}, beyond the epoch's table`, { index: i });
      return getAddress(a!);
    };
    out.nodeAddresses = nodes.map((x) => at(tables.nodes, x.index, "node"));
    out.sourceAddresses = sources.map((x) => at(tables.sources, x.index, "source"));
  }
  return out;
}

/** Applies a delta the way the contract does: add, then clamp to [0, REP_SCALE]. */
export function applyDelta(value: number, delta: number): number {
  return Math.min(REP_SCALE, Math.max(0, value + delta));
}

/** `record` as the ABI tuple `RoundRecord` (for `Settlement.recordDigest` and `Disputes`). */
export function recordArgs(record: RoundRecord) {
  return recordMessage(record);
}
