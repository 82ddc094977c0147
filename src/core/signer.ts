/**
 * Fast secp256k1 signing and recovery over 32-byte digests (EIP-712 hashes), through libsecp256k1's native
 * binding (`secp256k1` on npm ships prebuilt binaries; it falls back to its JS build elsewhere). A round
 * signs and checks dozens of messages: the native path takes ~0.05 ms per operation where the pure-JS
 * path takes ~1 ms to sign and ~3.5 ms to recover. Signatures are Ethereum's 65-byte r||s||v (v = 27/28,
 * low s), so contracts (ecrecover) and viem's recoverAddress accept them unchanged.
 */
import { createRequire } from "node:module";
import { bytesToHex, hexToBytes, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { ChorusError } from "./errors.js";
import { keccakBytes } from "./keccak.js";

interface Secp256k1 {
  ecdsaSign(msg: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(sig: Uint8Array, recid: number, msg: Uint8Array, compressed: boolean): Uint8Array;
}

const secp = createRequire(import.meta.url)("secp256k1") as Secp256k1;

/** Signs digests with one node key. */
export interface DigestSigner {
  readonly address: Address;
  signDigest(digest: Hex): Hex;
}

export function createSigner(privateKey: Hex): DigestSigner {
  const key = hexToBytes(privateKey);
  if (key.length !== 32) throw new ChorusError("CONFIG_INVALID", "a private key is 32 bytes");
  const address = privateKeyToAddress(privateKey);
  return {
    address,
    signDigest(digest: Hex): Hex {
      const { signature, recid } = secp.ecdsaSign(hexToBytes(digest), key);
      const out = new Uint8Array(65);
      out.set(signature, 0);
      out[64] = 27 + recid;
      return bytesToHex(out);
    },
  };
}

/**
 * The address (lowercase hex, no checksum: computing one costs another keccak) that signed `digest`, or null
 * for a malformed or invalid signature.
 */
export function recoverDigestSigner(digest: Hex, signature: Hex): Address | null {
  try {
    const sig = hexToBytes(signature);
    if (sig.length !== 65) return null;
    const v = sig[64];
    const recid = v >= 27 ? v - 27 : v;
    if (recid !== 0 && recid !== 1) return null;
    const pub = secp.ecdsaRecover(sig.subarray(0, 64), recid, hexToBytes(digest), false);
    return `0x${keccakBytes(pub.subarray(1)).slice(-40)}`;
  } catch {
    return null;
  }
}
