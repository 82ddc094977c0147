/**
 * Core: what every other layer builds on and nothing in src/ below it. Errors (`ChorusError`, the `ErrorCode`
 * union and its one HTTP status table), hashing and signing (keccak, secp256k1 digests, canonical dag-json and
 * CIDs), the EIP-712 domain and record types the contracts verify, signature forms, addresses (one normalised
 * form, one order), the fixed-point scale and its add-then-clamp, and round ids. Pure; imports only libraries.
 *
 * @example
 * import { ChorusError, compareAddress, makeRoundId, roundIdParts, applyDelta, REP_SCALE } from "./index.js";
 * const id = makeRoundId("0x00000000000000000000000000000000000000aa", 7n);
 * roundIdParts(id).seq; // 7n
 * ["0xB0...", "0x0A..."].sort(compareAddress); // increasing numeric value, as the contracts want
 * applyDelta(REP_SCALE - 10, 50); // REP_SCALE: add, then clamp
 * throw new ChorusError("RECORD_INVALID", "period must be >= 1", { period: 0 });
 */
export * from "./errors.js";
export * from "./address.js";
export * from "./fixed.js";
export * from "./keccak.js";
export * from "./canonical.js";
export * from "./cid.js";
export * from "./json-validate.js";
export * from "./codec.js";
export * from "./ipfs-errors.js";
export * from "./signer.js";
export * from "./signature.js";
export * from "./record.js";
export * from "./eip712.js";
export * from "./round-id.js";
export * from "./limiter.js";
