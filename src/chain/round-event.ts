/**
 * Decoding `Settlement.RoundSettled`'s packed `deltas`:
 *   uint8 n | uint8 winner position | n x (address participant | int32 delta) |
 *   m x (address source | int32 reliability delta | int32 usefulness delta)
 */
import { getAddress, type Address, type Hex } from "viem";
import { ChorusError } from "../errors.js";

export interface RoundDeltas {
  winner: Address;
  nodes: { node: Address; delta: number }[];
  sources: { source: Address; reliability: number; usefulness: number }[];
}

export function decodeRoundDeltas(packed: Hex): RoundDeltas {
  const hex = packed.slice(2);
  const byte = (i: number) => parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  const int32 = (i: number) => {
    const v = parseInt(hex.slice(i * 2, i * 2 + 8), 16);
    return v >= 2 ** 31 ? v - 2 ** 32 : v;
  };
  const addr = (i: number) => getAddress(`0x${hex.slice(i * 2, i * 2 + 40)}`);
  const total = hex.length / 2;
  if (total < 2) throw new ChorusError("CHAIN_BAD_EVENT", "RoundSettled deltas are shorter than their header");
  const n = byte(0);
  const winnerAt = byte(1);
  let off = 2;
  const nodes = [];
  for (let i = 0; i < n; i++, off += 24) nodes.push({ node: addr(off), delta: int32(off + 20) });
  const sources = [];
  for (; off + 28 <= total; off += 28) sources.push({ source: addr(off), reliability: int32(off + 20), usefulness: int32(off + 24) });
  if (off !== total || winnerAt >= n) throw new ChorusError("CHAIN_BAD_EVENT", `RoundSettled deltas are malformed (${total} bytes, ${n} participants, winner at ${winnerAt})`);
  return { winner: nodes[winnerAt].node, nodes, sources };
}
