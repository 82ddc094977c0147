/**
 * `chorus audit round <id>`: re-derives a settled round from public data only (chain + IPFS) and compares it
 * with what the contracts recorded. Checks, in order: the transcript is the one the chain names; the batch that
 * reserved the round (BatchOpened), its seed block and the round seed; the candidate snapshot against the
 * period's weights on chain; the sortition draw (members and seats) and that the settled record lists exactly
 * the drawn committee; every signed message and every reveal against its commitment; the Bradley–Terry result
 * and reputation deltas recomputed with the consensus rules; the record signatures in the settlement
 * transaction and their quorum of the committee's seats. In a
 * RAG round also: each member's source list against SourceRegistry at the seed block, its seeded draw, every
 * served document's binding and source signature, its rerank, the sources' deltas against the chain, and
 * the source signatures the settlement carried.
 */
import { isAddressEqual, type Hex } from "viem";
import { MAX_LISTED_SOURCES } from "../protocol/index.js";
import { chorusContracts, pagedContractEvents, type ChorusChain } from "../chain/index.js";
import { readPeriodWeights } from "../chain/directory.js";
import { hasQuorum } from "../protocol/index.js";
import { recordDigest, roundIdParts, serviceDigest, settlementDomain } from "../core/index.js";
import { ChorusError, compareAddress } from "../core/index.js";
import { bytes32ToCid, cidToBytes32 } from "../ipfs/index.js";
import { recordOf } from "../protocol/index.js";
import { sourcesAt } from "../chain/sources-at.js";
import type { RagEvidence } from "../protocol/index.js";
import { canonicalHash } from "../core/index.js";
import { drawFromWeights, sameMembers, seatsIn } from "../round/draw.js";
import { recoverDigestSigner } from "../core/index.js";
import { computeResult, goldSnapshot, type ConsensusRules, type Transcript } from "../protocol/index.js";
import { GoldStandingsScanner } from "./gold-standings.js";
import { decodeEpochCalldata } from "./epoch-calldata.js";
import { deployedSettlement, fetchWithFallback, settledMembers, type Fallbacks } from "./availability.js";
import { epochTablesOfTx, settledRoundDeltas } from "../chain/round-event.js";

export interface AuditCheck {
  what: string;
  ok: boolean;
  detail?: string;
}

export interface AuditReport {
  ok: boolean;
  roundId: Hex;
  transcriptCid?: string;
  epoch?: number;
  checks: AuditCheck[];
  mismatches: AuditCheck[];
}

export interface AuditDeps {
  chain: ChorusChain;
  rules: ConsensusRules;
  /** Fetches and verifies a dag-json document by CID (IPFS). */
  getJson: (cid: string) => Promise<unknown>;
  cidOf: (value: unknown) => Promise<string>;
  /** Where else to read the transcript when `getJson` fails: public gateways, then every member's gateway. */
  fallbacks?: Fallbacks;
  /**
   * Gold standings from public data (issue 20). Default: a GoldStandingsScanner over `chain`, `getJson` and
   * `rules` when the deployment has a GoldRegistry; none without one.
   */
  gold?: { standingsAt(block: bigint): Promise<Record<string, number>> };
}

