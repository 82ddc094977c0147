/**
 * Reads and writes of CapabilityRegistry for the curator (publish a suite, reveal its key) and for a node
 * (post the attempt bond, commit, reveal, its pass). The pure encodings are in capability.ts.
 */
import { decodeEventLog, type Address, type Hex } from "viem";
import { ChorusError } from "../core/index.js";
import { requireWallet } from "./clients.js";
import type { ChorusChain } from "./contracts.js";
import { addressOf, readContract, writeContract } from "./named-calls.js";

export interface SuiteView {
  id: number;
  itemsCid: Hex;
  keyCommitment: Hex;
  itemCount: number;
  passThreshold: number;
  publishedAt: number;
  commitEnd: number;
  keyRevealEnd: number;
  revealEnd: number;
  validity: number;
  keyRevealed: boolean;
  key: bigint;
}

/** Where a suite is in its life at chain time `now`. */
export type SuitePhase = "commit" | "awaiting-key" | "reveal" | "closed" | "void";

export interface PassView {
  node: Address;
  suiteId: number;
  /** Unix seconds; 0 = never passed. */
  validUntil: number;
  score: number;
  capable: boolean;
}

export const ATTEMPT_STATUS = ["none", "committed", "passed", "failed", "void"] as const;
export type AttemptStatusName = (typeof ATTEMPT_STATUS)[number];

interface RawSuite {
  itemsCid: Hex;
  keyCommitment: Hex;
  itemCount: number;
  passThreshold: number;
  publishedAt: bigint;
  commitEnd: bigint;
  keyRevealEnd: bigint;
  revealEnd: bigint;
  validity: bigint;
  keyRevealed: boolean;
  key: bigint;
}

function requireCapability(chain: ChorusChain): void {
  if (!chain.deployments.contracts.CapabilityRegistry) {
    throw new ChorusError(
      "DEPLOYMENTS_INVALID",
      `the deployment of chain ${chain.chainId} has no CapabilityRegistry: nothing to calibrate against`,
    );
  }
}

/** The latest block's timestamp: the clock every window is measured by. */
export async function chainTime(chain: ChorusChain): Promise<number> {
  return Number((await chain.publicClient.getBlock({ blockTag: "latest" })).timestamp);
}

export async function suiteCount(chain: ChorusChain): Promise<number> {
  requireCapability(chain);
  return Number(await readContract<bigint>(chain, "CapabilityRegistry", "suiteCount"));
}

export async function getSuite(chain: ChorusChain, id: number): Promise<SuiteView> {
  requireCapability(chain);
  const count = await suiteCount(chain);
  if (!Number.isInteger(id) || id < 1 || id > count) {
    throw new ChorusError(
      "NOT_FOUND",
      count === 0
        ? `no calibration suite has been published on chain ${chain.chainId}`
        : `no suite ${id}: suites are 1..${count}`,
    );
  }
  const s = await readContract<RawSuite>(chain, "CapabilityRegistry", "suite", [BigInt(id)]);
  return {
    id,
    itemsCid: s.itemsCid,
    keyCommitment: s.keyCommitment,
    itemCount: Number(s.itemCount),
    passThreshold: Number(s.passThreshold),
    publishedAt: Number(s.publishedAt),
    commitEnd: Number(s.commitEnd),
    keyRevealEnd: Number(s.keyRevealEnd),
    revealEnd: Number(s.revealEnd),
    validity: Number(s.validity),
    keyRevealed: s.keyRevealed,
    key: s.key,
  };
}

export function suitePhase(s: SuiteView, now: number): SuitePhase {
  if (now < s.commitEnd) return "commit";
  if (!s.keyRevealed) return now < s.keyRevealEnd ? "awaiting-key" : "void";
  return now < s.revealEnd ? "reveal" : "closed";
}

/** Every suite, newest first (at most `limit`). */
export async function listSuites(chain: ChorusChain, limit = 50): Promise<SuiteView[]> {
  const count = await suiteCount(chain);
  const ids = Array.from({ length: Math.min(count, limit) }, (_, i) => count - i);
  return Promise.all(ids.map((id) => getSuite(chain, id)));
}

/** The newest suite still open for commits at chain time `now`, if any. */
export async function openSuite(chain: ChorusChain, now: number): Promise<SuiteView | undefined> {
  return (await listSuites(chain)).find((s) => suitePhase(s, now) === "commit");
}

export async function passOf(chain: ChorusChain, node: Address): Promise<PassView> {
  requireCapability(chain);
  const [p, capable] = await Promise.all([
    readContract<{ suiteId: bigint; validUntil: bigint; score: number }>(chain, "CapabilityRegistry", "passOf", [node]),
    readContract<boolean>(chain, "CapabilityRegistry", "isCapable", [node]),
  ]);
  return { node, suiteId: Number(p.suiteId), validUntil: Number(p.validUntil), score: Number(p.score), capable };
}

