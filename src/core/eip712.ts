/**
 * EIP-712 for Chorus: the Settlement contract's domain, the typed-data tables of a round record and of a source's
 * service statement, and their digests, signing and recovery (viem). Digests equal `Settlement.recordDigest` /
 * `Settlement.serviceDigest`.
 */
import { getAddress, hashTypedData, recoverTypedDataAddress, type Address, type Hex } from "viem";
import { isBytes32, recordInvalid, validateRecord, type RoundRecord, type ServiceStatement } from "./record.js";
import { normalizeSignature } from "./signature.js";

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

/** Anything that signs EIP-712 typed data: a viem LocalAccount, or a WalletClient with an account. */
export interface TypedDataSigner {
  signTypedData(args: {
    domain: SettlementDomain;
    types: Record<string, readonly { name: string; type: string }[]>;
    primaryType: string;
    message: Record<string, unknown>;
  }): Promise<Hex>;
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
  const sig = await signer.signTypedData({
    domain,
    types: RECORD_TYPES,
    primaryType: "RoundRecord",
    message: recordMessage(record),
  });
  return normalizeSignature(sig);
}

/** The address that signed `record` with `signature`. */
export async function recoverRecordSigner(
  domain: SettlementDomain,
  record: RoundRecord,
  signature: Hex,
): Promise<Address> {
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
  if (!isBytes32(statement.roundId) || !isBytes32(statement.servedCid))
    recordInvalid("statement fields must be 32-byte hex", { ...statement });
  const sig = await signer.signTypedData({
    domain,
    types: SERVICE_TYPES,
    primaryType: "SourceService",
    message: { ...statement },
  });
  return normalizeSignature(sig);
}

export async function recoverServiceSigner(
  domain: SettlementDomain,
  statement: ServiceStatement,
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({
    domain,
    types: SERVICE_TYPES,
    primaryType: "SourceService",
    message: { ...statement },
    signature,
  });
}

/** `record` as the ABI tuple `RoundRecord` (for `Settlement.recordDigest` and `Disputes`). */
export function recordArgs(record: RoundRecord) {
  return recordMessage(record);
}
