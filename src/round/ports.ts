/**
 * What the round protocol needs from the outside world, as small interfaces: the node directory (chain),
 * the peer transport (HTTP), the artifact store (IPFS), the node's own model, the consensus rules, and
 * retrieval from data sources.
 * The coordinator and member logic depend only on these, so tests and benches can swap any part.
 */
import type { Address, Hex } from "viem";
import type { SettlementDomain } from "../core/index.js";
import type { SignedServed, SourceInfo } from "../protocol/index.js";
import type { JudgedOutcome, Outcome, QueryDoc } from "../protocol/index.js";

export interface NodeEntry {
  address: Address;
  endpoint: string;
  stake: bigint;
  /** [0, 1_000_000] */
  reputation: number;
}

/**
 * The committee draw's inputs for one weight period, as Settlement judges them: every registered node with its
 * eligible stake (0 when below the minimum, or not capable, when the period began) and its reputation when the
 * period began, the total stake then, the expected seats (tau) and the fewest members a record may list.
 */
export interface PeriodWeights {
  period: number;
  candidates: NodeEntry[];
  totalStake: bigint;
  tau: number;
  minCommittee: number;
}

export interface Directory {
  /** Active, staked nodes now (who may coordinate; members check the coordinator against it). */
  candidates(opts?: { signal?: AbortSignal }): Promise<NodeEntry[]>;
  /** The draw's inputs for weight period `period` (fixed once the period began: cache freely). */
  weightsAt(period: number, opts?: { signal?: AbortSignal }): Promise<PeriodWeights>;
  /** The hash of block `number` (a batch seed), when the directory reads a chain. */
  blockHash?(number: bigint, opts?: { signal?: AbortSignal }): Promise<Hex>;
  /** The chain's latest block, when the directory reads a chain (members bound the age of seed blocks with it). */
  latestBlock?(opts?: { signal?: AbortSignal }): Promise<{ number: bigint; hash: Hex }>;
  /**
   * The last sequence of `coordinator` closed on chain (settled or voided; Settlement.lastSequence), when the
   * directory reads a chain: a round id at or below it can never settle, and members refuse it.
   */
  closedThrough?(coordinator: Address, opts?: { signal?: AbortSignal }): Promise<bigint>;
}

export interface PeerClient {
  /** POSTs a signed envelope to `endpoint + path`; resolves with the peer's JSON reply. */
  post(
    endpoint: string,
    path: string,
    envelope: unknown,
    opts: { signal?: AbortSignal; timeoutMs: number },
  ): Promise<unknown>;
}

export interface Artifacts {
  /** Stores a JSON-like document (dag-json); resolves with its CID string. */
  putJson(value: unknown, opts?: { signal?: AbortSignal }): Promise<string>;
  getJson<T = unknown>(cid: string, opts?: { signal?: AbortSignal }): Promise<T>;
  /** The CID `putJson` would return, without storing. */
  cidOf(value: unknown): Promise<string>;
}

export type { JudgedOutcome, Outcome };

/** What a member's model is asked: the query's messages, its token cap and the client's sampling parameters. */
export interface MindQuery {
  messages: { role: string; content: string }[];
  maxTokens: number;
  params?: { temperature?: number; topP?: number; seed?: number; stop?: string[] };
}

/** The node's own model, as the round uses it. */
export interface Mind {
  answer(query: MindQuery, opts: { signal?: AbortSignal }): Promise<string>;
  /** The answer with the backend's token counts and finish reason (used when present, reported in the reveal). */
  answerDetailed?(
    query: MindQuery,
    opts: { signal?: AbortSignal },
  ): Promise<{
    text: string;
    usage: { promptTokens: number; completionTokens: number };
    finishReason: "stop" | "length";
  }>;
  compare(
    input: { question: string; answerA: string; answerB: string },
    opts: { signal?: AbortSignal },
  ): Promise<{ outcome: Outcome; raw?: string; parsed?: boolean }>;
  screen?(input: { question: string; answer: string }, opts: { signal?: AbortSignal }): Promise<"GOOD" | "BAD">;
}

/**
 * Decentralized retrieval for RAG rounds: the data sources registered on chain and a verified retrieval from
 * one of them (src/node/chain-parts.ts builds it from src/chain/sources.ts and src/source/client.ts). A node
 * without it answers RAG queries from its model alone and says so in its reveal.
 */
export interface Retrieval {
  /** The Settlement contract's EIP-712 domain, under which sources sign what they served. */
  readonly domain: SettlementDomain;
  /**
   * Most sources a round reads (default MAX_LISTED_SOURCES of src/protocol/rag-evidence.ts); every member of a swarm and
   * its auditors use the same bound.
   */
  readonly maxListed?: number;
  /**
   * Active sources with their on-chain scores, as of `blockNumber` (the round's seed block): all of them, or
   * at most `maxListed` chosen by `listingIndices(activeCount, seed, maxListed)` over the registry's order.
   */
  sources(opts: { blockNumber: bigint; seed: Hex; maxListed: number; signal?: AbortSignal }): Promise<SourceInfo[]>;
  /**
   * Top-k contexts from `source` for the query, bound to the round and signed by the source. Rejects with
   * ChorusError RAG_SOURCE_TIMEOUT / _UNREACHABLE / _MALFORMED / _BAD_SIGNATURE / _WRONG_BINDING.
   */
  retrieve(
    source: SourceInfo,
    req: { roundId: Hex; query: QueryDoc; k: number },
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<SignedServed>;
}

/**
 * Gold standings from public data (issue 20; src/audit/gold-standings.ts reads them from GoldRegistry, Settlement
 * and the settled transcripts). A round's reputation deltas use every member's standing as of the round's seed
 * block: the coordinator puts them in the transcript, every member recomputes them before it signs.
 */
export interface GoldStandingsPort {
  /** Every node's standing (lower-case address) from the gold items revealed at or before block `block`. */
  standingsAt(block: bigint, opts?: { signal?: AbortSignal }): Promise<Record<string, number>>;
}
