/**
 * Optimistic finality of settled epochs. `Settlement.settleEpoch` leaves an epoch's deltas pending; once no round
 * of it can be voided (its omission window and its dispute window, and the deadline of every dispute opened on it,
 * are over) anyone makes it final with `finalizeEpoch`, handing back its delta tables and the deltas of its voided
 * rounds. Everything that call needs is on chain: the epoch's `EpochSettled` event (tables and net deltas), its
 * `RoundVoided` events (in log order) and those rounds' `RoundSettled` events.
 *
 * The pure part (net deltas less voided rounds, final reputations, pending values) is apart from the reads, so the
 * audit, the explorer and the tests apply the contract's rule with the same code.
 */
import {
  getAddress,
  type Address,
  type ContractEventArgs,
  type ContractEventName,
  type Hex,
  type PublicClient,
} from "viem";
import { ChorusError, present } from "../core/index.js";
import { settlementAbi } from "./abi/index.js";
import { chorusContracts, type ChorusChain } from "./contracts.js";
import { applyDelta } from "../core/index.js";
import { decodeRoundDeltas } from "../protocol/index.js";

/** Delta tables (Settlement's `EpochDeltas`): an epoch's net deltas, or one voided round's deltas. */
export interface EpochDeltas {
  nodes: Address[];
  deltas: number[];
  sources: Address[];
  reliability: number[];
  usefulness: number[];
}

export interface EpochStatus {
  epoch: number;
  settled: boolean;
  final: boolean;
  /** Unix seconds from which a pending epoch can be made final (0 once final or unknown). */
  finalAt: number;
  voidedRounds: number;
}

/** What `finalizeEpoch` takes, and what the audit and explorer derive from it. */
export interface FinalizeInput {
  epoch: number;
  deltas: EpochDeltas;
  /** Deltas of the epoch's voided rounds, in void order. */
  voided: EpochDeltas[];
  voidedRoundIds: Hex[];
}

// ---------------------------------------------------------------- pure rules

/** The epoch's net deltas less its voided rounds' (what `finalizeEpoch` applies), by node and by source. */
export function netAfterVoids(input: Pick<FinalizeInput, "deltas" | "voided">): {
  nodes: Map<Address, number>;
  sources: Map<Address, { reliability: number; usefulness: number }>;
} {
  const nodes = new Map<Address, number>(input.deltas.nodes.map((n, i) => [getAddress(n), input.deltas.deltas[i]]));
  const sources = new Map(
    input.deltas.sources.map((s, j) => [
      getAddress(s),
      { reliability: input.deltas.reliability[j], usefulness: input.deltas.usefulness[j] },
    ]),
  );
  for (const v of input.voided) {
    v.nodes.forEach((n, i) => {
      const a = getAddress(n);
      const net = nodes.get(a);
      if (net === undefined)
        throw new ChorusError("CHAIN_INCONSISTENT", `voided round names node ${a}, not in its epoch's table`, {
          node: a,
        });
      nodes.set(a, net - v.deltas[i]);
    });
    v.sources.forEach((s, j) => {
      const a = getAddress(s);
      const net = sources.get(a);
      if (!net)
        throw new ChorusError("CHAIN_INCONSISTENT", `voided round names source ${a}, not in its epoch's table`, {
          source: a,
        });
      sources.set(a, { reliability: net.reliability - v.reliability[j], usefulness: net.usefulness - v.usefulness[j] });
    });
  }
  return { nodes, sources };
}

/** Final reputations after `finalizeEpoch`: each node's reputation before, moved once by its net, clamped. */
export function finalReputations(
  before: ReadonlyMap<Address, number>,
  net: ReadonlyMap<Address, number>,
): Map<Address, number> {
  const out = new Map<Address, number>();
  for (const [node, delta] of net) {
    const b = before.get(node);
    if (b === undefined)
      throw new ChorusError("INVALID_ARGUMENT", `no reputation before finality for ${node}`, { node });
    out.set(node, applyDelta(b, delta));
  }
  return out;
}

/** Net deltas of every pending epoch, summed per node: what a node's reputation will move by (before clamping). */
export function pendingByNode(pending: readonly Pick<FinalizeInput, "deltas" | "voided">[]): Map<Address, number> {
  const out = new Map<Address, number>();
  for (const p of pending) for (const [node, d] of netAfterVoids(p).nodes) out.set(node, (out.get(node) ?? 0) + d);
  return out;
}

// ---------------------------------------------------------------- chain reads

/** Where to read Settlement's events: a deployment's, or a raw one (tests). */
export interface SettlementHandle {
  publicClient: PublicClient;
  address: Address;
  fromBlock: bigint;
}

function handleOf(chain: ChorusChain): SettlementHandle {
  if (!("Settlement" in chain.deployments.contracts))
    throw new ChorusError("CHAIN_UNAVAILABLE", "this deployment has no Settlement contract");
  return {
    publicClient: chain.publicClient,
    address: chorusContracts(chain).settlement.address,
    fromBlock: BigInt(chain.deployments.startBlock),
  };
}

/** Settlement's `eventName` logs matching `args` (every arg decoded), in chain order. */
async function events<E extends ContractEventName<typeof settlementAbi>>(
  h: SettlementHandle,
  eventName: E,
  args: ContractEventArgs<typeof settlementAbi, E>,
  range: { fromBlock?: bigint; toBlock?: bigint } = {},
) {
  const logs = await h.publicClient.getContractEvents({
    address: h.address,
    abi: settlementAbi,
    eventName,
    args,
    fromBlock: range.fromBlock ?? h.fromBlock,
    toBlock: range.toBlock,
    strict: true,
  });
  return inOrder(logs);
}

/** Logs in chain order. */
function inOrder<L extends { blockNumber: bigint; logIndex: number }>(logs: L[]): L[] {
  return logs.sort((a, b) =>
    a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
  );
}

