/**
 * Disputes from a client: open an arbitrated dispute against a settled record, read it, and (the arbitrator)
 * uphold or reject it, (anyone) reclaim an unresolved one after its deadline; prove an equivocation (a node
 * signed two records of one round that could both settle), committing to the proof first so the prover earns
 * the reward. The settled record and its epoch's digests come from src/audit `settledRecordOf`.
 */
import { decodeEventLog, encodeAbiParameters, keccak256, type Address, type Hex } from "viem";
import { ChorusError, recordArgs, type RoundRecord } from "../core/index.js";
import { requireWallet } from "./clients.js";
import type { ChorusChain } from "./contracts.js";
import { addressOf, readContract, writeContract } from "./named-calls.js";

export const DISPUTE_STATUS = ["none", "open", "upheld", "rejected", "reclaimed"] as const;
export type DisputeStatusName = (typeof DISPUTE_STATUS)[number];

/** What the contract needs to locate a settled record in its epoch. */
export interface SettledRecordArgs {
  epoch: number;
  epochDigests: Hex[];
  index: number;
  record: RoundRecord;
}

export interface DisputeView {
  id: number;
  disputer: Address;
  deadline: number;
  status: DisputeStatusName;
  roundId: Hex;
  epoch: number;
  deposit: bigint;
  evidenceCid: Hex;
  recordDigest: Hex;
  signers: Address[];
  locked: bigint[];
}

function requireDisputes(chain: ChorusChain): void {
  if (!chain.deployments.contracts.Disputes)
    throw new ChorusError("DEPLOYMENTS_INVALID", `the deployment of chain ${chain.chainId} has no Disputes contract`);
}

export async function disputeCount(chain: ChorusChain): Promise<number> {
  requireDisputes(chain);
  return Number(await readContract<bigint>(chain, "Disputes", "disputeCount"));
}

export async function getDispute(chain: ChorusChain, id: number): Promise<DisputeView> {
  const count = await disputeCount(chain);
  if (!Number.isInteger(id) || id < 1 || id > count)
    throw new ChorusError(
      "NOT_FOUND",
      count ? `no dispute ${id}: disputes are 1..${count}` : `no dispute has been opened on chain ${chain.chainId}`,
    );
  const d = await readContract<{
    disputer: Address;
    deadline: bigint;
    status: number;
    roundId: Hex;
    epoch: bigint;
    deposit: bigint;
    evidenceCid: Hex;
    recordDigest: Hex;
    signers: readonly Address[];
    locked: readonly bigint[];
  }>(chain, "Disputes", "dispute", [BigInt(id)]);
  return {
    id,
    disputer: d.disputer,
    deadline: Number(d.deadline),
    status: DISPUTE_STATUS[Number(d.status)] ?? "none",
    roundId: d.roundId,
    epoch: Number(d.epoch),
    deposit: d.deposit,
    evidenceCid: d.evidenceCid,
    recordDigest: d.recordDigest,
    signers: [...d.signers],
    locked: [...d.locked],
  };
}

/** The disputes of `roundId` (newest first). */
export async function disputesOfRound(chain: ChorusChain, roundId: Hex): Promise<DisputeView[]> {
  const count = await disputeCount(chain);
  const all = await Promise.all(Array.from({ length: count }, (_, i) => getDispute(chain, count - i)));
  return all.filter((d) => d.roundId.toLowerCase() === roundId.toLowerCase());
}

export async function disputeParams(
  chain: ChorusChain,
): Promise<{ deposit: bigint; disputeWindow: number; arbitrationPeriod: number }> {
  requireDisputes(chain);
  const p = await readContract<{ deposit: bigint; disputeWindow: bigint; arbitrationPeriod: bigint }>(
    chain,
    "Disputes",
    "params",
  );
  return { deposit: p.deposit, disputeWindow: Number(p.disputeWindow), arbitrationPeriod: Number(p.arbitrationPeriod) };
}

