/**
 * Pending versus final, from the explorer's event log alone (issue 13, optimistic finality): an epoch is pending
 * from its `EpochSettled` until its `EpochFinalized`; a pending epoch's net deltas, less those of its rounds voided
 * meanwhile (`RoundVoided`), are what each node's and source's score will move by. The rule is
 * src/chain/finality.ts's, applied to events already in memory (no extra chain reads).
 */
import { getAddress, type Address, type Hex } from "viem";
import { netAfterVoids, type EpochDeltas, type FinalizeInput } from "../chain/finality.js";
import { present } from "../core/index.js";
import { decodeRoundDeltas } from "../protocol/index.js";
import type { ChainEvent } from "./events.js";

export interface EpochFinalityView {
  epoch: number;
  status: "pending" | "final";
  voidedRounds: number;
  /** Block time of the EpochFinalized event, when final. */
  finalizedAt?: number;
}

export interface FinalityView {
  epochs: Map<number, EpochFinalityView>;
  /** Sum of each node's pending net deltas (before clamping), over pending epochs. */
  pendingByNode: Map<Address, number>;
  /** Same for sources: reliability and usefulness. */
  pendingBySource: Map<Address, { reliability: number; usefulness: number }>;
  /** Rounds voided after they settled, by lower-case round id. */
  voided: Set<string>;
}

const nums = (v: unknown): number[] => (v as readonly (number | bigint)[]).map(Number);
const addrs = (v: unknown): Address[] => (v as readonly Address[]).map((a) => getAddress(a));

export function finalityView(events: readonly ChainEvent[]): FinalityView {
  const settlement = events.filter((e) => e.contract === "Settlement");
  const inputs = new Map<number, FinalizeInput>();
  const epochOfTx = new Map<string, number>();
  for (const e of settlement) {
    if (e.eventName !== "EpochSettled") continue;
    const epoch = Number(e.args.epoch);
    const deltas: EpochDeltas = {
      nodes: addrs(e.args.nodes),
      deltas: nums(e.args.deltas),
      sources: addrs(e.args.sources),
      reliability: nums(e.args.reliability),
      usefulness: nums(e.args.usefulness),
    };
    inputs.set(epoch, { epoch, deltas, voided: [], voidedRoundIds: [] });
    epochOfTx.set(e.txHash, epoch);
  }
  const roundDeltas = new Map<string, { epoch: number; deltas: Hex }>();
  for (const e of settlement) {
    if (e.eventName !== "RoundSettled") continue;
    const epoch = epochOfTx.get(e.txHash);
    if (epoch !== undefined)
      roundDeltas.set((e.args.roundId as string).toLowerCase(), { epoch, deltas: e.args.deltas as Hex });
  }
  const voided = new Set<string>();
  for (const e of settlement) {
    if (e.eventName !== "RoundVoided") continue;
    const id = (e.args.roundId as string).toLowerCase();
    voided.add(id);
    const input = inputs.get(Number(e.args.epoch));
    const round = roundDeltas.get(id);
    if (!input || !round) continue;
    const d = decodeRoundDeltas(round.deltas, input.deltas);
    input.voided.push({
      nodes: present(d.nodeAddresses, "the addresses of a decoded round (its epoch tables were given)"),
      deltas: d.nodes.map((x) => x.delta),
      sources: present(d.sourceAddresses, "the addresses of a decoded round (its epoch tables were given)"),
      reliability: d.sources.map((x) => x.reliability),
      usefulness: d.sources.map((x) => x.usefulness),
    });
    input.voidedRoundIds.push(id as Hex);
  }
  const finalizedAt = new Map<number, number>();
  for (const e of settlement) if (e.eventName === "EpochFinalized") finalizedAt.set(Number(e.args.epoch), e.timestamp);

  const epochs = new Map<number, EpochFinalityView>();
  const pendingByNode = new Map<Address, number>();
  const pendingBySource = new Map<Address, { reliability: number; usefulness: number }>();
  for (const [epoch, input] of inputs) {
    const at = finalizedAt.get(epoch);
    epochs.set(epoch, {
      epoch,
      status: at === undefined ? "pending" : "final",
      voidedRounds: input.voided.length,
      ...(at === undefined ? {} : { finalizedAt: at }),
    });
    if (at !== undefined) continue;
    const net = netAfterVoids(input);
    for (const [n, d] of net.nodes) pendingByNode.set(n, (pendingByNode.get(n) ?? 0) + d);
    for (const [s, d] of net.sources) {
      const p = pendingBySource.get(s) ?? { reliability: 0, usefulness: 0 };
      pendingBySource.set(s, { reliability: p.reliability + d.reliability, usefulness: p.usefulness + d.usefulness });
    }
  }
  return { epochs, pendingByNode, pendingBySource, voided };
}
