import { getAddress, parseEventLogs, type Address, type Hex } from "viem";
import { chorusContracts } from "../chain/index.js";

import { epochStatus, finalizeInput, finalReputations, netAfterVoids, type EpochStatus } from "../chain/finality.js";
import { pagedContractEvents } from "../chain/index.js";
import { decodeRoundDeltas } from "../protocol/index.js";
import { ChorusError, present } from "../core/index.js";
import { deployedSettlement } from "./availability.js";
import { auditRound, type AuditDeps, type AuditReport } from "./round.js";

/**
 * The epoch's finality, checked (issue 13): its net deltas are the sums of its rounds' deltas; once final, every
 * node's reputation after `EpochFinalized` is its reputation just before it moved once by its net, less its voided
 * rounds' deltas, clamped (reputations read at the block before, which needs an archive RPC for old epochs).
 */
export interface EpochFinalityReport {
  status: "pending" | "final";
  /** Unix seconds from which a pending epoch can be made final. */
  finalAt: number;
  voidedRounds: Hex[];
  /** Per node, the epoch's net delta less its voided rounds'. */
  pending: Record<Address, number>;
  mismatches: string[];
}

export interface EpochAuditReport {
  ok: boolean;
  epoch: number;
  rounds: AuditReport[];
  finality: EpochFinalityReport;
}

/** Audits every round that settled in `epoch`, and the epoch's pending or final deltas. */
export async function auditEpoch(deps: AuditDeps, epoch: number): Promise<EpochAuditReport> {
  if (!deployedSettlement(deps.chain))
    throw new ChorusError("AUDIT_UNAVAILABLE", "this deployment has no Settlement contract");
  const s = chorusContracts(deps.chain).settlement;
  const settledEpoch = (
    (await pagedContractEvents(deps.chain, {
      address: s.address,
      abi: s.abi,
      eventName: "EpochSettled",
      args: { epoch: BigInt(epoch) },
      fromBlock: BigInt(deps.chain.deployments.startBlock),
      newestFirst: true,
    })) as unknown as { transactionHash: Hex }[]
  ).at(0);
  const receipt = settledEpoch
    ? await deps.chain.publicClient.getTransactionReceipt({ hash: settledEpoch.transactionHash })
    : undefined;
  const logs = receipt ? parseEventLogs({ abi: s.abi, logs: receipt.logs, eventName: "RoundSettled" }) : [];
  if (logs.length === 0)
    throw new ChorusError("NOT_FOUND", `epoch ${epoch} has no settled rounds on chain ${deps.chain.chainId}`);
  const rounds = [];
  for (const l of logs) rounds.push(await auditRound(deps, l.args.roundId));
  const finality = await auditFinality(
    deps,
    epoch,
    logs.map((l) => l.args.deltas),
  );
  return { ok: rounds.every((r) => r.ok) && finality.mismatches.length === 0, epoch, rounds, finality };
}

async function auditFinality(deps: AuditDeps, epoch: number, roundDeltas: Hex[]): Promise<EpochFinalityReport> {
  const input = await finalizeInput(deps.chain, epoch);
  const status: EpochStatus = await epochStatus(deps.chain, epoch);
  const mismatches: string[] = [];
  // the net deltas EpochSettled reports are the sums of the rounds' deltas
  const sums = new Map<Address, number>();
  for (const data of roundDeltas) {
    const d = decodeRoundDeltas(data, input.deltas);
    d.nodes.forEach((x, i) => {
      const node = present(d.nodeAddresses?.[i], "node address of a round delta");
      sums.set(node, (sums.get(node) ?? 0) + x.delta);
    });
  }
  input.deltas.nodes.forEach((n, i) => {
    if ((sums.get(n) ?? 0) !== input.deltas.deltas[i]) {
      mismatches.push(
        `EpochSettled reports net delta ${input.deltas.deltas[i]} for ${n}; its rounds sum to ${sums.get(n) ?? 0}`,
      );
    }
  });
  const net = netAfterVoids(input).nodes;
  if (status.final) await checkFinalReputations(deps, epoch, net, mismatches);
  return {
    status: status.final ? "final" : "pending",
    finalAt: status.finalAt,
    voidedRounds: input.voidedRoundIds,
    pending: Object.fromEntries(status.final ? [] : [...net]),
    mismatches,
  };
}

/** EpochFinalized's reputations against the rule, from the reputations one block before it. */
async function checkFinalReputations(
  deps: AuditDeps,
  epoch: number,
  net: Map<Address, number>,
  mismatches: string[],
): Promise<void> {
  const s = chorusContracts(deps.chain).settlement;
  const ev = (
    (await pagedContractEvents(deps.chain, {
      address: s.address,
      abi: s.abi,
      eventName: "EpochFinalized",
      args: { epoch: BigInt(epoch) },
      fromBlock: BigInt(deps.chain.deployments.startBlock),
      newestFirst: true,
    })) as unknown as { blockNumber: bigint; args: { nodes: Address[]; reputations: number[] } }[]
  ).at(0);
  if (!ev) {
    mismatches.push(`epoch ${epoch} is final but has no EpochFinalized event`);
    return;
  }
  const nodes = ev.args.nodes.map((n) => getAddress(n));
  const before = await s.read.reputationsOf([nodes], { blockNumber: ev.blockNumber - 1n }).catch((cause: unknown) => {
    throw new ChorusError(
      "AUDIT_UNAVAILABLE",
      `reading reputations at block ${ev.blockNumber - 1n} needs an archive RPC`,
      { block: String(ev.blockNumber - 1n) },
      { cause },
    );
  });
  const expected = finalReputations(new Map(nodes.map((n, i) => [n, Number(before[i])])), net);
  nodes.forEach((n, i) => {
    if (expected.get(n) !== ev.args.reputations[i]) {
      mismatches.push(
        `EpochFinalized gives ${n} reputation ${ev.args.reputations[i]}; the rule gives ${expected.get(n)}`,
      );
    }
  });
}