const addrs = (v: readonly Address[]): Address[] => v.map((a) => getAddress(a));

/** The tables and net deltas `EpochSettled` reported for `epoch`, read with a raw Settlement handle (tests). */
export async function finalizeInputAt(h: SettlementHandle, epoch: number): Promise<FinalizeInput> {
  const settled = (await events(h, "EpochSettled", { epoch: BigInt(epoch) })).at(0);
  if (!settled) throw new ChorusError("NOT_FOUND", `epoch ${epoch} has not settled`, { epoch });
  const a = settled.args;
  const deltas: EpochDeltas = {
    nodes: addrs(a.nodes),
    deltas: a.deltas.map(Number),
    sources: addrs(a.sources),
    reliability: a.reliability.map(Number),
    usefulness: a.usefulness.map(Number),
  };
  const voidedRoundIds = (await events(h, "RoundVoided", { epoch: BigInt(epoch) })).map((l) => l.args.roundId);
  const voided: EpochDeltas[] = [];
  for (const roundId of voidedRoundIds) {
    const round = (await events(h, "RoundSettled", { roundId })).at(0);
    if (!round)
      throw new ChorusError("CHAIN_INCONSISTENT", `voided round ${roundId} has no RoundSettled event`, { roundId });
    const d = decodeRoundDeltas(round.args.deltas, deltas);
    voided.push({
      nodes: present(d.nodeAddresses, "node addresses of the decoded deltas"),
      deltas: d.nodes.map((x) => x.delta),
      sources: present(d.sourceAddresses, "source addresses of the decoded deltas"),
      reliability: d.sources.map((x) => x.reliability),
      usefulness: d.sources.map((x) => x.usefulness),
    });
  }
  return { epoch, deltas, voided, voidedRoundIds };
}

/** `finalizeInputAt` on a deployment. */
export function finalizeInput(chain: ChorusChain, epoch: number): Promise<FinalizeInput> {
  return finalizeInputAt(handleOf(chain), epoch);
}

/** The contract's view of `epoch`: settled, final, from when it can be made final, voided rounds. */
export async function epochStatus(chain: ChorusChain, epoch: number): Promise<EpochStatus> {
  const [settled, isFinal, finalAt, voided] = await chorusContracts(chain).settlement.read.epochStatus([BigInt(epoch)]);
  return { epoch, settled, final: isFinal, finalAt: Number(finalAt), voidedRounds: Number(voided) };
}

/** Makes `epoch` final (any account may); reverts (as ChorusError CHAIN_REVERTED) while it is not ready. */
export async function finalizeEpoch(chain: ChorusChain, epoch: number): Promise<Hex> {
  const input = await finalizeInput(chain, epoch);
  const { hash } = await chorusContracts(chain).settlement.write.finalizeEpoch([
    BigInt(epoch),
    input.deltas,
    input.voided,
  ]);
  return hash;
}

/**
 * Makes final every pending epoch in `epochs` whose time has come by the chain's clock; returns those it
 * finalized. Epochs still held (an open dispute, or not yet due) are left for a later call.
 */
export async function finalizeDue(chain: ChorusChain, epochs: readonly number[]): Promise<number[]> {
  const block = await chain.publicClient.getBlock();
  const done: number[] = [];
  for (const epoch of epochs) {
    const s = await epochStatus(chain, epoch);
    if (!s.settled || s.final || s.finalAt > Number(block.timestamp)) continue;
    await finalizeEpoch(chain, epoch);
    done.push(epoch);
  }
  return done;
}

/** Epochs settled and not yet final, from the events (oldest first). */
export async function pendingEpochNumbers(chain: ChorusChain): Promise<number[]> {
  const h = handleOf(chain);
  const final = new Set((await events(h, "EpochFinalized", {})).map((l) => Number(l.args.epoch)));
  return (await events(h, "EpochSettled", {})).map((l) => Number(l.args.epoch)).filter((e) => !final.has(e));
}

/** Every pending epoch's finalize input (the deltas still to take effect). */
export async function pendingInputs(chain: ChorusChain): Promise<FinalizeInput[]> {
  const out: FinalizeInput[] = [];
  for (const e of await pendingEpochNumbers(chain)) out.push(await finalizeInput(chain, e));
  return out;
}

/**
 * The finality port of a node (src/settlement/finalizer.ts): the epochs `settler` settled, followed from their
 * `EpochSettled` events (read incrementally from the last block seen), made final once due.
 */
export function chainFinality(
  chain: ChorusChain,
  settler: Address,
): { finalizeDue(signal?: AbortSignal): Promise<number[]> } {
  const pending = new Set<number>();
  let cursor = BigInt(chain.deployments.startBlock) - 1n;
  return {
    async finalizeDue(signal?: AbortSignal) {
      const h = handleOf(chain);
      // cacheTime 0: viem caches the block number for seconds, and a due epoch must not wait for a stale one
      const latest = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
      if (latest > cursor) {
        const logs = await events(h, "EpochSettled", { settler }, { fromBlock: cursor + 1n, toBlock: latest });
        for (const l of logs) pending.add(Number(l.args.epoch));
        cursor = latest;
      }
      const block = await chain.publicClient.getBlock({ blockNumber: latest });
      const done: number[] = [];
      for (const epoch of [...pending].sort((a, b) => a - b)) {
        if (signal?.aborted) break;
        const s = await epochStatus(chain, epoch);
        if (s.final || !s.settled) {
          pending.delete(epoch);
          continue;
        }
        if (s.finalAt > Number(block.timestamp)) continue;
        await finalizeEpoch(chain, epoch);
        pending.delete(epoch);
        done.push(epoch);
      }
      return done;
    },
  };
}
