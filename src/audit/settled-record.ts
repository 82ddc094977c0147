/**
 * A settled round's record as the Disputes contract wants it, from the chain alone: the settlement
 * transaction's calldata gives every record of the epoch with its signatures (the seed is not in calldata; it
 * is re-derived from each coordinator's batch seed block), so the epoch's digests, this record's index and the
 * signatures over it can be shown to `openDispute`, `uphold` and `proveEquivocation`.
 */
import { type Address, type Hex } from "viem";
import { epochTablesOfTx } from "../chain/round-event.js";
import type { ChorusChain } from "../chain/index.js";
import { ChorusError, recordDigest, roundIdParts, settlementDomain, type RoundRecord } from "../core/index.js";
import { roundSeed } from "../protocol/index.js";
import { deployedSettlement } from "./availability.js";
import { decodeEpochCalldata } from "./epoch-calldata.js";

export interface SettledRecord {
  epoch: number;
  epochDigests: Hex[];
  index: number;
  record: RoundRecord;
  digest: Hex;
  /** The record's signers and their signatures, as the settlement carried them. */
  signers: Address[];
  signatures: Hex[];
  txHash: Hex;
}

export async function settledRecordOf(chain: ChorusChain, roundId: Hex): Promise<SettledRecord> {
  const settlement = deployedSettlement(chain);
  if (!settlement) throw new ChorusError("AUDIT_UNAVAILABLE", "this deployment has no Settlement contract");
  const logs = await chain.publicClient.getContractEvents({
    address: settlement.address,
    abi: settlement.abi,
    eventName: "RoundSettled",
    args: { roundId },
    fromBlock: BigInt(chain.deployments.startBlock),
  });
  if (logs.length === 0)
    throw new ChorusError("NOT_FOUND", `round ${roundId} has not settled on chain ${chain.chainId}`, { roundId });
  const { transactionHash: txHash, blockNumber } = logs[0] as unknown as { transactionHash: Hex; blockNumber: bigint };
  const [tx, tables] = await Promise.all([
    chain.publicClient.getTransaction({ hash: txHash }),
    epochTablesOfTx(chain, txHash),
  ]);
  const decoded = decodeEpochCalldata(tx.input);
  const domain = settlementDomain(chain.chainId, settlement.address);
  const seeds = new Map<string, Promise<Hex>>();
  const batchSeedOf = (r: RoundRecord) => {
    const { coordinator, seq } = roundIdParts(r.roundId);
    const key = `${coordinator}:${seq}`;
    const cached = seeds.get(key);
    if (cached) return cached;
    const seed = batchSeed(chain, coordinator, seq, blockNumber);
    seeds.set(key, seed);
    return seed;
  };
  const records = await Promise.all(
    decoded.map(async (d) => ({
      ...d,
      record: { ...d.record, seed: roundSeed(await batchSeedOf(d.record), d.record.roundId) },
    })),
  );
  const index = records.findIndex((d) => d.record.roundId.toLowerCase() === roundId.toLowerCase());
  if (index < 0)
    throw new ChorusError("AUDIT_BAD_TX", `settlement transaction ${txHash} does not carry round ${roundId}`);
  const epochDigests = records.map((d) => recordDigest(domain, d.record));
  const mine = records[index];
  return {
    epoch: tables.epoch,
    epochDigests,
    index,
    record: mine.record,
    digest: epochDigests[index],
    signers: mine.signers,
    signatures: mine.signatures,
    txHash,
  };
}

/** The seed block hash of the batch of `coordinator` that reserved `seq` (latest BatchOpened before `toBlock`). */
async function batchSeed(chain: ChorusChain, coordinator: Address, seq: bigint, toBlock: bigint): Promise<Hex> {
  const settlement = chain.deployments.contracts.Settlement;
  const logs = (await chain.publicClient.getContractEvents({
    address: settlement.address,
    abi: settlement.abi,
    eventName: "BatchOpened",
    args: { coordinator },
    fromBlock: BigInt(chain.deployments.startBlock),
    toBlock,
  })) as unknown as { args: { firstSeq: bigint; lastSeq: bigint; seedBlock: bigint } }[];
  const hit = logs.filter((l) => l.args.firstSeq <= seq && seq <= l.args.lastSeq).at(-1);
  if (!hit) throw new ChorusError("AUDIT_BAD_TX", `no BatchOpened of ${coordinator} covers sequence ${seq}`);
  return (await chain.publicClient.getBlock({ blockNumber: hit.args.seedBlock })).hash;
}
