/**
 * The coordinator: whichever node receives a query runs its round. It takes the round id from its sequencer (a
 * batch reserved on chain before its seed existed), draws the committee by sortition from the batch seed and the
 * weights when the batch's period began, stores the query on IPFS, collects commitments then reveals, has
 * members judge each other's answers, aggregates with the consensus rules, publishes the transcript, gathers
 * and VERIFIES the members' signatures on the round record and queues it for settlement. Every step has a
 * deadline; a member that misses one, or signs wrongly, is excluded and recorded, and the round completes while
 * members holding at least 2/3 of the committee's seats answered (and signed). A failed round is reported to the
 * sequencer, whose submitter voids its sequence.
 */
import { type Address, type Hex } from "viem";
import { ChorusError, present } from "../core/index.js";
import { revealMatches } from "../protocol/index.js";
import { seatsIn, snapshotOf, totalSeatsOf, type CommitteeSnapshot } from "./draw.js";
import { MemorySequencer, type RoundSequencer } from "./sequencer.js";
import { signEnvelope, verifyEnvelope, type Envelope, type PeerDomain } from "../protocol/index.js";
import { BODY, type QueryDoc, type RagEvidence } from "../protocol/index.js";
import type { Artifacts, Directory, GoldStandingsPort, NodeEntry, PeerClient } from "./ports.js";
import { recoverDigestSigner, type DigestSigner } from "../core/index.js";
import type { ConsensusRules, RoundResult, Transcript, Exclusion } from "../protocol/index.js";
import { computeResult, goldSnapshot, ragProblem, TRANSCRIPT_TYPE } from "../protocol/index.js";
import type { SettlementDomain } from "../core/index.js";

export interface CoordinatorOptions {
  committeeSize: number;
  answerTimeoutMs: number;
  revealTimeoutMs: number;
  judgeTimeoutMs: number;
  signTimeoutMs: number;
  /** Share of the committee whose answers a round needs (default 2/3). */
  quorumNumerator?: number;
  quorumDenominator?: number;
}

export interface CoordinatorDeps {
  domain: PeerDomain;
  signer: DigestSigner;
  directory: Directory;
  peers: PeerClient;
  artifacts: Artifacts;
  rules: ConsensusRules;
  /** Signs the record as the chain expects and checks member signatures on it. */
  records: RecordSigning;
  /** Queues the signed record for settlement. */
  settle: (roundId: Hex, signed: SignedRecord, transcript: Transcript) => Promise<void>;
  /** Hands out round ids (default: an in-memory sequencer, for chain-less swarms). */
  sequencer?: RoundSequencer;
  /** Gold standings from public data (issue 20); without it transcripts carry none. */
  gold?: GoldStandingsPort;
  now?: () => number;
  log?: (line: string) => void;
}

export interface RecordSigning {
  /** The digest members sign for this transcript's record. */
  digest(transcript: Transcript, transcriptCid: string): Hex;
  /** The Settlement EIP-712 domain data sources sign their service statements in (needed by RAG rounds). */
  serviceDomain?: SettlementDomain;
}

export interface SignedRecord {
  transcriptCid: string;
  /** Verified signatures only (each recovers to its member over the record digest). */
  signatures: Record<string, Hex>;
  /**
   * Members excluded at the sign phase (a signature that does not recover to them), with their signed reply as
   * evidence. The transcript cannot hold them: the record the members sign commits to the transcript's CID.
   */
  signExcluded?: Exclusion[];
}

export interface RoundOutcome {
  roundId: Hex;
  queryCid: string;
  transcriptCid: string;
  transcript: Transcript;
  result: RoundResult;
  winnerAnswer: string;
  signatures: Record<string, Hex>;
  /** Members excluded at the sign phase, with evidence (see SignedRecord). */
  signExcluded: Exclusion[];
}

export const PEER_PATH = "/peer/v1/message";

/** Watches one round (logs, metrics): its id once drawn, each phase's wall time, each exclusion with its error code. */
export interface RoundObserver {
  started?(roundId: Hex): void;
  phase?(roundId: Hex, phase: Exclusion["phase"], seconds: number): void;
  excluded?(roundId: Hex, e: { member: string; phase: Exclusion["phase"]; reason: string; code: string }): void;
}

