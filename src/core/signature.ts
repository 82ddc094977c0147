/**
 * Signature forms the contracts read: 65-byte r|s|v with low s and v in {27, 28}, and the EIP-2098 compact form.
 */
import { concat, hexToBigInt, hexToNumber, isHex, size, slice, toHex, type Hex } from "viem";
import { recordInvalid } from "./record.js";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * A 65-byte r|s|v signature with v in {27, 28} and s in the lower half, as the contract requires (a signature
 * with high s is rewritten to its low-s twin, which recovers to the same signer).
 */
export function normalizeSignature(sig: Hex): Hex {
  if (!isHex(sig) || size(sig) !== 65)
    recordInvalid(`a signature must be 65 bytes, got ${isHex(sig) ? size(sig) : "non-hex"}`, { sig });
  const r = slice(sig, 0, 32);
  let s = hexToBigInt(slice(sig, 32, 64));
  let v = hexToNumber(slice(sig, 64, 65));
  if (v < 27) v += 27;
  if (v !== 27 && v !== 28) recordInvalid(`signature v must be 27 or 28, got ${v}`, { v });
  if (s > SECP256K1_N / 2n) {
    s = SECP256K1_N - s;
    v = v === 27 ? 28 : 27;
  }
  return concat([r, toHex(s, { size: 32 }), toHex(v, { size: 1 })]);
}

/** A signature in the EIP-2098 compact form the contract reads: r | (yParity << 255 | s), s in the lower half. */
export function compactSignature(sig: Hex): Hex {
  const n = normalizeSignature(sig);
  const yParity = BigInt(hexToNumber(slice(n, 64, 65)) - 27);
  return concat([slice(n, 0, 32), toHex((yParity << 255n) | hexToBigInt(slice(n, 32, 64)), { size: 32 })]);
}
