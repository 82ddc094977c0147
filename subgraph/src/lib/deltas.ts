/**
 * Decoding of the packed `deltas` of Settlement.RoundSettled (contracts/interfaces/ISettlement.sol):
 *   uint8 n | n x uint8 node index | uint8 winner position | n x int32 delta |
 *   m x (uint8 source index | int32 reliability delta | int32 usefulness delta)
 * Indices refer to the epoch's tables (EpochSettled.nodes, SourceScoresUpdated.sources). Mirrors
 * src/chain/records.ts `decodeRoundDeltas`. Pure (no host imports).
 */

/** One round's score changes, indices into the epoch's tables. `valid` is false for malformed bytes. */
export class RoundDeltas {
  valid: bool = false;
  /** Node-table index of each participant, in record order. */
  nodeIndices: Array<i32> = new Array<i32>(0);
  /** Reputation delta of each participant. */
  nodeDeltas: Array<i32> = new Array<i32>(0);
  /** Position (into nodeIndices) of the winner. */
  winner: i32 = -1;
  /** Source-table index of each scored source. */
  sourceIndices: Array<i32> = new Array<i32>(0);
  /** Reliability delta of each source. */
  reliability: Array<i32> = new Array<i32>(0);
  /** Usefulness delta of each source. */
  usefulness: Array<i32> = new Array<i32>(0);
}

/** Big-endian int32 at `offset` (two's complement). */
export function readInt32(data: Uint8Array, offset: i32): i32 {
  return (
    (i32(data[offset]) << 24) |
    (i32(data[offset + 1]) << 16) |
    (i32(data[offset + 2]) << 8) |
    i32(data[offset + 3])
  );
}

/** Unpacks `data`; returns a RoundDeltas with valid = false when its length does not fit the format. */
export function decodeRoundDeltas(data: Uint8Array): RoundDeltas {
  const out = new RoundDeltas();
  const size = data.length;
  if (size < 2) return out;
  const n = i32(data[0]);
  const head = 2 + 5 * n;
  if (size < head || (size - head) % 9 != 0) return out;
  for (let j = 0; j < n; j++) {
    out.nodeIndices.push(i32(data[1 + j]));
    out.nodeDeltas.push(readInt32(data, 2 + n + 4 * j));
  }
  out.winner = i32(data[1 + n]);
  if (out.winner >= n) return out;
  const m = (size - head) / 9;
  for (let j = 0; j < m; j++) {
    const o = head + 9 * j;
    out.sourceIndices.push(i32(data[o]));
    out.reliability.push(readInt32(data, o + 1));
    out.usefulness.push(readInt32(data, o + 5));
  }
  out.valid = true;
  return out;
}
