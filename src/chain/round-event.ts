/**
 * A `RoundSettled` event made readable. Its packed deltas index into the epoch's tables, which the
 * `EpochSettled` event of the same transaction lists (nodes and sources).
 */
import { parseEventLogs, type Address, type Hex } from "viem";
import { settlementAbi } from "./abi/index.js";
import type { ChorusChain } from "./contracts.js";
import { present } from "../core/index.js";
import { decodeRoundDeltas } from "../protocol/index.js";

export interface SettledRoundDeltas {
  winner: Address;
  nodes: { node: Address; delta: number }[];
  sources: { source: Address; reliability: number; usefulness: number }[];
}

export interface EpochTables {
  epoch: number;
  nodes: Address[];
  sources: Address[];
}

export function settledRoundDeltas(
  deltas: Hex,
  tables: { nodes: readonly Address[]; sources?: readonly Address[] },
): SettledRoundDeltas {
  const d = decodeRoundDeltas(deltas, tables);
  const nodeAddresses = present(d.nodeAddresses, "node addresses of the decoded deltas");
  const sourceAddresses = present(d.sourceAddresses, "source addresses of the decoded deltas");
  const nodes = d.nodes.map((x, i) => ({ node: nodeAddresses[i], delta: x.delta }));
  return {
    winner: nodes[d.winner].node,
    nodes,
    sources: d.sources.map((x, i) => ({
      source: sourceAddresses[i],
      reliability: x.reliability,
      usefulness: x.usefulness,
    })),
  };
}

/** The epoch number and tables of the settlement transaction `txHash`. */
export async function epochTablesOfTx(chain: ChorusChain, txHash: Hex): Promise<EpochTables> {
  const receipt = await chain.publicClient.getTransactionReceipt({ hash: txHash });
  const epoch = parseEventLogs({ abi: settlementAbi, logs: receipt.logs, eventName: "EpochSettled" }).at(0);
  return {
    epoch: Number(epoch?.args.epoch ?? 0),
    nodes: [...(epoch?.args.nodes ?? [])],
    sources: [...(epoch?.args.sources ?? [])],
  };
}