export async function attemptOf(
  chain: ChorusChain,
  suiteId: number,
  node: Address,
): Promise<{ status: AttemptStatusName; score: number; commitment: Hex }> {
  const [status, score, commitment] = await readContract<readonly [number, number, Hex]>(
    chain,
    "CapabilityRegistry",
    "attemptOf",
    [BigInt(suiteId), node],
  );
  return { status: ATTEMPT_STATUS[Number(status)] ?? "none", score: Number(score), commitment };
}

export interface SuiteParams {
  itemsCid: Hex;
  keyCommitment: Hex;
  itemCount: number;
  passThreshold: number;
  commitEnd: number;
  keyRevealEnd: number;
  revealEnd: number;
  validity: number;
}

/** Publishes a suite (CURATOR_ROLE); returns its id from the SuitePublished event. */
export async function publishSuite(chain: ChorusChain, p: SuiteParams): Promise<{ suiteId: number; hash: Hex }> {
  requireCapability(chain);
  const params = {
    itemsCid: p.itemsCid,
    keyCommitment: p.keyCommitment,
    itemCount: p.itemCount,
    passThreshold: p.passThreshold,
    commitEnd: BigInt(p.commitEnd),
    keyRevealEnd: BigInt(p.keyRevealEnd),
    revealEnd: BigInt(p.revealEnd),
    validity: BigInt(p.validity),
  };
  const { hash, receipt } = await writeContract(chain, "CapabilityRegistry", "publishSuite", [params]);
  const c = chain.deployments.contracts.CapabilityRegistry;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== c.address.toLowerCase()) continue;
    try {
      const ev = decodeEventLog({ abi: c.abi, data: log.data, topics: log.topics });
      if (ev.eventName === "SuitePublished")
        return { suiteId: Number((ev.args as unknown as { suiteId: bigint }).suiteId), hash };
    } catch {
      /* another event */
    }
  }
  throw new ChorusError("CHAIN_ERROR", `publishSuite (tx ${hash}) emitted no SuitePublished event`);
}

export async function revealSuiteKey(chain: ChorusChain, suiteId: number, key: bigint, keySalt: Hex): Promise<Hex> {
  return (await writeContract(chain, "CapabilityRegistry", "revealKey", [BigInt(suiteId), key, keySalt])).hash;
}

/**
 * Makes sure the caller has a free bond of one attempt: approves and posts what is missing. Reports a short
 * balance in CHR before anything is sent. Returns the transactions sent.
 */
export async function ensureAttemptBond(chain: ChorusChain): Promise<{ bond: bigint; txs: Hex[] }> {
  const me = requireWallet(chain).account.address;
  const [[bond], [free]] = await Promise.all([
    readContract<readonly [bigint, number]>(chain, "CapabilityRegistry", "bondTerms"),
    readContract<readonly [bigint, bigint]>(chain, "CapabilityRegistry", "bondOf", [me]),
  ]);
  if (free >= bond) return { bond, txs: [] };
  const need = bond - free;
  const balance = await readContract<bigint>(chain, "ChorusToken", "balanceOf", [me]);
  if (balance < need) {
    throw new ChorusError(
      "INSUFFICIENT_BALANCE",
      `an attempt needs a bond of ${fmt(need)} CHR; ${me} holds ${fmt(balance)} CHR (get CHR first: \`chorus transfer\` from a funded account, or \`chorus faucet\` on the devnet)`,
      {
        need,
        balance,
      },
    );
  }
  const cap = addressOf(chain, "CapabilityRegistry");
  const txs: Hex[] = [];
  const allowance = await readContract<bigint>(chain, "ChorusToken", "allowance", [me, cap]);
  if (allowance < need) txs.push((await writeContract(chain, "ChorusToken", "approve", [cap, need])).hash);
  txs.push((await writeContract(chain, "CapabilityRegistry", "postBond", [need])).hash);
  return { bond, txs };
}

export async function commitChoices(chain: ChorusChain, suiteId: number, commitment: Hex): Promise<Hex> {
  return (await writeContract(chain, "CapabilityRegistry", "commit", [BigInt(suiteId), commitment])).hash;
}

export async function revealChoices(chain: ChorusChain, suiteId: number, choices: bigint, salt: Hex): Promise<Hex> {
  return (await writeContract(chain, "CapabilityRegistry", "reveal", [BigInt(suiteId), choices, salt])).hash;
}

function fmt(wei: bigint): string {
  const whole = wei / 10n ** 18n;
  const frac = (wei % 10n ** 18n).toString().padStart(18, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}
