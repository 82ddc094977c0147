/** Decoding the score changes a `RoundSettled` event carries. Pure. */
import { getAddress, hexToBigInt, hexToNumber, size, slice, type Address, type Hex } from "viem";
import { recordInvalid } from "../core/index.js";

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
  if (bytes < 2) recordInvalid("RoundSettled deltas too short", { data });
  const n = hexToNumber(slice(data, 0, 1));
  const head = 2 + 5 * n;
  if (bytes < head || (bytes - head) % 9 !== 0)
    recordInvalid("RoundSettled deltas have an invalid length", { data, n });
  const int32At = (o: number) => Number(BigInt.asIntN(32, hexToBigInt(slice(data, o, o + 4))));
  const nodes = Array.from({ length: n }, (_, j) => ({
    index: hexToNumber(slice(data, 1 + j, 2 + j)),
    delta: int32At(2 + n + 4 * j),
  }));
  const winner = hexToNumber(slice(data, 1 + n, 2 + n));
  const sources = Array.from({ length: (bytes - head) / 9 }, (_, j) => {
    const o = head + 9 * j;
    return { index: hexToNumber(slice(data, o, o + 1)), reliability: int32At(o + 1), usefulness: int32At(o + 5) };
  });
  const out: RoundDeltas & { nodeAddresses?: Address[]; sourceAddresses?: Address[] } = { winner, nodes, sources };
  if (tables) {
    const at = (table: readonly Address[] | undefined, i: number, what: string): Address => {
      const a =
        table?.[i] || recordInvalid(`RoundSettled refers to ${what} ${i}, beyond the epoch's table`, { index: i });
      return getAddress(a);
    };
    out.nodeAddresses = nodes.map((x) => at(tables.nodes, x.index, "node"));
    out.sourceAddresses = sources.map((x) => at(tables.sources, x.index, "source"));
  }
  return out;
}
