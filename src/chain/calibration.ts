/**
 * Reads and writes of CapabilityRegistry for the curator (publish a suite, reveal its key) and for a node
 * (post the attempt bond, commit, reveal, its pass). The pure encodings are in capability.ts.
 */
import { isAddressEqual, parseEventLogs, type Address, type Hex } from "viem";
import { ChorusError } from "../core/index.js";
import { requireWallet } from "./clients.js";
import { chorusContracts, type ChorusChain, type ChorusContracts } from "./contracts.js";

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

/** The CapabilityRegistry handle; DEPLOYMENTS_INVALID when the deployment has none. */
function capabilityOf(chain: ChorusChain): NonNullable<ChorusContracts["capabilityRegistry"]> {
  const registry = chorusContracts(chain).capabilityRegistry;
  if (!registry) {
    throw new ChorusError(
      "DEPLOYMENTS_INVALID",
      `the deployment of chain ${chain.chainId} has no CapabilityRegistry: nothing to calibrate against`,
    );
  }
  return registry;
}

/** The latest block's timestamp: the clock every window is measured by. */
export async function chainTime(chain: ChorusChain): Promise<number> {
  return Number((await chain.publicClient.getBlock({ blockTag: "latest" })).timestamp);
}

export async function suiteCount(chain: ChorusChain): Promise<number> {
  return Number(await capabilityOf(chain).read.suiteCount());
}

export async function getSuite(chain: ChorusChain, id: number): Promise<SuiteView> {
  const count = await suiteCount(chain);
  if (!Number.isInteger(id) || id < 1 || id > count) {
    throw new ChorusError(
      "NOT_FOUND",
      count === 0
        ? `no calibration suite has been published on chain ${chain.chainId}`
        : `no suite ${id}: suites are 1..${count}`,
    );
  }
  const s = await capabilityOf(chain).read.suite([BigInt(id)]);
  return {
    id,
    itemsCid: s.itemsCid,
    keyCommitment: s.keyCommitment,
    itemCount: s.itemCount,
    passThreshold: s.passThreshold,
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
  const registry = capabilityOf(chain);
  const [p, capable] = await Promise.all([registry.read.passOf([node]), registry.read.isCapable([node])]);
  return { node, suiteId: Number(p.suiteId), validUntil: Number(p.validUntil), score: p.score, capable };
}

export async function attemptOf(
  chain: ChorusChain,
  suiteId: number,
  node: Address,
): Promise<{ status: AttemptStatusName; score: number; commitment: Hex }> {
  const [status, score, commitment] = await capabilityOf(chain).read.attemptOf([BigInt(suiteId), node]);
  return { status: ATTEMPT_STATUS[status] ?? "none", score, commitment };
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
  const registry = capabilityOf(chain);
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
  const { hash, receipt } = await registry.write.publishSuite([params]);
  const published = parseEventLogs({ abi: registry.abi, logs: receipt.logs, eventName: "SuitePublished" }).find((log) =>
    isAddressEqual(log.address, registry.address),
  );
  if (published) return { suiteId: Number(published.args.suiteId), hash };
  throw new ChorusError("CHAIN_ERROR", `publishSuite (tx ${hash}) emitted no SuitePublished event`);
}

export async function revealSuiteKey(chain: ChorusChain, suiteId: number, key: bigint, keySalt: Hex): Promise<Hex> {
  return (await capabilityOf(chain).write.revealKey([BigInt(suiteId), key, keySalt])).hash;
}

/**
 * Makes sure the caller has a free bond of one attempt: approves and posts what is missing. Reports a short
 * balance in CHR before anything is sent. Returns the transactions sent.
 */
export async function ensureAttemptBond(chain: ChorusChain): Promise<{ bond: bigint; txs: Hex[] }> {
  const me = requireWallet(chain).account.address;
  const registry = capabilityOf(chain);
  const { token } = chorusContracts(chain);
  const [[bond], [free]] = await Promise.all([registry.read.bondTerms(), registry.read.bondOf([me])]);
  if (free >= bond) return { bond, txs: [] };
  const need = bond - free;
  const balance = await token.read.balanceOf([me]);
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
  const txs: Hex[] = [];
  const allowance = await token.read.allowance([me, registry.address]);
  if (allowance < need) txs.push((await token.write.approve([registry.address, need])).hash);
  txs.push((await registry.write.postBond([need])).hash);
  return { bond, txs };
}

export async function commitChoices(chain: ChorusChain, suiteId: number, commitment: Hex): Promise<Hex> {
  return (await capabilityOf(chain).write.commit([BigInt(suiteId), commitment])).hash;
}

export async function revealChoices(chain: ChorusChain, suiteId: number, choices: bigint, salt: Hex): Promise<Hex> {
  return (await capabilityOf(chain).write.reveal([BigInt(suiteId), choices, salt])).hash;
}

function fmt(wei: bigint): string {
  const whole = wei / 10n ** 18n;
  const frac = (wei % 10n ** 18n).toString().padStart(18, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}
