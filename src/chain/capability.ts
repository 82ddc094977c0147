/**
 * Proof-of-capability helpers matching contracts/CapabilityRegistry.sol: choice and key bitmaps (bit i set =
 * the second answer of item i is the better one), the node's choices commitment and the curator's key
 * commitment, and the grade the contract computes. Pure functions.
 */
import { encodeAbiParameters, getAddress, isHex, keccak256, toHex, type Address, type Hex } from "viem";
import { ChorusError } from "../core/index.js";

/** Most items a suite may have (one bit each in a uint256). */
export const MAX_ITEMS = 256;

/** Which answer of a pairwise item is better: 0 = the first (A), 1 = the second (B). */
export type Choice = 0 | 1;

function checkCount(itemCount: number): void {
  if (!Number.isInteger(itemCount) || itemCount < 1 || itemCount > MAX_ITEMS) {
    throw new ChorusError("CAPABILITY_INVALID", `a suite has 1..${MAX_ITEMS} items, got ${itemCount}`, { itemCount });
  }
}

/** Choices (or an answer key) as the contract's bitmap. */
export function choicesToBits(choices: readonly (Choice | boolean)[]): bigint {
  checkCount(choices.length);
  let bits = 0n;
  choices.forEach((c, i) => {
    // the type says 0/1/boolean; keys and choices read from files reach here too, so it is checked
    if (!isChoiceValue(c)) {
      throw new ChorusError("CAPABILITY_INVALID", `choice ${i} is ${String(c)}; expected 0 or 1`, {
        index: i,
        value: c,
      });
    }
    if (c === 1 || c === true) bits |= 1n << BigInt(i);
  });
  return bits;
}

function isChoiceValue(v: unknown): v is Choice | boolean {
  return v === 0 || v === 1 || typeof v === "boolean";
}

/** The first `itemCount` choices of a bitmap. */
export function bitsToChoices(bits: bigint, itemCount: number): Choice[] {
  checkCount(itemCount);
  return Array.from({ length: itemCount }, (_, i) => Number((bits >> BigInt(i)) & 1n) as Choice);
}

function checkSalt(salt: Hex): void {
  if (!isHex(salt) || salt.length !== 66)
    throw new ChorusError("CAPABILITY_INVALID", "a salt must be 32 bytes of hex", { salt });
}

function checkBits(bits: bigint): void {
  if (bits < 0n || bits >= 1n << 256n)
    throw new ChorusError("CAPABILITY_INVALID", "a bitmap must fit in 256 bits", { bits });
}

/** keccak256(abi.encode(uint256 choices, bytes32 salt, address node)): what a node commits. */
export function choicesCommitment(choices: bigint, salt: Hex, node: Address): Hex {
  checkBits(choices);
  checkSalt(salt);
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "bytes32" }, { type: "address" }],
      [choices, salt, getAddress(node)],
    ),
  );
}

/** keccak256(abi.encode(uint256 keyBits, bytes32 keySalt)): what the curator publishes with a suite. */
export function keyCommitment(keyBits: bigint, keySalt: Hex): Hex {
  checkBits(keyBits);
  checkSalt(keySalt);
  return keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "bytes32" }], [keyBits, keySalt]));
}

/** Correct choices among the first `itemCount` items, exactly as the contract grades. */
export function gradeChoices(choices: bigint, key: bigint, itemCount: number): number {
  checkCount(itemCount);
  checkBits(choices);
  checkBits(key);
  const mask = (1n << BigInt(itemCount)) - 1n;
  let same = ~(choices ^ key) & mask;
  let n = 0;
  while (same > 0n) {
    n += Number(same & 1n);
    same >>= 1n;
  }
  return n;
}

/** A fresh random 32-byte salt. */
export function newSalt(): Hex {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/** The contract's guessing bound: 1000 (2t - n)^2 >= 83083 n (see contracts/README.md). */
export const GUESS_BOUND = { num: 83_083n, den: 1_000n } as const;

/** True when the contract accepts a suite of `itemCount` items passed at `passThreshold` (exactly as it checks). */
export function suiteStrongEnough(itemCount: number, passThreshold: number): boolean {
  checkCount(itemCount);
  const n = BigInt(itemCount);
  const t = BigInt(passThreshold);
  if (2n * t <= n) return false;
  const margin = 2n * t - n;
  return GUESS_BOUND.den * margin * margin >= GUESS_BOUND.num * n;
}

/** The smallest threshold the contract accepts for `itemCount` items (itemCount + 1 when none is). */
export function minPassThreshold(itemCount: number): number {
  checkCount(itemCount);
  for (let t = Math.floor(itemCount / 2) + 1; t <= itemCount; t++) if (suiteStrongEnough(itemCount, t)) return t;
  return itemCount + 1;
}
