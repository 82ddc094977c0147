/**
 * Gas of round settlement and source-score updates, from receipts on Hardhat's in-process network with the
 * real deploy scripts. Setting: 7 staked, capable nodes with equal stake and 6 registered sources; one node
 * coordinates and settles its own rounds. Steady state: a warm-up epoch first settles every node and source
 * once, so scores and the coordinator's sequence already have storage (first-ever writes cost ~20k more per
 * slot, once per node / source / coordinator).
 *
 * - gas_settle_round_alone: whole transaction (21,000 base included) of an epoch holding one round of 7.
 * - gas_settle_round_epoch20: whole transaction of an epoch of 20 rounds of 7, divided by 20.
 *   Each record carries the signatures the quorum needs and no more (`encodeEpoch` with seats picks the
 *   fewest, largest stake first): 5 of 7 at equal stake, since 3 * 5 >= 2 * 7 > 3 * 4. (With all 7
 *   signatures the same epoch costs about 9.3k more per round: 2 more ecrecovers and 128 calldata bytes.)
 * - gas_source_update_single: marginal gas of one source update: (the one-round epoch with one source
 *   update, its source signature included) - (the same epoch without it), from the same chain state.
 * - gas_source_update_batch50: the same marginal for 50 source updates spread over the 20-round epoch
 *   (2 or 3 per round over the 6 sources), divided by 50.
 * - gas_finalize_epoch: the whole finalizeEpoch transaction of the 20-round epoch (7 nodes, no sources) once due,
 *   divided by 20: what making its pending deltas final costs per round (issue 13). Settling no longer writes
 *   node words or source scores; finality does, once per node and source per epoch.
 * - gas_finalize_epoch_sources50: the same for the epoch with 50 source updates (6 sources).
 */
import hre from "hardhat";
import type { Hex } from "viem";
import { encodeEpoch } from "../../src/protocol/index.js";
import { type SignedRecord, type SourceDelta } from "../../src/core/index.js";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import {
  cid,
  deploySwarm,
  drawnRecord,
  finalizeEpochs,
  finalizeInputOf,
  openBatch,
  signAll,
  type Batch,
} from "../../test/kit/chorus-fixture.js";

const ROUND_SIZE = 7;
const EPOCH = 20;
const SOURCE_UPDATES = 50;

export default async function benchSettlement(): Promise<string[]> {
  const s = await deploySwarm({ nodes: ROUND_SIZE, sources: 6 });
  const coordinator = s.nodes[0];
  // 7 equal stakes and 7 expected seats: every node holds exactly one seat in every round
  const batch: Batch = await openBatch(s, coordinator, 256);
  const seats = () => 1n;

  const round = async (sources: SourceDelta[], label: string): Promise<SignedRecord> => {
    const record = await drawnRecord(s, batch, { sources, label });
    if (record.participants.length !== ROUND_SIZE)
      throw new Error(`bench drew ${record.participants.length} members, not ${ROUND_SIZE}`);
    return signAll(s.domain, record, s.nodes, s.sourceActors);
  };
  const sourceDeltas = (count: number, offset: number): SourceDelta[] =>
    Array.from({ length: count }, (_, j) => ({
      source: s.sourceActors[(offset + j) % s.sourceActors.length].address,
      reliability: (((offset + j) * 3001) % 40_000) - 20_000,
      usefulness: (((offset + j) * 1703) % 40_000) - 20_000,
      servedCid: cid(`served ${offset} ${j}`),
    }));

  const gasOf = async (signed: SignedRecord[]): Promise<bigint> => {
    const e = encodeEpoch(signed, { seats });
    const c = await s.as(coordinator.wallet);
    const hash = await c.settlement.write.settleEpoch([batch.period, e.nodes, e.sources, e.records]);
    const receipt = await s.publicClient.getTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error("bench settlement reverted");
    return receipt.gasUsed;
  };
  /** Gas of `a` and of `b`, each settled from the same chain state. */
  const pair = async (a: SignedRecord[], b: SignedRecord[]): Promise<[bigint, bigint]> => {
    const snap = (await hre.network.provider.send("evm_snapshot", [])) as Hex;
    const ga = await gasOf(a);
    await hre.network.provider.send("evm_revert", [snap]);
    return [ga, await gasOf(b)];
  };

  // Warm-up: every node, every source and the coordinator's sequence get their storage.
  await gasOf([await round(sourceDeltas(6, 0), "warm-up")]);

  // One round alone, without and with one source update (same round id, same state).
  const aloneSeq = batch.next;
  const alone = await round([], "alone");
  batch.next = aloneSeq;
  const aloneWithSource = await round(sourceDeltas(1, 1), "alone");
  const [gasAlone, gasAloneWithSource] = await pair([alone], [aloneWithSource]);

  // Twenty rounds, without and with 50 source updates (same round ids, same state).
  const firstSeq = batch.next;
  const plain: SignedRecord[] = [];
  for (let i = 0; i < EPOCH; i++) plain.push(await round([], `epoch ${i}`));
  batch.next = firstSeq;
  const withSources: SignedRecord[] = [];
  let given = 0;
  for (let i = 0; i < EPOCH; i++) {
    const count = Math.round(((i + 1) * SOURCE_UPDATES) / EPOCH) - Math.round((i * SOURCE_UPDATES) / EPOCH);
    withSources.push(await round(sourceDeltas(count, given), `epoch ${i}`));
    given += count;
  }
  if (given !== SOURCE_UPDATES) throw new Error(`bench built ${given} source updates, not ${SOURCE_UPDATES}`);
  // Each 20-round epoch from the same state, then made final (epochs 1 and 2 first, so every node word and
  // source score is written already: steady state): the finalize transaction's gas, divided by 20.
  const settleAndFinalize = async (signed: SignedRecord[]): Promise<[bigint, bigint]> => {
    const gas = await gasOf(signed);
    const epoch = Number(await s.settlement.read.epochCount());
    await finalizeEpochs(s, { epochs: Array.from({ length: epoch - 1 }, (_, i) => i + 1) });
    const [, , finalAt] = await s.settlement.read.epochStatus([BigInt(epoch)]);
    if (finalAt > BigInt(await time.latest())) await time.increaseTo(finalAt);
    const input = await finalizeInputOf(s, epoch);
    const hash = await s.settlement.write.finalizeEpoch([BigInt(epoch), input.deltas, input.voided]);
    const receipt = await s.publicClient.getTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error("bench finalization reverted");
    return [gas, receipt.gasUsed];
  };
  const snap = (await hre.network.provider.send("evm_snapshot", [])) as Hex;
  const [gasEpoch, gasFinalize] = await settleAndFinalize(plain);
  await hre.network.provider.send("evm_revert", [snap]);
  const [gasEpochWithSources, gasFinalizeWithSources] = await settleAndFinalize(withSources);

  const line = (name: string, value: bigint) => `BENCH ${name} ${value} gas`;
  return [
    line("gas_settle_round_alone", gasAlone),
    line("gas_settle_round_epoch20", gasEpoch / BigInt(EPOCH)),
    line("gas_source_update_single", gasAloneWithSource - gasAlone),
    line("gas_source_update_batch50", (gasEpochWithSources - gasEpoch) / BigInt(SOURCE_UPDATES)),
    line("gas_finalize_epoch", gasFinalize / BigInt(EPOCH)),
    line("gas_finalize_epoch_sources50", gasFinalizeWithSources / BigInt(EPOCH)),
  ];
}
