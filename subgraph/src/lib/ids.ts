/**
 * Entity ids and the parts of a round id. Event-log entities use transaction hash ++ log index; per-account
 * entries of one round use round id ++ account; numbered entities use the decimal number.
 */
import { BigInt, Bytes, ethereum } from "@graphprotocol/graph-ts";

/** Id of an immutable entity recording one event: transaction hash ++ log index (i32, big-endian). */
export function eventId(event: ethereum.Event): Bytes {
  return event.transaction.hash.concatI32(event.logIndex.toI32());
}

/** Id of one account's entry in one round: round id ++ account address. */
export function roundAccountId(roundId: Bytes, account: Bytes): Bytes {
  return roundId.concat(account);
}

/** The coordinator of a round: the high 20 bytes of its id. */
export function coordinatorOf(roundId: Bytes): Bytes {
  return Bytes.fromUint8Array(roundId.subarray(0, 20));
}

/** The coordinator's sequence of a round: the low 12 bytes of its id, unsigned big-endian. */
export function sequenceOf(roundId: Bytes): BigInt {
  const low = Bytes.fromUint8Array(roundId.slice(20, 32));
  low.reverse();
  return BigInt.fromUnsignedBytes(low);
}