/** Approves the deposit when needed and opens a dispute; returns its id (from DisputeOpened). */
export async function openDispute(
  chain: ChorusChain,
  s: SettledRecordArgs & { signatures: Hex[]; evidenceCid: Hex },
): Promise<{ id: number; hash: Hex; txs: Hex[] }> {
  requireDisputes(chain);
  const me = requireWallet(chain).account.address;
  const { deposit } = await disputeParams(chain);
  const balance = await readContract<bigint>(chain, "ChorusToken", "balanceOf", [me]);
  if (balance < deposit)
    throw new ChorusError(
      "INSUFFICIENT_BALANCE",
      `a dispute deposit is ${deposit} wei of CHR; ${me} holds ${balance}`,
      { deposit, balance },
    );
  const txs: Hex[] = [];
  const at = addressOf(chain, "Disputes");
  if ((await readContract<bigint>(chain, "ChorusToken", "allowance", [me, at])) < deposit)
    txs.push((await writeContract(chain, "ChorusToken", "approve", [at, deposit])).hash);
  const { hash, receipt } = await writeContract(chain, "Disputes", "openDispute", [
    BigInt(s.epoch),
    s.epochDigests,
    BigInt(s.index),
    recordArgs(s.record),
    s.signatures,
    s.evidenceCid,
  ]);
  txs.push(hash);
  const c = chain.deployments.contracts.Disputes;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== c.address.toLowerCase()) continue;
    try {
      const ev = decodeEventLog({ abi: c.abi, data: log.data, topics: log.topics });
      if (ev.eventName === "DisputeOpened") return { id: Number((ev.args as unknown as { id: bigint }).id), hash, txs };
    } catch {
      /* another event */
    }
  }
  throw new ChorusError("CHAIN_ERROR", `openDispute (tx ${hash}) emitted no DisputeOpened event`);
}

export async function upholdDispute(chain: ChorusChain, id: number, record: RoundRecord): Promise<Hex> {
  return (await writeContract(chain, "Disputes", "uphold", [BigInt(id), recordArgs(record)])).hash;
}

export async function rejectDispute(chain: ChorusChain, id: number): Promise<Hex> {
  return (await writeContract(chain, "Disputes", "reject", [BigInt(id)])).hash;
}

export async function reclaimDispute(chain: ChorusChain, id: number): Promise<Hex> {
  return (await writeContract(chain, "Disputes", "reclaim", [BigInt(id)])).hash;
}

/** keccak256(abi.encode(prover, digestA, digestB, salt)): the commitment a prover sends a block before its proof. */
export function equivocationCommitment(prover: Address, digestA: Hex, digestB: Hex, salt: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }],
      [prover, digestA, digestB, salt],
    ),
  );
}

/**
 * Commits to the proof (its own transaction, so an earlier block), then proves: the signer loses its stake share,
 * and the reward goes to the prover when it is neither the coordinator nor a participant.
 */
export async function proveEquivocation(
  chain: ChorusChain,
  p: {
    settled: SettledRecordArgs;
    signatureA: Hex;
    digestA: Hex;
    other: RoundRecord;
    signatureB: Hex;
    digestB: Hex;
    salt: Hex;
  },
): Promise<{ commitTx: Hex; hash: Hex; signer: Address; amount: bigint; reward: bigint }> {
  requireDisputes(chain);
  const me = requireWallet(chain).account.address;
  const commitTx = (
    await writeContract(chain, "Disputes", "commitEquivocationProof", [
      equivocationCommitment(me, p.digestA, p.digestB, p.salt),
    ])
  ).hash;
  const settled = {
    epoch: BigInt(p.settled.epoch),
    epochDigests: p.settled.epochDigests,
    index: BigInt(p.settled.index),
    record: recordArgs(p.settled.record),
  };
  const { hash, receipt } = await writeContract(chain, "Disputes", "proveEquivocation", [
    settled,
    p.signatureA,
    recordArgs(p.other),
    p.signatureB,
    p.salt,
  ]);
  const c = chain.deployments.contracts.Disputes;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== c.address.toLowerCase()) continue;
    try {
      const ev = decodeEventLog({ abi: c.abi, data: log.data, topics: log.topics });
      if (ev.eventName === "EquivocationProven") {
        const a = ev.args as unknown as { signer: Address; amount: bigint; reward: bigint };
        return { commitTx, hash, signer: a.signer, amount: a.amount, reward: a.reward };
      }
    } catch {
      /* another event */
    }
  }
  throw new ChorusError("CHAIN_ERROR", `proveEquivocation (tx ${hash}) emitted no EquivocationProven event`);
}
