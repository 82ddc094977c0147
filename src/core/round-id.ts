/**
 * Round ids, encoded in one place: bytes32 = the coordinator's address (20 bytes) followed by its 96-bit
 * sequence number (`Settlement` hands sequences out per coordinator, see src/chain/sequencer.ts). Anyone reads
 * who coordinated a round from its id, and two coordinators can never collide.
 */
import { encodePacked, getAddress, hexToBigInt, slice, type Address, type Hex } from "viem";
import { isBytes32, recordInvalid } from "./record.js";

/** The coordinator and 96-bit sequence a round id is made of. */
export function roundIdParts(roundId: Hex): { coordinator: Address; seq: bigint } {
  if (!isBytes32(roundId)) recordInvalid("roundId must be 32 bytes", { roundId });
  return { coordinator: getAddress(slice(roundId, 0, 20)), seq: hexToBigInt(slice(roundId, 20, 32)) };
}

/** A round id from its coordinator and sequence (1..2^96-1). */
export function makeRoundId(coordinator: Address, seq: bigint): Hex {
  if (seq <= 0n || seq >= 1n << 96n) recordInvalid(`sequence ${seq} out of range 1..2^96-1`, { seq });
  return encodePacked(["address", "uint96"], [getAddress(coordinator), seq]);
}

/** The coordinator named by a round id (its first 20 bytes). */
export function coordinatorOf(roundId: Hex): Address {
  return getAddress(roundId.slice(0, 42));
}
