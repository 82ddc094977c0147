/**
 * Decodes `Settlement.settleEpoch` calldata back into records with their signatures (the inverse of
 * src/core/eip712.ts and src/protocol/epoch.ts `encodeEpoch`), so an auditor can check every signature that settled a round.
 */
import { decodeFunctionData, hexToBigInt, sliceHex, type Address, type Hex } from "viem";
import { settlementAbi } from "../chain/index.js";
import { ChorusError } from "../core/index.js";
import type { RoundRecord } from "../core/index.js";

export interface DecodedRecord {
  record: RoundRecord;
  signers: Address[];
  signatures: Hex[];
  sourceSignatures: Hex[];
}

const ZERO32: Hex = `0x${"00".repeat(32)}`;

/** The records of a `Settlement.settleEpoch` transaction's input; AUDIT_BAD_TX for any other call. */
export function decodeEpochCalldata(input: Hex): DecodedRecord[] {
  const call = decodeFunctionData({ abi: settlementAbi, data: input });
  if (call.functionName !== "settleEpoch")
    throw new ChorusError("AUDIT_BAD_TX", `transaction calls ${call.functionName}, not settleEpoch`);
  const [period, nodes, sources, packed] = call.args;
  let off = 0;
  const take = (n: number): Hex => {
    const end = off + n;
    if (end > (packed.length - 2) / 2) throw new ChorusError("AUDIT_BAD_TX", `packed records end early at byte ${off}`);
    const out = sliceHex(packed, off, end);
    off = end;
    return out;
  };
  const u = (n: number) => Number(hexToBigInt(take(n)));
  const i32 = () => {
    const v = u(4);
    return v >= 2 ** 31 ? v - 2 ** 32 : v;
  };
  const count = u(2);
  const out: DecodedRecord[] = [];
  /** EIP-2098 compact r | (yParity << 255 | s) back to 65-byte r | s | v. */
  const expand = (compact: Hex): Hex => {
    const vs = BigInt(`0x${compact.slice(66)}`);
    const yParity = Number(vs >> 255n);
    const sPart = (vs & ((1n << 255n) - 1n)).toString(16).padStart(64, "0");
    return `${compact.slice(0, 66)}${sPart}${(27 + yParity).toString(16)}` as Hex;
  };
  while (out.length < count) {
    const coordinator = take(20);
    const inRun = u(2);
    for (let r = 0; r < inRun; r++) {
      const seq = take(12);
      const roundId = `${coordinator}${seq.slice(2)}` as Hex;
      const queryCid = take(32);
      const transcriptCid = take(32);
      const n = u(1);
      const participants = Array.from({ length: n }, () => nodes[u(1)]);
      const winner = participants[u(1)];
      const deltas = Array.from({ length: n }, i32);
      const m = u(1);
      const srcs = [];
      const sourceSignatures: Hex[] = [];
      for (let j = 0; j < m; j++) {
        const source = sources[u(1)];
        const reliability = i32();
        const usefulness = i32();
        const servedCid = take(32);
        sourceSignatures.push(expand(take(64)));
        srcs.push({ source, reliability, usefulness, servedCid });
      }
      const k = u(1);
      const positions = Array.from({ length: k }, () => u(1));
      const signatures = Array.from({ length: k }, () => expand(take(64)));
      out.push({
        // The seed is not in the calldata: the contract derives it from the coordinator's batch (zero here).
        record: {
          roundId,
          seed: ZERO32,
          period,
          queryCid,
          transcriptCid,
          winner,
          participants,
          deltas,
          sources: srcs,
        },
        signers: positions.map((p) => participants[p]),
        signatures,
        sourceSignatures,
      });
    }
  }
  return out;
}
