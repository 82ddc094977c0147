import { parseEventLogs, type Abi, type Hex } from "viem";

import { ChorusError } from "../errors.js";
import { auditRound, type AuditDeps, type AuditReport } from "./round.js";

export interface EpochAuditReport {
  ok: boolean;
  epoch: number;
  rounds: AuditReport[];
}

/** Audits every round that settled in `epoch`. */
export async function auditEpoch(deps: AuditDeps, epoch: number): Promise<EpochAuditReport> {
  const s = deps.chain.deployments.contracts.Settlement;
  if (!s) throw new ChorusError("AUDIT_UNAVAILABLE", "this deployment has no Settlement contract");
  const [settledEpoch] = (await deps.chain.publicClient.getContractEvents({
    address: s.address,
    abi: s.abi as Abi,
    eventName: "EpochSettled",
    args: { epoch: BigInt(epoch) },
    fromBlock: BigInt(deps.chain.deployments.startBlock),
  })) as unknown as { transactionHash: Hex }[];
  const receipt = settledEpoch ? await deps.chain.publicClient.getTransactionReceipt({ hash: settledEpoch.transactionHash }) : undefined;
  const logs = receipt
    ? (parseEventLogs({ abi: s.abi as Abi, logs: receipt.logs, eventName: "RoundSettled" }) as unknown as { args: { roundId: Hex } }[])
    : [];
  if (logs.length === 0) throw new ChorusError("NOT_FOUND", `epoch ${epoch} has no settled rounds on chain ${deps.chain.chainId}`);
  const rounds = [];
  for (const l of logs) rounds.push(await auditRound(deps, l.args.roundId));
  return { ok: rounds.every((r) => r.ok), epoch, rounds };
}

