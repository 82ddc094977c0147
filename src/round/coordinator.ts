/**
 * The coordinator: whichever node receives a query runs its round. It stores the query on IPFS, draws the
 * committee from a recent block hash, collects commitments then reveals, has members judge each other's
 * answers, aggregates with the consensus rules, publishes the transcript, gathers the members' signatures
 * on the round record and queues it for settlement. Every step has a deadline; a member that misses one is
 * excluded and recorded, and the round completes while at least 2/3 of the committee answered.
 */
import { toBytes, type Address, type Hex } from "viem";
import { keccak256 } from "./keccak.js";
import { ChorusError } from "../errors.js";
import { committeeSeed, drawCommittee } from "./committee.js";
import { revealMatches } from "./commitment.js";
import { signEnvelope, verifyEnvelope, type Envelope, type PeerDomain } from "./envelope.js";
import { BODY, type QueryDoc, type RagEvidence } from "./protocol.js";
import type { Artifacts, Directory, NodeEntry, PeerClient } from "./ports.js";
import { newRoundId } from "./round-id.js";
import type { DigestSigner } from "./signer.js";
import type { ConsensusRules, RoundResult, Transcript, Exclusion } from "./transcript.js";
import { computeResult, ragProblem, TRANSCRIPT_TYPE } from "./transcript.js";
import type { SettlementDomain } from "../chain/records.js";

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
  signatures: Record<string, Hex>;
}

export interface RoundOutcome {
  roundId: Hex;
  queryCid: string;
  transcriptCid: string;
  transcript: Transcript;
  result: RoundResult;
  winnerAnswer: string;
  signatures: Record<string, Hex>;
}

export const PEER_PATH = "/peer/v1/message";

export class Coordinator {
  /** Rounds this coordinator is running now (their records must settle before any later round's). */
  readonly inFlight = new Set<Hex>();

  constructor(
    private readonly deps: CoordinatorDeps,
    private readonly opts: CoordinatorOptions,
  ) {}

  async run(query: Omit<QueryDoc, "type" | "coordinator" | "createdAt">, opts: { signal?: AbortSignal } = {}): Promise<RoundOutcome> {
    const roundId = newRoundId(this.deps.signer.address, (this.deps.now ?? Date.now)());
    this.inFlight.add(roundId);
    try {
      return await this.runRound(roundId, query, opts.signal);
    } finally {
      this.inFlight.delete(roundId);
    }
  }

