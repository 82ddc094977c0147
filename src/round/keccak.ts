/**
 * keccak256 through the native `keccak` binding (prebuilt in its npm package; ~15x faster than the pure-JS
 * hash on the 10 KB bodies a round hashes dozens of times), falling back to viem's when the binding is absent.
 */
import { createRequire } from "node:module";
import { bytesToHex, keccak256 as viemKeccak, type Hex } from "viem";

type Native = (algo: "keccak256") => { update(b: Uint8Array): { digest(): Buffer } };
let native: Native | undefined;
try {
  native = createRequire(import.meta.url)("keccak") as Native;
} catch {
  native = undefined;
}

export function keccakBytes(data: Uint8Array): Hex {
  return native
    ? bytesToHex(native("keccak256").update(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest())
    : viemKeccak(data);
}
