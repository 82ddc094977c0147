/**
 * Commit–reveal of answers: a member first sends keccak256(abi.encode(roundId, member, digest, salt))
 * and reveals (answer, salt) only after the commitment set is closed, so no member can copy another's answer.
 * `digest` is keccak256(answer) for an ordinary round; in a RAG round the member also commits to its
 * retrieval evidence (sources, served documents, contexts used), so digest = keccak256 of the canonical
 * dag-json bytes of { answer, rag }: nobody can change their contexts after seeing the others'.
 */
import { bytesToHex, encodeAbiParameters, toBytes, type Address, type Hex } from "viem";
import { keccak256 } from "../core/index.js";
import { randomBytes } from "node:crypto";
import { canonicalHash } from "../core/index.js";

export function answerDigest(answer: string, rag?: unknown): Hex {
  return rag === undefined ? keccak256(toBytes(answer)) : canonicalHash({ answer, rag });
}

export function commitmentOf(roundId: Hex, member: Address, answer: string, salt: Hex, rag?: unknown): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
      [roundId, member, answerDigest(answer, rag), salt],
    ),
  );
}

export function newSalt(): Hex {
  return bytesToHex(randomBytes(32));
}

export function revealMatches(
  roundId: Hex,
  member: Address,
  commitment: Hex,
  answer: string,
  salt: Hex,
  rag?: unknown,
): boolean {
  return commitmentOf(roundId, member, answer, salt, rag).toLowerCase() === commitment.toLowerCase();
}