  private async runRound(roundId: Hex, query: Omit<QueryDoc, "type" | "coordinator" | "createdAt">, signal?: AbortSignal): Promise<RoundOutcome> {
    const { deps } = this;
    const now = deps.now ?? Date.now;
    const me = deps.signer.address;
    const queryDoc: QueryDoc = { type: "chorus/query@1", ...query, coordinator: me, createdAt: now() };
    const queryCid = await deps.artifacts.putJson(queryDoc, { signal });

    // Committee: seeded by a recent block hash and the query, weighted by stake x reputation.
    const [candidates, seedBlock] = await Promise.all([deps.directory.candidates({ signal }), deps.directory.seedBlock({ signal })]);
    const seed = committeeSeed(seedBlock.hash, keccak256(toBytes(queryCid)));
    const committee = drawCommittee(seed, candidates, this.opts.committeeSize);
    if (committee.length === 0) throw new ChorusError("ROUND_UNAVAILABLE", "no active, capable nodes to form a committee");
    const byAddress = new Map(candidates.map((c) => [c.address.toLowerCase(), c]));
    const members = committee.map((a) => byAddress.get(a.toLowerCase())!);
    const needed = Math.ceil((committee.length * (this.opts.quorumNumerator ?? 2)) / (this.opts.quorumDenominator ?? 3));
    const excluded: Exclusion[] = [];

    // 1. Answers, as commitments.
    const answerRequest = signEnvelope(deps.domain, deps.signer, "answer-request", roundId, {
      queryCid,
      query: queryDoc,
      seedBlock: { number: seedBlock.number.toString(), hash: seedBlock.hash },
      seed,
      committeeSize: this.opts.committeeSize,
      candidates: candidates.map((c) => ({ address: c.address, stake: c.stake.toString(), reputation: c.reputation })),
      committee,
      answerDeadline: now() + this.opts.answerTimeoutMs,
    });
    const commits = await this.gather(members, answerRequest, "commit", this.opts.answerTimeoutMs, roundId, excluded, "answer", signal);
    this.requireQuorum(commits.size, needed, committee.length, "commit", excluded);

    // 2. Reveals, once the set of commitments is closed.
    const commitments = Object.fromEntries([...commits].map(([a, env]) => [a, (env.body as { commitment: Hex }).commitment]));
    const revealRequest = signEnvelope(deps.domain, deps.signer, "reveal-request", roundId, { commitments });
    const committed = members.filter((m) => commits.has(m.address));
    const reveals = await this.gather(committed, revealRequest, "reveal", this.opts.revealTimeoutMs, roundId, excluded, "reveal", signal);
    for (const [address, env] of [...reveals]) {
      const body = env.body as { answer: string; salt: Hex; rag?: RagEvidence };
      if (!revealMatches(roundId, address as Address, commitments[address], body.answer, body.salt, body.rag)) {
        reveals.delete(address);
        excluded.push({ member: address as Address, phase: "reveal", reason: "reveal does not match commitment", evidence: env });
        continue;
      }
      const rag = ragProblem({ roundId, queryCid, query: queryDoc, committee: { seed } }, address as Address, body.rag, deps.records.serviceDomain);
      if (rag.error) {
        reveals.delete(address);
        excluded.push({ member: address as Address, phase: "reveal", reason: rag.error, evidence: env });
      }
    }
    this.requireQuorum(reveals.size, needed, committee.length, "reveal", excluded);

    // 3. Judging: pairs from the consensus schedule, never a judge's own answer.
    const answerers = committee.filter((a) => reveals.has(a));
    const answers = Object.fromEntries(answerers.map((a) => [a, (reveals.get(a)!.body as { answer: string }).answer]));
    const assignments = deps.rules.schedule({ answers: answerers, judges: answerers, seed });
    const judgeRequest = signEnvelope(deps.domain, deps.signer, "judge-request", roundId, { answers, assignments, screen: deps.rules.screen });
    const judges = members.filter((m) => reveals.has(m.address) && (assignments[m.address]?.length ?? 0) > 0);
    const judgments = await this.gather(judges, judgeRequest, "judgments", this.opts.judgeTimeoutMs, roundId, excluded, "judge", signal);

    // 4. Consensus and the transcript.
    const transcript: Transcript = {
      type: TRANSCRIPT_TYPE,
      roundId,
      chainId: deps.domain.chainId,
      registry: deps.domain.registry,
      coordinator: me,
      queryCid,
      query: queryDoc,
      committee: {
        seedBlock: { number: seedBlock.number.toString(), hash: seedBlock.hash },
        seed,
        size: this.opts.committeeSize,
        candidates: candidates.map((c) => ({ address: c.address, stake: c.stake.toString(), reputation: c.reputation })),
        members: committee,
      },
      requests: { answer: answerRequest, reveal: revealRequest, judge: judgeRequest },
      commits: [...commits.values()],
      reveals: [...reveals.values()],
      judgments: [...judgments.values()],
      excluded: excluded.map((e) => ({ ...e, evidence: e.evidence ?? null })),
      result: null as never,
    };
    transcript.result = computeResult(transcript, deps.rules, { serviceDomain: deps.records.serviceDomain });
    const transcriptCid = await deps.artifacts.putJson(transcript, { signal });

    // 5. Members check the transcript and sign the record.
    const digest = deps.records.digest(transcript, transcriptCid);
    const signRequest = { ...signEnvelope(deps.domain, deps.signer, "sign-request", roundId, { transcriptCid }), attachment: transcript };
    const signers = members.filter((m) => reveals.has(m.address));
    const sigReplies = await this.gather(signers, signRequest, "record-signature", this.opts.signTimeoutMs, roundId, [], "sign", signal);
    const signatures: Record<string, Hex> = {};
    for (const [address, env] of sigReplies) signatures[address] = (env.body as { signature: Hex }).signature;
    await deps.settle(roundId, { transcriptCid, signatures }, transcript);
    return {
      roundId,
      queryCid,
      transcriptCid,
      transcript,
      result: transcript.result,
      winnerAnswer: answers[transcript.result.winner],
      signatures,
    };
  }

  private requireQuorum(have: number, needed: number, size: number, phase: string, excluded: Exclusion[]): void {
    if (have < needed) {
      const reasons = excluded.map((e) => `${e.member.slice(0, 10)}… ${e.phase}: ${e.reason}`).join("; ");
      throw new ChorusError(
        "ROUND_NO_QUORUM",
        `only ${have} of ${size} committee members completed the ${phase} step; a round needs ${needed}${reasons ? ` (${reasons})` : ""}`,
        { have, needed, size, phase },
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
  ): Promise<Map<string, Envelope>> {
    const replies = new Map<string, Envelope>();
    await Promise.all(
      members.map(async (m) => {
        try {
          const raw = await this.deps.peers.post(m.endpoint, PEER_PATH, request, { signal, timeoutMs });
          const env = verifyEnvelope(this.deps.domain, raw as Envelope, { kind: replyKind, roundId, allowed: [m.address] });
          const parsed = BODY[replyKind].safeParse(env.body);
          if (!parsed.success) throw new ChorusError("PEER_BAD_MESSAGE", `malformed ${replyKind}: ${parsed.error.issues[0]?.message}`);
          replies.set(m.address, env);
        } catch (err) {
          signal?.throwIfAborted();
          const reason = err instanceof ChorusError ? err.message : `unreachable: ${(err as Error).message}`;
          excluded.push({ member: m.address, phase, reason });
          this.deps.log?.(`round ${roundId.slice(0, 12)}…: ${m.address} excluded at ${phase}: ${reason}`);
        }
      }),
    );
    return replies;
  }
}

