/**
 * Commit–reveal of answers: a member first sends keccak256(abi.encode(roundId, member, keccak256(answer), salt))
 * and reveals (answer, salt) only after the commitment set is closed, so no member can copy another's answer.
 */
import { bytesToHex, encodeAbiParameters, keccak256, toBytes, type Address, type Hex } from "viem";
import { randomBytes } from "node:crypto";

export function answerDigest(answer: string): Hex {
  return keccak256(toBytes(answer));
}

export function commitmentOf(roundId: Hex, member: Address, answer: string, salt: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
      [roundId, member, answerDigest(answer), salt],
    ),
  );
}

export function newSalt(): Hex {
  return bytesToHex(randomBytes(32));
}

export function revealMatches(roundId: Hex, member: Address, commitment: Hex, answer: string, salt: Hex): boolean {
  return commitmentOf(roundId, member, answer, salt).toLowerCase() === commitment.toLowerCase();
}
