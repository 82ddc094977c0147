/**
 * What the round protocol needs from the outside world, as small interfaces: the node directory (chain),
 * the peer transport (HTTP), the artifact store (IPFS), the node's own model, and the consensus rules.
 * The coordinator and member logic depend only on these, so tests and benches can swap any part.
 */
import type { Address, Hex } from "viem";

export interface NodeEntry {
  address: Address;
  endpoint: string;
  stake: bigint;
  /** [0, 1_000_000] */
  reputation: number;
}

export interface Directory {
  /** Active, staked and capable nodes that may serve in a committee. */
  candidates(opts?: { signal?: AbortSignal }): Promise<NodeEntry[]>;
  /** A recent block (number and hash) to seed the committee draw. */
  seedBlock(opts?: { signal?: AbortSignal }): Promise<{ number: bigint; hash: Hex }>;
}

export interface PeerClient {
  /** POSTs a signed envelope to `endpoint + path`; resolves with the peer's JSON reply. */
  post(endpoint: string, path: string, envelope: unknown, opts: { signal?: AbortSignal; timeoutMs: number }): Promise<unknown>;
}

export interface Artifacts {
  /** Stores a JSON-like document (dag-json); resolves with its CID string. */
  putJson(value: unknown, opts?: { signal?: AbortSignal }): Promise<string>;
  getJson<T = unknown>(cid: string, opts?: { signal?: AbortSignal }): Promise<T>;
  /** The CID `putJson` would return, without storing. */
  cidOf(value: unknown): Promise<string>;
}

export type Outcome = "A" | "B" | "tie";

/** The node's own model, as the round uses it. */
export interface Mind {
  answer(query: { messages: { role: string; content: string }[]; maxTokens: number }, opts: { signal?: AbortSignal }): Promise<string>;
  compare(input: { question: string; answerA: string; answerB: string }, opts: { signal?: AbortSignal }): Promise<{ outcome: Outcome; raw?: string }>;
  screen?(input: { question: string; answer: string }, opts: { signal?: AbortSignal }): Promise<"GOOD" | "BAD">;
}
