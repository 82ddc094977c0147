/**
 * Disputes from a client: open an arbitrated dispute against a settled record, read it, and (the arbitrator)
 * uphold or reject it, (anyone) reclaim an unresolved one after its deadline; prove an equivocation (a node
 * signed two records of one round that could both settle), committing to the proof first so the prover earns
 * the reward. The settled record and its epoch's digests come from src/audit `settledRecordOf`.
 */
import { encodeAbiParameters, isAddressEqual, keccak256, parseEventLogs, type Address, type Hex } from "viem";
import { ChorusError, recordArgs, type RoundRecord } from "../core/index.js";
import { requireWallet } from "./clients.js";
import { chorusContracts, type ChorusChain, type ChorusContracts } from "./contracts.js";

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

/** The Disputes handle; DEPLOYMENTS_INVALID, naming the chain, when the deployment has none. */
function disputesOf(chain: ChorusChain): ChorusContracts["disputes"] {
  if (!("Disputes" in chain.deployments.contracts))
    throw new ChorusError("DEPLOYMENTS_INVALID", `the deployment of chain ${chain.chainId} has no Disputes contract`);
  return chorusContracts(chain).disputes;
}

export async function disputeCount(chain: ChorusChain): Promise<number> {
  return Number(await disputesOf(chain).read.disputeCount());
}

export async function getDispute(chain: ChorusChain, id: number): Promise<DisputeView> {
  const count = await disputeCount(chain);
  if (!Number.isInteger(id) || id < 1 || id > count)
    throw new ChorusError(
      "NOT_FOUND",
      count ? `no dispute ${id}: disputes are 1..${count}` : `no dispute has been opened on chain ${chain.chainId}`,
    );
  const d = await disputesOf(chain).read.dispute([BigInt(id)]);
  return {
    id,
    disputer: d.disputer,
    deadline: Number(d.deadline),
    status: DISPUTE_STATUS[d.status] ?? "none",
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
  const p = await disputesOf(chain).read.params();
  return { deposit: p.deposit, disputeWindow: Number(p.disputeWindow), arbitrationPeriod: Number(p.arbitrationPeriod) };
}

/** Approves the deposit when needed and opens a dispute; returns its id (from DisputeOpened). */
export async function openDispute(
  chain: ChorusChain,
  s: SettledRecordArgs & { signatures: Hex[]; evidenceCid: Hex },
): Promise<{ id: number; hash: Hex; txs: Hex[] }> {
  const disputes = disputesOf(chain);
  const { token } = chorusContracts(chain);
  const me = requireWallet(chain).account.address;
  const { deposit } = await disputeParams(chain);
  const balance = await token.read.balanceOf([me]);
  if (balance < deposit)
    throw new ChorusError(
      "INSUFFICIENT_BALANCE",
      `a dispute deposit is ${deposit} wei of CHR; ${me} holds ${balance}`,
      { deposit, balance },
    );
  const txs: Hex[] = [];
  if ((await token.read.allowance([me, disputes.address])) < deposit)
    txs.push((await token.write.approve([disputes.address, deposit])).hash);
  const { hash, receipt } = await disputes.write.openDispute([
    BigInt(s.epoch),
    s.epochDigests,
    BigInt(s.index),
    recordArgs(s.record),
    s.signatures,
    s.evidenceCid,
  ]);
  txs.push(hash);
  const opened = parseEventLogs({ abi: disputes.abi, logs: receipt.logs, eventName: "DisputeOpened" }).find((log) =>
    isAddressEqual(log.address, disputes.address),
  );
  if (opened) return { id: Number(opened.args.id), hash, txs };
  throw new ChorusError("CHAIN_ERROR", `openDispute (tx ${hash}) emitted no DisputeOpened event`);
}

export async function upholdDispute(chain: ChorusChain, id: number, record: RoundRecord): Promise<Hex> {
  return (await disputesOf(chain).write.uphold([BigInt(id), recordArgs(record)])).hash;
}

export async function rejectDispute(chain: ChorusChain, id: number): Promise<Hex> {
  return (await disputesOf(chain).write.reject([BigInt(id)])).hash;
}

export async function reclaimDispute(chain: ChorusChain, id: number): Promise<Hex> {
  return (await disputesOf(chain).write.reclaim([BigInt(id)])).hash;
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
  const disputes = disputesOf(chain);
  const me = requireWallet(chain).account.address;
  const commitTx = (
    await disputes.write.commitEquivocationProof([equivocationCommitment(me, p.digestA, p.digestB, p.salt)])
  ).hash;
  const settled = {
    epoch: BigInt(p.settled.epoch),
    epochDigests: p.settled.epochDigests,
    index: BigInt(p.settled.index),
    record: recordArgs(p.settled.record),
  };
  const { hash, receipt } = await disputes.write.proveEquivocation([
    settled,
    p.signatureA,
    recordArgs(p.other),
    p.signatureB,
    p.salt,
  ]);
  const proven = parseEventLogs({ abi: disputes.abi, logs: receipt.logs, eventName: "EquivocationProven" }).find(
    (log) => isAddressEqual(log.address, disputes.address),
  );
  if (proven) {
    const { signer, amount, reward } = proven.args;
    return { commitTx, hash, signer, amount, reward };
  }
  throw new ChorusError("CHAIN_ERROR", `proveEquivocation (tx ${hash}) emitted no EquivocationProven event`);
}
