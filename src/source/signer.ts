/**
 * The source's signature over what it served: EIP-712 `SourceService(roundId, servedCid)` under the
 * Settlement domain (src/core/eip712.ts and src/protocol/epoch.ts), with servedCid the bytes32 digest of the served document's CID.
 * One signature thus binds chain, contract, round, query hash, source, manifest, k and every context.
 */
import type { Address, Hex } from "viem";
import {
  recoverServiceSigner,
  signServiceStatement,
  type SettlementDomain,
  type TypedDataSigner,
} from "../core/index.js";
import { cidToBytes32 } from "../ipfs/index.js";
import type { ServedDoc, SignedServed } from "../protocol/index.js";
import { servedCidOf } from "../protocol/index.js";

/** Signs `doc` (whose `source` must be the signer's address). */
export async function signServed(
  signer: TypedDataSigner,
  domain: SettlementDomain,
  doc: ServedDoc,
): Promise<SignedServed> {
  const servedCid = await servedCidOf(doc);
  const signature = await signServiceStatement(signer, domain, {
    roundId: doc.roundId,
    servedCid: cidToBytes32(servedCid),
  });
  return { served: doc, servedCid, signature };
}

/** The address that signed `signature` for (roundId, servedCid). */
export async function servedSigner(
  domain: SettlementDomain,
  roundId: Hex,
  servedCid: string,
  signature: Hex,
): Promise<Address> {
  return recoverServiceSigner(domain, { roundId, servedCid: cidToBytes32(servedCid) }, signature);
}