export async function auditRound(deps: AuditDeps, roundId: Hex): Promise<AuditReport> {
  const { chain } = deps;
  if (!deployedSettlement(chain))
    throw new ChorusError("AUDIT_UNAVAILABLE", "this deployment has no Settlement contract");
  const settlement = chorusContracts(chain).settlement;
  // paged by chain.logRange, newest first: a round is looked up without one query over the whole chain
  const logs = await pagedContractEvents(chain, {
    address: settlement.address,
    abi: settlement.abi,
    eventName: "RoundSettled",
    args: { roundId },
    fromBlock: BigInt(chain.deployments.startBlock),
    newestFirst: true,
  });
  if (logs.length === 0)
    throw new ChorusError("NOT_FOUND", `round ${roundId} has not settled on chain ${chain.chainId}`, { roundId });
  // paged reads decode against the ABI without viem's per-event typing
  const log = logs[0] as unknown as {
    args: { transcriptCid: Hex; deltas: Hex } & Record<string, unknown>;
    transactionHash: Hex;
    blockNumber: bigint;
  };
  const ev = log.args;
  const checks: AuditCheck[] = [];
  const check = (what: string, ok: boolean, detail?: string) => checks.push({ what, ok, ...(ok ? {} : { detail }) });

  const transcriptCid = bytes32ToCid(ev.transcriptCid).toString();
  const fetched = await fetchWithFallback(transcriptCid, deps.getJson, {
    fallbacks: deps.fallbacks,
    members: () => settledMembers(chain, roundId, log.transactionHash),
    chain,
  });
  const t = fetched as Transcript;
  // the document is whatever the gateway served: its top-level fields are read as unknown before they are trusted
  const claimed = fetched as { roundId?: unknown; query?: { rag?: unknown } } | null;
  const actualCid = await deps.cidOf(t);
  check(
    "transcript content hashes to the CID RoundSettled names",
    actualCid === transcriptCid,
    `content hashes to ${actualCid}`,
  );
  check(
    "transcript is for this round",
    typeof claimed?.roundId === "string" && claimed.roundId.toLowerCase() === roundId.toLowerCase(),
    `transcript says round ${t.roundId}`,
  );
  const tables = await epochTablesOfTx(chain, log.transactionHash);
  const settled = settledRoundDeltas(ev.deltas, tables);

  // Committee: the batch that reserved this sequence, its seed block, the round seed, the period's weights as the
  // chain had them (read at the settlement block), the sortition draw, and the record listing exactly the drawn.
  const seedNumber = BigInt(t.committee.seedBlock.number);
  const batch = await batchOfRound(chain, roundId, log.blockNumber);
  check(
    "the coordinator reserved this round's sequence in a batch seeded by this block, in this period",
    !!batch && batch.seedBlock === seedNumber && batch.period === t.committee.period,
    batch
      ? `BatchOpened says seed block ${batch.seedBlock}, period ${batch.period}`
      : "no BatchOpened covers this sequence",
  );
  const block = await chain.publicClient.getBlock({ blockNumber: seedNumber });
  check(
    "seed block hash is the chain's",
    block.hash === t.committee.seedBlock.hash,
    `chain has ${block.hash} at ${seedNumber}`,
  );
  const weights = await readPeriodWeights(chain, t.committee.period, { blockNumber: log.blockNumber });
  const drawn = drawFromWeights(roundId, block.hash, weights);
  check(
    "committee seed derives from the batch seed and the round id",
    drawn.seed === t.committee.seed,
    `expected ${drawn.seed}`,
  );
  const listed = new Map(t.committee.candidates.map((c) => [c.address.toLowerCase(), c]));
  const snapshotOk =
    weights.candidates.length === t.committee.candidates.length &&
    BigInt(t.committee.totalStake) === weights.totalStake &&
    t.committee.size === weights.tau &&
    weights.candidates.every((c) => {
      const l = listed.get(c.address.toLowerCase());
      return l && BigInt(l.stake) === c.stake && l.reputation === c.reputation;
    });
  check(
    "candidates (stake, reputation, capability when the period began) and tau match the chain",
    snapshotOk,
    `chain has ${weights.candidates.length} candidates, total stake ${weights.totalStake}, tau ${weights.tau}`,
  );
  check(
    "committee and seats are the verifiable draw",
    sameMembers(drawn.members, t.committee.members) &&
      drawn.members.every((m) => seatsIn(t.committee, m) === drawn.seats.get(m.toLowerCase())),
    `expected ${drawn.members.map((m) => `${m}x${drawn.seats.get(m.toLowerCase())}`).join(",")}`,
  );
  check(
    "the settled record lists exactly the drawn committee",
    sameMembers(
      settled.nodes.map((d) => d.node),
      drawn.members,
    ),
    `chain lists ${settled.nodes.map((d) => d.node).join(",")}`,
  );

  // Gold standings (issue 20): what the deltas used must be the public standings as of the seed block.
  const scanner = deps.gold ?? (GoldStandingsScanner.available(chain) ? new GoldStandingsScanner(deps) : undefined);
  const expectedGold = scanner
    ? goldSnapshot(t.committee.members, await scanner.standingsAt(seedNumber), seedNumber)
    : undefined;
  check(
    "gold standings are the public ones as of the seed block",
    canonicalHash(expectedGold ?? null) === canonicalHash(t.gold ?? null),
    `expected ${JSON.stringify(expectedGold ?? null)}, transcript has ${JSON.stringify(t.gold ?? null)}`,
  );

  // Messages and the consensus result.
  const serviceDomain = settlementDomain(chain.chainId, settlement.address);
  let recomputed: Transcript["result"] | undefined;
  try {
    recomputed = computeResult(t, deps.rules, { serviceDomain });
    check("every signed message verifies; every reveal matches its commitment", true);
  } catch (err) {
    check("every signed message verifies; every reveal matches its commitment", false, (err as Error).message);
  }
  if (recomputed) {
    check(
      "Bradley–Terry result recomputes to the transcript's",
      canonicalHash(recomputed) === canonicalHash(t.result),
      `recomputed winner ${recomputed.winner}`,
    );
    check(
      "winner matches the chain",
      isAddressEqual(recomputed.winner, settled.winner),
      `chain says ${settled.winner}`,
    );
    const onChain = settled.nodes.map((d) => ({ node: d.node.toLowerCase(), delta: d.delta }));
    // In the record's order (ascending address), with the recomputed deltas.
    const expected = [...t.committee.members]
      .sort(compareAddress)
      .map((m) => ({ node: m.toLowerCase(), delta: recomputed.deltas[m] ?? 0 }));
    check(
      "reputation deltas on chain are the recomputed ones",
      onChain.length === expected.length &&
        onChain.every((d, i) => d.node === expected[i].node && d.delta === expected[i].delta),
      `chain ${JSON.stringify(onChain)} vs ${JSON.stringify(expected)}`,
    );
    const sourcesOnChain = settled.sources.map((d) => ({
      source: d.source.toLowerCase(),
      reliability: d.reliability,
      usefulness: d.usefulness,
    }));
    const sourcesExpected = (recomputed.sources ?? []).map((d) => ({
      source: d.source.toLowerCase(),
      reliability: d.reliability,
      usefulness: d.usefulness,
    }));
    check(
      "source deltas on chain are the recomputed ones",
      JSON.stringify(sourcesOnChain) === JSON.stringify(sourcesExpected),
      `chain ${JSON.stringify(sourcesOnChain)} vs ${JSON.stringify(sourcesExpected)}`,
    );
  }
  if (claimed?.query?.rag) {
    // the round read at most MAX_LISTED_SOURCES, chosen from the round seed: re-derive the same sample
    const listedOnChain = await sourcesAt(chain, seedNumber, {
      seed: t.committee.seed,
      maxListed: MAX_LISTED_SOURCES,
    });
    const key = (xs: readonly { address: string; endpoint: string; reliability: number; usefulness: number }[]) =>
      JSON.stringify(xs.map((x) => [x.address.toLowerCase(), x.endpoint, x.reliability, x.usefulness]));
    const wrong = t.reveals
      .filter((r) => (r.body as { rag?: RagEvidence }).rag?.retrieval === "sources")
      .filter(
        (r) =>
          key((r.body as { rag: Extract<RagEvidence, { retrieval: "sources" }> }).rag.listed) !== key(listedOnChain),
      )
      .map((r) => r.from);
    check(
      "every member's data sources are SourceRegistry's at the seed block",
      wrong.length === 0,
      `members ${wrong.join(", ")} listed other sources`,
    );
  }

  // Record signatures from the settlement transaction.
  const tx = await chain.publicClient.getTransaction({ hash: log.transactionHash });
  const decoded = decodeEpochCalldata(tx.input).find((d) => d.record.roundId.toLowerCase() === roundId.toLowerCase());
  if (!decoded) check("settlement transaction carries the record", false, `tx ${log.transactionHash}`);
  else {
    check(
      "query CID in the settled record matches the transcript's query",
      decoded.record.queryCid === cidToBytes32(t.queryCid) && (await deps.cidOf(t.query)) === t.queryCid,
      `record names ${decoded.record.queryCid}`,
    );
    const record = recordOf(t, transcriptCid);
    const digest = recordDigest(settlementDomain(chain.chainId, settlement.address), record);
    let signedSeats = 0n;
    let allValid = true;
    decoded.signers.forEach((signer, i) => {
      const who = recoverDigestSigner(digest, decoded.signatures[i]);
      if (!who || !isAddressEqual(who, signer)) allValid = false;
      else signedSeats += drawn.seats.get(signer.toLowerCase()) ?? 0n;
    });
    check(
      "every record signature is its participant's, over the transcript's record",
      allValid,
      `tx ${log.transactionHash}`,
    );
    check(
      "signers hold at least 2/3 of the drawn committee's seats",
      hasQuorum(signedSeats, drawn.totalSeats),
      `${signedSeats} of ${drawn.totalSeats} seats`,
    );
    const badSources = decoded.record.sources.filter((s, i) => {
      const listedSource = record.sources.find((x) => isAddressEqual(x.source, s.source));
      const who = recoverDigestSigner(
        serviceDigest(serviceDomain, { roundId, servedCid: s.servedCid }),
        decoded.sourceSignatures[i],
      );
      return !listedSource || listedSource.servedCid !== s.servedCid || !who || !isAddressEqual(who, s.source);
    });
    check(
      "every source signature is its source's, over the served document the transcript names",
      badSources.length === 0 && decoded.record.sources.length === record.sources.length,
      `sources ${badSources.map((s) => s.source).join(", ") || `${decoded.record.sources.length} settled, ${record.sources.length} in the transcript`}`,
    );
  }

  const mismatches = checks.filter((c) => !c.ok);
  return { ok: mismatches.length === 0, roundId, transcriptCid, epoch: tables.epoch, checks, mismatches };
}

/** The batch (BatchOpened) of the round's coordinator that reserved its sequence, latest before `toBlock`. */
async function batchOfRound(
  chain: ChorusChain,
  roundId: Hex,
  toBlock: bigint,
): Promise<{ seedBlock: bigint; period: number } | undefined> {
  const { address, abi } = chorusContracts(chain).settlement;
  const { coordinator, seq } = roundIdParts(roundId);
  const logs = (await pagedContractEvents(chain, {
    address,
    abi,
    eventName: "BatchOpened",
    args: { coordinator },
    fromBlock: BigInt(chain.deployments.startBlock),
    toBlock,
  })) as unknown as { args: { firstSeq: bigint; lastSeq: bigint; seedBlock: bigint; period: number } }[];
  const hit = logs.filter((l) => l.args.firstSeq <= seq && seq <= l.args.lastSeq).at(-1);
  return hit ? { seedBlock: hit.args.seedBlock, period: hit.args.period } : undefined;
}