export class Coordinator {
  readonly sequencer: RoundSequencer;

  constructor(
    private readonly deps: CoordinatorDeps,
    private readonly opts: CoordinatorOptions,
  ) {
    this.sequencer = deps.sequencer ?? new MemorySequencer(deps.signer.address);
  }

  async run(
    query: Omit<QueryDoc, "type" | "coordinator" | "createdAt">,
    opts: { signal?: AbortSignal; observer?: RoundObserver } = {},
  ): Promise<RoundOutcome> {
    const ticket = await this.sequencer.next({ signal: opts.signal });
    opts.observer?.started?.(ticket.roundId);
    try {
      const out = await this.runRound(ticket, query, opts.signal, opts.observer);
      this.sequencer.completed(ticket.roundId);
      return out;
    } catch (err) {
      this.sequencer.failed(ticket.roundId);
      throw err;
    }
  }

  private async runRound(
    ticket: { roundId: Hex; batchSeed: Hex; seedBlock: bigint; period: number },
    query: Omit<QueryDoc, "type" | "coordinator" | "createdAt">,
    signal?: AbortSignal,
    observer?: RoundObserver,
  ): Promise<RoundOutcome> {
    const { deps } = this;
    const { roundId } = ticket;
    const now = deps.now ?? Date.now;
    const me = deps.signer.address;
    const queryDoc: QueryDoc = { type: "chorus/query@1", ...query, coordinator: me, createdAt: now() };

    // Members take rounds only from coordinators in the active, capable set: say so here, not as their refusals.
    if (!(await deps.directory.candidates({ signal })).some((c) => c.address.toLowerCase() === me.toLowerCase())) {
      throw new ChorusError(
        "ROUND_UNAVAILABLE",
        `this node ${me} is not an active node with a valid capability pass, so members refuse its rounds: \`chorus node info\` shows which it lacks; \`chorus calibrate\` gets a pass, \`chorus stake\` adds stake`,
        { coordinator: me },
      );
    }
    // Committee: sortition from the batch seed, weighted as the nodes were when the batch's period began.
    const weights = await deps.directory.weightsAt(ticket.period, { signal });
    const committee: CommitteeSnapshot = snapshotOf(ticket, weights);
    if (committee.members.length === 0)
      throw new ChorusError("ROUND_UNAVAILABLE", "no staked, capable nodes were drawn into the committee");
    if (committee.members.length < weights.minCommittee) {
      throw new ChorusError(
        "ROUND_UNAVAILABLE",
        `only ${committee.members.length} nodes were drawn; a record needs at least ${weights.minCommittee}`,
        {
          drawn: committee.members.length,
          minCommittee: weights.minCommittee,
        },
      );
    }
    const queryCid = await deps.artifacts.putJson(queryDoc, { signal });
    const byAddress = new Map(weights.candidates.map((c) => [c.address.toLowerCase(), c]));
    const members = committee.members.map((a) => present(byAddress.get(a.toLowerCase()), `candidate ${a}`));
    const totalSeats = totalSeatsOf(committee);
    const needed =
      (totalSeats * BigInt(this.opts.quorumNumerator ?? 2) + BigInt(this.opts.quorumDenominator ?? 3) - 1n) /
      BigInt(this.opts.quorumDenominator ?? 3);
    const seatsOf = (addresses: Iterable<string>) => [...addresses].reduce((acc, a) => acc + seatsIn(committee, a), 0n);
    const excluded: Exclusion[] = [];

    // 1. Answers, as commitments.
    const answerRequest = signEnvelope(deps.domain, deps.signer, "answer-request", roundId, {
      queryCid,
      query: queryDoc,
      seedBlock: committee.seedBlock,
      seed: committee.seed,
      period: committee.period,
      committeeSize: committee.size,
      totalStake: committee.totalStake,
      minCommittee: committee.minCommittee,
      candidates: committee.candidates,
      committee: committee.members,
      seats: committee.seats,
      answerDeadline: now() + this.opts.answerTimeoutMs,
    });
    const seed = committee.seed;
    const commits = await this.gather(
      members,
      answerRequest,
      "commit",
      this.opts.answerTimeoutMs,
      roundId,
      excluded,
      "answer",
      signal,
      observer,
    );
    this.requireQuorum(seatsOf(commits.keys()), needed, totalSeats, "commit", excluded);

    // 2. Reveals, once the set of commitments is closed.
    const commitments = Object.fromEntries(
      [...commits].map(([a, env]) => [a, (env.body as { commitment: Hex }).commitment]),
    );
    const revealRequest = signEnvelope(deps.domain, deps.signer, "reveal-request", roundId, { commitments });
    const committed = members.filter((m) => commits.has(m.address));
    const reveals = await this.gather(
      committed,
      revealRequest,
      "reveal",
      this.opts.revealTimeoutMs,
      roundId,
      excluded,
      "reveal",
      signal,
      observer,
    );
    for (const [address, env] of [...reveals]) {
      const body = env.body as { answer: string; salt: Hex; rag?: RagEvidence };
      if (!revealMatches(roundId, address as Address, commitments[address], body.answer, body.salt, body.rag)) {
        reveals.delete(address);
        excluded.push({
          member: address as Address,
          phase: "reveal",
          reason: "reveal does not match commitment",
          evidence: env,
        });
        continue;
      }
      const rag = ragProblem(
        { roundId, queryCid, query: queryDoc, committee: { seed } },
        address as Address,
        body.rag,
        deps.records.serviceDomain,
      );
      if (rag.error) {
        reveals.delete(address);
        excluded.push({ member: address as Address, phase: "reveal", reason: rag.error, evidence: env });
      }
    }
    this.requireQuorum(seatsOf(reveals.keys()), needed, totalSeats, "reveal", excluded);

    // 3. Judging: pairs from the consensus schedule, never a judge's own answer.
    const answerers = committee.members.filter((a) => reveals.has(a));
    const answers = Object.fromEntries(
      answerers.map((a) => [a, (present(reveals.get(a), `reveal of ${a}`).body as { answer: string }).answer]),
    );
    const assignments = deps.rules.schedule({ answers: answerers, judges: answerers, seed });
    const judgeRequest = signEnvelope(deps.domain, deps.signer, "judge-request", roundId, {
      answers,
      assignments,
      screen: deps.rules.screen,
    });
    const judges = members.filter(
      (m) => reveals.has(m.address) && (Object.hasOwn(assignments, m.address) ? assignments[m.address].length : 0) > 0,
    );
    const judgments = await this.gather(
      judges,
      judgeRequest,
      "judgments",
      this.opts.judgeTimeoutMs,
      roundId,
      excluded,
      "judge",
      signal,
      observer,
    );

    // 4. Consensus and the transcript, with the members' gold standings as of the seed block (issue 20).
    const seedBlock = committee.seedBlock.number;
    const gold = deps.gold
      ? goldSnapshot(committee.members, await deps.gold.standingsAt(BigInt(seedBlock), { signal }), seedBlock)
      : undefined;
    const transcript: Transcript = {
      type: TRANSCRIPT_TYPE,
      roundId,
      chainId: deps.domain.chainId,
      registry: deps.domain.registry,
      coordinator: me,
      queryCid,
      query: queryDoc,
      committee,
      requests: { answer: answerRequest, reveal: revealRequest, judge: judgeRequest },
      commits: [...commits.values()],
      reveals: [...reveals.values()],
      judgments: [...judgments.values()],
      excluded: excluded.map((e) => ({ ...e, evidence: e.evidence ?? null })),
      ...(gold ? { gold } : {}),
      result: null as never,
    };
    transcript.result = computeResult(transcript, deps.rules, { serviceDomain: deps.records.serviceDomain });
    const transcriptCid = await deps.artifacts.putJson(transcript, { signal });

    // 5. Members check the transcript and sign the record; each signature is verified against the record digest
    // (one wrong signature would make the whole epoch revert on chain), a wrong one excluded with its evidence.
    const digest = deps.records.digest(transcript, transcriptCid);
    const signRequest = {
      ...signEnvelope(deps.domain, deps.signer, "sign-request", roundId, { transcriptCid }),
      attachment: transcript,
    };
    const signers = members.filter((m) => reveals.has(m.address));
    const signExcluded: Exclusion[] = [];
    const sigReplies = await this.gather(
      signers,
      signRequest,
      "record-signature",
      this.opts.signTimeoutMs,
      roundId,
      signExcluded,
      "sign",
      signal,
      observer,
    );
    const signatures: Record<string, Hex> = {};
    for (const [address, env] of sigReplies) {
      const signature = (env.body as { signature: Hex }).signature;
      const problem = signatureProblem(digest, signature, address as Address);
      if (problem) {
        signExcluded.push({ member: address as Address, phase: "sign", reason: problem, evidence: env });
        observer?.excluded?.(roundId, { member: address, phase: "sign", reason: problem, code: "PEER_BAD_SIGNATURE" });
        deps.log?.(`round ${roundId.slice(0, 12)}…: ${address} excluded at sign: ${problem}`);
      } else {
        signatures[address] = signature;
      }
    }
    this.requireQuorum(seatsOf(Object.keys(signatures)), needed, totalSeats, "sign", [...excluded, ...signExcluded]);
    await deps.settle(roundId, { transcriptCid, signatures, signExcluded }, transcript);
    return {
      roundId,
      queryCid,
      transcriptCid,
      transcript,
      result: transcript.result,
      winnerAnswer: answers[transcript.result.winner],
      signatures,
      signExcluded,
    };
  }

