/**
 * The peer domain and record digest of chain-less swarms, shared by tests and benches (one owner): the devnet's
 * chain id and NodeRegistry address, and round-record digests keccak256(roundId ‖ transcript CID).
 */
import { encodePacked, keccak256, type Address, type Hex } from "viem";
import type { Transcript } from "../../src/protocol/index.js";

export const TEST_DOMAIN: { chainId: number; registry: Address } = {
  chainId: 31337,
  registry: "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
};

/** Round-record digests without a chain: keccak256(roundId ‖ transcript CID). */
export const TEST_RECORDS = {
  digest: (t: Transcript, cid: string): Hex => keccak256(encodePacked(["bytes32", "string"], [t.roundId, cid])),
};
