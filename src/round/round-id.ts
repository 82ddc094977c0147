/**
 * Round ids: bytes32 = the coordinator's address (20 bytes) followed by a 96-bit sequence number that the
 * coordinator never reuses (milliseconds since epoch x 1024 + a counter). Anyone can read who coordinated a
 * round from its id, and two coordinators can never collide.
 */
import { getAddress, pad, toHex, type Address, type Hex } from "viem";

let last = 0n;

export function newRoundId(coordinator: Address, now = Date.now()): Hex {
  let seq = BigInt(now) * 1024n;
  if (seq <= last) seq = last + 1n;
  last = seq;
  return `${coordinator.toLowerCase()}${pad(toHex(seq), { size: 12 }).slice(2)}` as Hex;
}

export function coordinatorOf(roundId: Hex): Address {
  return getAddress(roundId.slice(0, 42));
}
