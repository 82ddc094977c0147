/**
 * A fresh round id for tests that need one nobody has used (a stranger's round, a replay target): the
 * coordinator and milliseconds since epoch x 1024 plus a counter local to this test process.
 */
import type { Address, Hex } from "viem";
import { makeRoundId } from "../../src/core/index.js";

let last = 0n;

export function newRoundId(coordinator: Address, now = Date.now()): Hex {
  let seq = BigInt(now) * 1024n;
  if (seq <= last) seq = last + 1n;
  last = seq;
  return makeRoundId(coordinator, seq);
}
