/**
 * The whole Chorus deployment for contract tests and gas benches, built on deployChorus() (the real deploy
 * scripts): typed handles for CapabilityRegistry, SourceRegistry, Settlement and Disputes; any number of
 * funded local-key actors (nodes and sources); a swarm fixture with staked, capable nodes and registered
 * sources; and helpers to build, sign and settle round records with src/core/eip712.ts and src/protocol/epoch.ts.
 */
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import {
  createWalletClient,
  custom,
  keccak256,
  parseEther,
  publicActions,
  toHex,
  type Address,
  type Hex,
  type PrivateKeyAccount,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { deployChorus, type Wallet } from "./fixtures.js";
import type { DeployParams } from "../../deploy/index.js";
import { encodeEpoch } from "../../src/protocol/index.js";
import {
  makeRoundId,
  settlementDomain,
  signRecord,
  signServiceStatement,
  sortRecord,
  type RoundRecord,
  type SettlementDomain,
  type SignedRecord,
  type SourceDelta,
} from "../../src/core/index.js";
import { drawCommittee, roundSeed, type Candidate, type Committee } from "../../src/protocol/index.js";
import { choicesCommitment, keyCommitment, minPassThreshold } from "../../src/chain/capability.js";
import { finalizeInputAt, type FinalizeInput } from "../../src/chain/finality.js";

export const ZERO = "0x0000000000000000000000000000000000000000" as Address;
export const cid = (label: string): Hex => keccak256(toHex(label));

/** A funded account with a local key: signs typed data offline and sends its own transactions. */
export interface Actor {
  account: PrivateKeyAccount;
  address: Address;
  wallet: Wallet;
}

/** Actor number `i` (a deterministic key, funded with 1000 ETH for gas). */
export async function actor(i: number, label = "node"): Promise<Actor> {
  const account = privateKeyToAccount(keccak256(toHex(`chorus-test-${label}-${i}`)));
  await hre.network.provider.send("hardhat_setBalance", [account.address, toHex(parseEther("1000"))]);
  // no retries: in process nothing is transient, and viem would retry every reverting call with backoff (~1 s each)
  const wallet = createWalletClient({
    account,
    chain: hardhat,
    transport: custom(hre.network.provider, { retryCount: 0 }),
  });
  return { account, address: account.address, wallet: wallet as unknown as Wallet };
}

export async function deployFull(params: Partial<DeployParams> = {}) {
  // contract tests list records of any size: the minimum committee is tested on its own
  const f = await deployChorus({ minCommittee: 1, ...params });
  const at = (name: string) => f.deployments.contracts[name].address;
  const handles = async (wallet?: Wallet) => {
    const client = wallet ? { client: { wallet, public: wallet.extend(publicActions) as never } } : undefined;
    return {
      token: await hre.viem.getContractAt("ChorusToken", at("ChorusToken"), client),
      registry: await hre.viem.getContractAt("NodeRegistry", at("NodeRegistry"), client),
      capability: await hre.viem.getContractAt("CapabilityRegistry", at("CapabilityRegistry"), client),
      sources: await hre.viem.getContractAt("SourceRegistry", at("SourceRegistry"), client),
      settlement: await hre.viem.getContractAt("Settlement", at("Settlement"), client),
      disputes: await hre.viem.getContractAt("Disputes", at("Disputes"), client),
      omissions: await hre.viem.getContractAt("Omissions", at("Omissions"), client),
      timelock: await hre.viem.getContractAt("ChorusTimelock", at("ChorusTimelock"), client),
    };
  };
  const h = await handles();
  const domain = settlementDomain(await f.publicClient.getChainId(), h.settlement.address);
  return { ...f, ...h, domain, as: handles };
}

export type Full = Awaited<ReturnType<typeof deployFull>>;

/** Gives `a` tokens and stakes `amount` for it. */
export async function stakeActor(f: Full, a: Actor, amount: bigint): Promise<void> {
  await f.token.write.transfer([a.address, amount]);
  const c = await f.as(a.wallet);
  await c.token.write.approve([f.registry.address, amount]);
  await c.registry.write.stake([amount, `http://127.0.0.1/${a.address}`, cid("meta")]);
}

export interface SuiteSetup {
  itemCount?: number;
  passThreshold?: number;
  key?: bigint;
  keySalt?: Hex;
  commitFor?: number;
  keyRevealFor?: number;
  revealFor?: number;
  validity?: number;
}

/** A fixed pseudo-random key over `itemCount` items. */
export const suiteKey = (itemCount: number, label = "suite key"): bigint =>
  BigInt(keccak256(toHex(label))) & ((1n << BigInt(itemCount)) - 1n);

/**
 * Publishes a suite as the curator (the deployer); returns its id, key and timestamps. Defaults: 256 items, pass
 * at 85% or the contract's guessing bound when higher (201 of 256, 116 of 128, 84 of 84).
 */
export async function publishSuite(f: Full, s: SuiteSetup = {}) {
  const itemCount = s.itemCount ?? 256;
  const key = s.key ?? suiteKey(itemCount);
  const keySalt = s.keySalt ?? cid("key salt");
  const now = BigInt(await time.latest());
  const commitEnd = now + BigInt(s.commitFor ?? 1000);
  const keyRevealEnd = commitEnd + BigInt(s.keyRevealFor ?? 1000);
  const revealEnd = keyRevealEnd + BigInt(s.revealFor ?? 1000);
  const params = {
    itemsCid: cid("items"),
    keyCommitment: keyCommitment(key, keySalt),
    itemCount,
    passThreshold:
      s.passThreshold ?? Math.max(Math.ceil(itemCount * 0.85), Math.min(itemCount, minPassThreshold(itemCount))),
    commitEnd,
    keyRevealEnd,
    revealEnd,
    validity: BigInt(s.validity ?? 30 * 24 * 3600),
  };
  await f.capability.write.publishSuite([params]);
  const suiteId = await f.capability.read.suiteCount();
  return { suiteId, key, keySalt, itemCount, commitEnd, keyRevealEnd, revealEnd, params };
}

/** Gives `a` tokens and posts them as its calibration bond (default: one attempt's bond). */
export async function postAttemptBond(f: Full, a: Actor, amount?: bigint): Promise<bigint> {
  const bond = amount ?? (await f.capability.read.bondTerms())[0];
  await f.token.write.transfer([a.address, bond]);
  const c = await f.as(a.wallet);
  await c.token.write.approve([f.capability.address, bond]);
  await c.capability.write.postBond([bond]);
  return bond;
}

/** Runs a whole suite in which every actor (bonded here) answers the key exactly: they all pass. */
export async function makeCapable(f: Full, actors: readonly Actor[], s: SuiteSetup = {}) {
  const suite = await publishSuite(f, s);
  const salt = cid("choices salt");
  for (const a of actors) {
    await postAttemptBond(f, a);
    await (
      await f.as(a.wallet)
    ).capability.write.commit([suite.suiteId, choicesCommitment(suite.key, salt, a.address)]);
  }
  await time.increaseTo(suite.commitEnd);
  await f.capability.write.revealKey([suite.suiteId, suite.key, suite.keySalt]);
  for (const a of actors) await (await f.as(a.wallet)).capability.write.reveal([suite.suiteId, suite.key, salt]);
  return suite;
}

/** Registers actors as sources, each given and approving the registration bond first. */
export async function registerSources(f: Full, actors: readonly Actor[]): Promise<void> {
  const bond = await f.sources.read.minBond();
  for (const a of actors) {
    await f.token.write.transfer([a.address, bond]);
    const c = await f.as(a.wallet);
    await c.token.write.approve([f.sources.address, bond]);
    await c.sources.write.register([`http://127.0.0.1/src/${a.address}`, cid("manifest")]);
  }
}

export const DEFAULT_STAKE = parseEther("500");

/** A deployment with `nodes` staked, capable nodes and `sources` registered sources. */
export async function deploySwarm(
  opts: { nodes?: number; sources?: number; stakes?: bigint[]; params?: Partial<DeployParams> } = {},
) {
  const f = await deployFull(opts.params);
  const nodes: Actor[] = [];
  for (let i = 0; i < (opts.nodes ?? 7); i++) nodes.push(await actor(i));
  const sources: Actor[] = [];
  for (let i = 0; i < (opts.sources ?? 0); i++) sources.push(await actor(i, "source"));
  for (const [i, n] of nodes.entries()) await stakeActor(f, n, opts.stakes?.[i] ?? DEFAULT_STAKE);
  const suite = await makeCapable(f, nodes);
  await registerSources(f, sources);
  // committees weigh stake as it was when a weight period began: start a period after the stakes
  await nextPeriod(f);
  return { ...f, nodes, sourceActors: sources, suite };
}

/** Moves the chain's clock to the start of the next weight period. */
export async function nextPeriod(f: Full): Promise<number> {
  const length = await f.settlement.read.periodLength();
  const next = (BigInt(await time.latest()) / length + 1n) * length;
  await time.increaseTo(next);
  return Number(next / length);
}

/** A coordinator's open batch, as the contract fixed it. */
export interface Batch {
  coordinator: Actor;
  firstSeq: bigint;
  lastSeq: bigint;
  seedBlock: bigint;
  seed: Hex;
  period: number;
  next: bigint;
}

/**
 * `coordinator` reserves `count` sequences; two blocks are mined so the seed block exists and calls (which run at
 * the latest block's number) see it in the past; the seed is read.
 */
export async function openBatch(f: Full, coordinator: Actor, count = 64): Promise<Batch> {
  await (await f.as(coordinator.wallet)).settlement.write.openBatch([BigInt(count)]);
  await hre.network.provider.send("hardhat_mine", ["0x2"]);
  const [lastSeq, batchEnd, seedBlock, period] = await f.settlement.read.batchOf([coordinator.address]);
  const block = await f.publicClient.getBlock({ blockNumber: seedBlock });
  return {
    coordinator,
    firstSeq: lastSeq + 1n,
    lastSeq: batchEnd,
    seedBlock,
    seed: block.hash,
    period,
    next: lastSeq + 1n,
  };
}

/** The candidates of weight period `period` as the contract weighs them (every registered node). */
export async function weightsAt(
  f: Full,
  period: number,
): Promise<{ candidates: Candidate[]; total: bigint; tau: number }> {
  const nodes = await f.registry.read.registeredNodes([0n, 1000n]);
  const start = BigInt(period) * (await f.settlement.read.periodLength());
  const [stakes, total, minimum] = await f.registry.read.stakesAt([nodes, start - 1n]);
  const candidates = await Promise.all(
    nodes.map(async (address, i) => {
      const [rep] = await f.settlement.read.reputationAt([address, period]);
      const pass = await f.capability.read.passOf([address]);
      const eligible = stakes[i] >= minimum && pass.validUntil > start;
      return { address, stake: eligible ? stakes[i] : 0n, reputation: Number(rep) };
    }),
  );
  return { candidates, total, tau: Number(await f.settlement.read.committeeSeats()) };
}

/** The committee of the batch's next round, and its round id and seed. */
export async function nextCommittee(f: Full, batch: Batch): Promise<{ roundId: Hex; seed: Hex; committee: Committee }> {
  const roundId = makeRoundId(batch.coordinator.address, batch.next);
  const seed = roundSeed(batch.seed, roundId);
  const w = await weightsAt(f, batch.period);
  return { roundId, seed, committee: drawCommittee(seed, w.candidates, w.tau, w.total) };
}

/**
 * The record of the batch's next round with its drawn committee as participants (or `participants` given
 * instead), seed and period filled in; advances the batch.
 */
export async function drawnRecord(
  f: Full,
  batch: Batch,
  opts: { participants?: readonly Address[]; deltas?: number[]; sources?: SourceDelta[]; label?: string } = {},
): Promise<RoundRecord> {
  const { seed, committee } = await nextCommittee(f, batch);
  const participants = opts.participants ?? committee.members;
  const record = makeRecord({
    ...opts,
    coordinator: batch.coordinator.address,
    seq: batch.next,
    participants,
    seed,
    period: batch.period,
  });
  batch.next += 1n;
  return record;
}

export type Swarm = Awaited<ReturnType<typeof deploySwarm>>;

/**
 * A record of round (coordinator, seq) with these participants (sorted, with their deltas, as the contract
 * requires); deltas default to a fixed pattern, the first participant given wins.
 */
export function makeRecord(opts: {
  coordinator: Address;
  seq: bigint;
  participants: readonly Address[];
  deltas?: number[];
  winner?: Address;
  sources?: SourceDelta[];
  label?: string;
  seed?: Hex;
  period?: number;
}): RoundRecord {
  const label = opts.label ?? `${opts.coordinator}-${opts.seq}`;
  return sortRecord({
    roundId: makeRoundId(opts.coordinator, opts.seq),
    seed: opts.seed ?? cid(`seed ${label}`),
    period: opts.period ?? 1,
    queryCid: cid(`query ${label}`),
    transcriptCid: cid(`transcript ${label}`),
    winner: opts.winner ?? opts.participants[0],
    participants: [...opts.participants],
    deltas: opts.deltas ?? opts.participants.map((_, i) => (i === 0 ? 30_000 : ((i * 7919) % 20_001) - 10_000)),
    sources: opts.sources ?? [],
  });
}

/** Signs `record` with each of `signers` and each source in it (found among `sourceActors`). */
export async function signAll(
  domain: SettlementDomain,
  record: RoundRecord,
  signers: readonly Actor[],
  sourceActors: readonly Actor[] = [],
): Promise<SignedRecord> {
  const signatures: Record<string, Hex> = {};
  for (const s of signers) signatures[s.address] = await signRecord(s.account, domain, record);
  const sourceSignatures: Record<string, Hex> = {};
  for (const d of record.sources) {
    const a = sourceActors.find((x) => x.address.toLowerCase() === d.source.toLowerCase());
    if (a)
      sourceSignatures[a.address] = await signServiceStatement(a.account, domain, {
        roundId: record.roundId,
        servedCid: d.servedCid,
      });
  }
  return { record, signatures, sourceSignatures };
}

/** Settles `signed` in one epoch from `sender`; returns the transaction hash. */
export async function settle(f: Full, sender: Wallet, signed: readonly SignedRecord[], opts: { period?: number } = {}) {
  const e = encodeEpoch(signed);
  const c = await f.as(sender);
  return c.settlement.write.settleEpoch([opts.period ?? signed[0].record.period, e.nodes, e.sources, e.records]);
}

/** The same as `settle` through simulate (for revert checks). */
export async function simulateSettle(
  f: Full,
  sender: Wallet,
  signed: readonly SignedRecord[],
  opts: { period?: number } = {},
) {
  const e = encodeEpoch(signed);
  const c = await f.as(sender);
  return c.settlement.simulate.settleEpoch([opts.period ?? signed[0].record.period, e.nodes, e.sources, e.records]);
}

/** What `finalizeEpoch` takes for `epoch`, read from the events as any finalizer would. */
export async function finalizeInputOf(f: Full, epoch: number): Promise<FinalizeInput> {
  const c = f.deployments.contracts.Settlement;
  return finalizeInputAt(
    { publicClient: f.publicClient, address: c.address, fromBlock: BigInt(f.deployments.startBlock) },
    epoch,
  );
}

/**
 * Moves the clock to when every pending epoch (or those in `epochs`) can be final, and makes them final, oldest
 * first, from `sender` (any account may). Returns the epochs it finalized.
 */
export async function finalizeEpochs(f: Full, opts: { epochs?: number[]; sender?: Wallet } = {}): Promise<number[]> {
  const count = Number(await f.settlement.read.epochCount());
  const epochs = opts.epochs ?? Array.from({ length: count }, (_, i) => i + 1);
  const due: number[] = [];
  let at = 0n;
  for (const e of epochs) {
    const [settled, isFinal, finalAt] = await f.settlement.read.epochStatus([BigInt(e)]);
    if (!settled || isFinal) continue;
    due.push(e);
    if (finalAt > at) at = finalAt;
  }
  if (due.length === 0) return [];
  if (at > BigInt(await time.latest())) await time.increaseTo(at);
  const c = opts.sender ? await f.as(opts.sender) : f;
  for (const e of due) {
    const input = await finalizeInputOf(f, e);
    await c.settlement.write.finalizeEpoch([BigInt(e), input.deltas, input.voided]);
  }
  return due;
}

/** Settles `signed` in one epoch and makes it final at once (clock moved forward): deltas take effect. */
export async function settleFinal(
  f: Full,
  sender: Wallet,
  signed: readonly SignedRecord[],
  opts: { period?: number } = {},
) {
  const hash = await settle(f, sender, signed, opts);
  await finalizeEpochs(f);
  return hash;
}