  private requireQuorum(have: bigint, needed: bigint, size: bigint, phase: string, excluded: Exclusion[]): void {
    if (have < needed) {
      const reasons = excluded.map((e) => `${e.member.slice(0, 10)}… ${e.phase}: ${e.reason}`).join("; ");
      throw new ChorusError(
        "ROUND_NO_QUORUM",
        `members holding only ${have} of ${size} committee seats completed the ${phase} step; a round needs ${needed}${reasons ? ` (${reasons})` : ""}`,
        { have: Number(have), needed: Number(needed), size: Number(size), phase },
      );
    }
  }

  /** Sends one request to many members in parallel; keeps verified replies, records the rest as excluded. */
  private async gather(
    members: NodeEntry[],
    request: Envelope,
    replyKind: string,
    timeoutMs: number,
    roundId: Hex,
    excluded: Exclusion[],
    phase: Exclusion["phase"],
    signal?: AbortSignal,
    observer?: RoundObserver,
  ): Promise<Map<string, Envelope>> {
    const replies = new Map<string, Envelope>();
    const t0 = performance.now();
    await Promise.all(
      members.map(async (m) => {
        try {
          const raw = await this.deps.peers.post(m.endpoint, PEER_PATH, request, { signal, timeoutMs });
          const env = verifyEnvelope(this.deps.domain, raw as Envelope, {
            kind: replyKind,
            roundId,
            allowed: [m.address],
          });
          const parsed = BODY[replyKind].safeParse(env.body);
          if (!parsed.success)
            throw new ChorusError("PEER_BAD_MESSAGE", `malformed ${replyKind}: ${parsed.error.issues[0]?.message}`);
          replies.set(m.address, env);
        } catch (err) {
          signal?.throwIfAborted();
          const reason = err instanceof ChorusError ? err.message : `unreachable: ${(err as Error).message}`;
          excluded.push({ member: m.address, phase, reason });
          observer?.excluded?.(roundId, {
            member: m.address,
            phase,
            reason,
            code: err instanceof ChorusError ? err.code : "PEER_UNREACHABLE",
          });
          this.deps.log?.(`round ${roundId.slice(0, 12)}…: ${m.address} excluded at ${phase}: ${reason}`);
        }
      }),
    );
    observer?.phase?.(roundId, phase, (performance.now() - t0) / 1000);
    return replies;
  }
}

/**
 * Why `signature` is not `member`'s over `digest` (undefined when it is). The reason is built here from what was
 * recovered, never from the peer's text.
 */
export function signatureProblem(digest: Hex, signature: Hex, member: Address): string | undefined {
  // native libsecp256k1 (src/core/signer.ts): a round recovers every member's signature here
  const recovered = recoverDigestSigner(digest, signature);
  if (recovered === null) return "record signature does not recover to any address";
  if (recovered.toLowerCase() === member.toLowerCase()) return undefined;
  return `record signature recovers to ${recovered}, not the member`;
}
