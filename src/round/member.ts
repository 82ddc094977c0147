/**
 * A committee member: answers the coordinator's requests of one round, in order, each at most once.
 * Cheapest checks first: the sender must be the coordinator named in the round id and an active staked node
 * (a cached set), the round must be known for every request after the first, the round id fresh and above
 * that coordinator's durable high-water mark (signed-rounds.ts), and the coordinator within its rate; only
 * then is the signature checked. An answer-request is answered only when the member recomputes from its own
 * reads that it was drawn (seed, candidate snapshot, committee) from a recent seed block, with a fresh
 * deadline; the round is recorded durably before any inference, its state kept only once every check passed
 * and dropped when the round fails. A judge-request may carry only answers of members that committed. The
 * transcript of a sign-request is validated strictly, and its committee, query, chain, registry and
 * requests must equal the member's own copies before it recomputes the result and signs; a round is signed
 * at most once, durably. It commits before it reveals and never judges its own answer.
 * For a query that asks for retrieval it first draws, asks and verifies data sources (rag-retrieve.ts), puts
 * the top contexts into its prompt and commits to its answer together with that evidence.
 */
import { isAddressEqual, type Address, type Hex } from "viem";
import { ChorusError, present } from "../core/index.js";
import { commitmentOf, newSalt } from "../protocol/index.js";
import { envelopeFields, signEnvelope, verifyEnvelope, type Envelope, type PeerDomain } from "../protocol/index.js";
import {
  BODY,
  PEER_BODY_LIMITS,
  RAW_VERDICT_MAX,
  type AnswerRequest,
  type JudgeRequest,
  type RagEvidence,
  type RagParams,
} from "../protocol/index.js";
import type { Artifacts, Directory, GoldStandingsPort, JudgedOutcome, Mind, Retrieval } from "./ports.js";
import { queryTextOf } from "../protocol/index.js";
import { checkRagSettings, memberRetrieval } from "./rag-retrieve.js";
import { coordinatorOf } from "../core/index.js";
import type { DigestSigner } from "../core/index.js";
import type { ConsensusRules, Transcript } from "../protocol/index.js";
import type { RecordSigning } from "./coordinator.js";
import { RoundJournal } from "./signed-rounds.js";
import { verifySignRequest } from "./member-sign.js";
import { MemberReads } from "./member-reads.js";
import {
  DEFAULT_MEMBER_LIMITS,
  TokenBuckets,
  checkAboveClosed,
  checkDeadline,
  checkJudgeRequest,
  evictOldest,
  type MemberLimits,
} from "./member-checks.js";

interface RoundState {
  request: AnswerRequest;
  /** Requests received from the coordinator, verified and rebuilt from their fields (no attachment). */
  received: Envelope[];
  coordinator: Address;
  answer?: string;
  usage?: { promptTokens: number; completionTokens: number };
  finishReason?: "stop" | "length";
  salt?: Hex;
  rag?: RagEvidence;
  sent: Map<string, Envelope>;
  createdAt: number;
}

/** What the HTTP layer reads before the body: the envelope's head. */
export interface EnvelopeHead {
  kind: string;
  roundId: Hex;
  from: Address;
}

export interface MemberDeps {
  domain: PeerDomain;
  signer: DigestSigner;
  directory: Directory;
  artifacts: Artifacts;
  mind: Mind;
  rules: ConsensusRules;
  records: RecordSigning;
  /** Retrieval from data sources for queries that ask for it; without it such queries are answered from the model alone. */
  retrieval?: Retrieval;
  /** How this member retrieves: sources drawn, contexts (k), reliability weight, exploration floor, per-source timeout. */
  rag?: RagParams & { timeoutMs: number };
  /**
   * Gold standings from public data (issue 20): a transcript's `gold` snapshot must be what this port gives as
   * of the seed block. Without it the member signs only transcripts without standings.
   */
  gold?: GoldStandingsPort;
  /** The durable record of rounds answered and signed (default: in memory only). */
  journal?: RoundJournal;
  /** The hash of block `number` as this member's chain reads it; when given, a request's seed block must match it. */
  blockHash?: (number: bigint, opts: { signal?: AbortSignal }) => Promise<Hex>;
  limits?: Partial<MemberLimits>;
  now?: () => number;
  /** Rounds remembered at most (oldest forgotten first) and for how long. */
  maxRounds?: number;
  roundTtlMs?: number;
}

export class Member {
  private readonly rounds = new Map<string, RoundState>();
  /** Round ids whose answer-request is being checked right now (a concurrent copy is refused). */
  private readonly claimed = new Set<string>();
  private readonly limits: MemberLimits;
  private readonly journal: RoundJournal;
  private readonly buckets: TokenBuckets;
  private readonly reads: MemberReads;
  private sincePrune = 0;

  constructor(private readonly deps: MemberDeps) {
    if (deps.rag) checkRagSettings(deps.rag);
    this.limits = { ...DEFAULT_MEMBER_LIMITS, ...deps.limits };
    for (const [k, value] of Object.entries(this.limits)) {
      const v: unknown = value; // a config value: checked here, not trusted
      if (!(typeof v === "number" && v >= 0 && Number.isFinite(v)))
        throw new ChorusError("CONFIG_INVALID", `member limit ${k} must be a finite number >= 0`, { [k]: v });
    }
    this.journal = deps.journal ?? RoundJournal.memory();
    this.buckets = new TokenBuckets(this.limits.answersPerSecond, this.limits.answerBurst, this.now);
    this.reads = new MemberReads(deps, this.limits, this.now);
  }

  private readonly now = () => (this.deps.now ?? Date.now)();

  /**
   * The cheap checks on an envelope's head, before its body is read, parsed or hashed: a known kind, the
   * sender is the round's coordinator, the round is known (after the first request) or else fresh, above the
   * coordinator's high-water mark, not answered before, from an active node within its rate. Resolves with
   * the largest body this kind may have; throws the refusal.
   */
  async admit(head: EnvelopeHead): Promise<number> {
    // the kind is the peer's: only the table's own keys count, not Object.prototype's
    const limit = Object.hasOwn(PEER_BODY_LIMITS, head.kind) ? PEER_BODY_LIMITS[head.kind] : undefined;
    if (limit === undefined)
      throw new ChorusError("PEER_BAD_MESSAGE", `unknown request kind '${head.kind}'`, { kind: head.kind });
    const coordinator = coordinatorOf(head.roundId);
    if (!isAddressEqual(head.from, coordinator)) {
      throw new ChorusError(
        "PEER_NOT_AUTHORIZED",
        `only the round's coordinator ${coordinator} sends its requests, not ${head.from}`,
        { from: head.from },
      );
    }
    const key = head.roundId.toLowerCase();
    if (head.kind !== "answer-request") {
      if (!this.rounds.has(key))
        throw new ChorusError("ROUND_UNKNOWN", `no answer request seen for round ${head.roundId}`, {
          roundId: head.roundId,
        });
      return limit;
    }
    if (this.rounds.has(key) || this.claimed.has(key) || this.journal.hasAnswered(head.roundId)) {
      throw new ChorusError("PEER_DUPLICATE", `round ${head.roundId} was already answered`, { roundId: head.roundId });
    }
    const mark = this.journal.highWater(head.roundId);
    if (mark !== undefined && BigInt(key) < mark - BigInt(this.limits.maxSeqBehind)) {
      throw new ChorusError(
        "PEER_REPLAYED",
        `round ${head.roundId} is below coordinator ${coordinator}'s high-water mark`,
        { roundId: head.roundId },
      );
    }
    if (!(await this.reads.activeSet()).has(coordinator.toLowerCase())) {
      throw new ChorusError(
        "PEER_NOT_AUTHORIZED",
        `coordinator ${coordinator} is not an active node with a valid capability pass (staked and calibrated)`,
        { coordinator },
      );
    }
    // Peek only: the signature is not checked yet, and a forged head must not spend the coordinator's tokens.
    if (!this.buckets.has(coordinator.toLowerCase())) this.buckets.take(coordinator.toLowerCase());
    return limit;
  }

  /** Handles one incoming envelope; returns the signed reply. Throws ChorusError on anything wrong. */
  async handle(raw: unknown, opts: { signal?: AbortSignal } = {}): Promise<Envelope> {
    const head = envelopeFields(raw);
    const schema = Object.hasOwn(BODY, head.kind) ? BODY[head.kind] : undefined;
    if (!schema || !head.kind.endsWith("-request"))
      throw new ChorusError("PEER_BAD_MESSAGE", `unknown request kind '${head.kind}'`);
    await this.admit(head);
    const coordinator = coordinatorOf(head.roundId);
    const env = verifyEnvelope(this.deps.domain, head, {
      kind: head.kind,
      roundId: head.roundId,
      allowed: [coordinator],
    });
    const body = schema.safeParse(env.body);
    if (!body.success) {
      const i = body.error.issues[0];
      throw new ChorusError(
        "PEER_BAD_MESSAGE",
        `${env.kind} ${i.path.map(String).join(".").slice(0, 120)}: ${i.message.slice(0, 160)}`,
      );
    }
    const attachment = (raw as { attachment?: unknown }).attachment;
    switch (env.kind) {
      case "answer-request":
        return this.onAnswer(env, body.data as AnswerRequest, coordinator, opts);
      case "reveal-request":
        return this.onReveal(env, body.data as { commitments: Record<string, Hex> });
      case "judge-request":
        return this.onJudge(env, body.data as JudgeRequest, opts);
      default:
        return this.onSign(env, body.data as { transcriptCid: string }, attachment, coordinator);
    }
  }

  private state(roundId: Hex, kind: string): RoundState {
    const s = this.rounds.get(roundId.toLowerCase());
    if (!s) throw new ChorusError("ROUND_UNKNOWN", `no answer request seen for round ${roundId}`, { roundId });
    if (s.sent.has(kind))
      throw new ChorusError("PEER_DUPLICATE", `${kind} for round ${roundId} was already answered`, { roundId, kind });
    return s;
  }

  /** A request that shows the coordinator misbehaving ends the round here: its state is dropped. */
  private fail(roundId: Hex, err: unknown): never {
    this.rounds.delete(roundId.toLowerCase());
    throw err;
  }

  private reply(s: RoundState, requestKind: string, kind: string, roundId: Hex, body: unknown): Envelope {
    const env = signEnvelope(this.deps.domain, this.deps.signer, kind, roundId, body);
    s.sent.set(requestKind, env);
    return env;
  }

  private async onAnswer(
    env: Envelope,
    req: AnswerRequest,
    coordinator: Address,
    opts: { signal?: AbortSignal },
  ): Promise<Envelope> {
    const key = env.roundId.toLowerCase();
    if (this.claimed.has(key) || this.rounds.has(key))
      throw new ChorusError("PEER_DUPLICATE", `round ${env.roundId} was already answered`, { roundId: env.roundId });
    this.claimed.add(key);
    let recorded = false;
    try {
      this.buckets.take(coordinator.toLowerCase());
      checkDeadline(req.answerDeadline, this.now(), this.limits);
      const me = this.deps.signer.address;
      if (!req.committee.some((a) => isAddressEqual(a as Address, me))) {
        throw new ChorusError("PEER_NOT_MEMBER", `${me} is not in the committee of round ${env.roundId}`);
      }
      if (!isAddressEqual(req.query.coordinator as Address, coordinator)) {
        throw new ChorusError(
          "PEER_BAD_MESSAGE",
          `the query names coordinator ${req.query.coordinator}, not the round's ${coordinator}`,
        );
      }
      // A sequence the chain already closed (settled or voided) can never settle: a replay or a reused id.
      const closed = await this.deps.directory.closedThrough?.(coordinator, opts);
      if (closed !== undefined) checkAboveClosed(env.roundId, closed);
      await this.reads.checkDrawn(env.roundId, req, opts);
      if ((await this.deps.artifacts.cidOf(req.query)) !== req.queryCid) {
        throw new ChorusError("PEER_BAD_MESSAGE", `query does not match its CID ${req.queryCid}`);
      }
      // Durable before any work: a replay after a restart is refused.
      await this.journal.markAnswered(env.roundId);
      recorded = true;
    } finally {
      if (!recorded) this.claimed.delete(key);
    }
    this.gc();
    const s: RoundState = { request: req, coordinator, received: [env], sent: new Map(), createdAt: this.now() };
    this.rounds.set(key, s);
    this.claimed.delete(key);
    try {
      let messages: { role: string; content: string }[] = req.query.messages;
      if (req.query.rag) {
        const got = await memberRetrieval({ ...this.deps, member: this.deps.signer.address }, env.roundId, req, opts);
        s.rag = got.evidence;
        messages = got.messages;
      }
      const query = {
        messages,
        maxTokens: req.query.maxTokens,
        ...(req.query.params ? { params: req.query.params } : {}),
      };
      let answer: string;
      if (this.deps.mind.answerDetailed) {
        const d = await this.deps.mind.answerDetailed(query, opts);
        answer = d.text;
        s.usage = d.usage;
        s.finishReason = d.finishReason;
      } else answer = await this.deps.mind.answer(query, opts);
      s.answer = answer;
      s.salt = newSalt();
      return this.reply(s, "answer-request", "commit", env.roundId, {
        commitment: commitmentOf(env.roundId, this.deps.signer.address, answer, s.salt, s.rag),
      });
    } catch (err) {
      return this.fail(env.roundId, err);
    }
  }

  private onReveal(env: Envelope, req: { commitments: Record<string, Hex> }): Envelope {
    const s = this.state(env.roundId, "reveal-request");
    const mine = (s.sent.get("answer-request")?.body as { commitment: Hex } | undefined)?.commitment;
    const listed = Object.entries(req.commitments).find(([a]) =>
      isAddressEqual(a as Address, this.deps.signer.address),
    )?.[1];
    if (!mine || listed !== mine)
      this.fail(
        env.roundId,
        new ChorusError("PEER_BAD_MESSAGE", "the closed commitment set does not hold my commitment"),
      );
    const committee = new Set(s.request.committee.map((a) => a.toLowerCase()));
    const outsider = Object.keys(req.commitments).find((a) => !committee.has(a.toLowerCase()));
    if (outsider !== undefined || Object.keys(req.commitments).length > committee.size) {
      this.fail(
        env.roundId,
        new ChorusError("PEER_BAD_MESSAGE", "the closed commitment set names someone outside the committee"),
      );
    }
    s.received.push(env);
    return this.reply(s, "reveal-request", "reveal", env.roundId, {
      answer: present(s.answer, "my answer"),
      salt: present(s.salt, "my salt"),
      ...(s.rag ? { rag: s.rag } : {}),
      ...(s.usage ? { usage: s.usage } : {}),
      ...(s.finishReason ? { finishReason: s.finishReason } : {}),
    });
  }

  private async onJudge(env: Envelope, req: JudgeRequest, opts: { signal?: AbortSignal }): Promise<Envelope> {
    const s = this.state(env.roundId, "judge-request");
    if (!s.sent.has("reveal-request"))
      this.fail(env.roundId, new ChorusError("PEER_BAD_MESSAGE", "judging before my reveal"));
    const me = this.deps.signer.address;
    const commitments = (s.received[1].body as { commitments: Record<string, Hex> }).commitments;
    try {
      const myAnswer = present(s.answer, "my answer");
      checkJudgeRequest(req, { commitments, committee: s.request.committee, me, myAnswer });
    } catch (err) {
      this.fail(env.roundId, err);
    }
    s.received.push(env);
    const pairs = Object.entries(req.assignments).find(([j]) => isAddressEqual(j as Address, me))?.[1] ?? [];
    // the same question retrieval used (src/protocol queryTextOf): judges and sources read one text
    const question = queryTextOf(s.request.query.messages);
    const text = (a: Address) =>
      present(
        Object.entries(req.answers).find(([k]) => isAddressEqual(k as Address, a)),
        `answer of ${a}`,
      )[1];
    try {
      const judgments = [];
      for (const [a, b] of pairs as [Address, Address][]) {
        if (isAddressEqual(a, me) || isAddressEqual(b, me))
          throw new ChorusError("PEER_BAD_MESSAGE", "asked to judge my own answer");
        const r = await this.deps.mind.compare({ question, answerA: text(a), answerB: text(b) }, opts);
        // The signed judgment keeps the model's reply and says when no verdict could be read in it (issue 16).
        const outcome: JudgedOutcome = r.parsed === false ? "unparsable" : r.outcome;
        judgments.push({ a, b, outcome, ...(r.raw !== undefined ? { raw: r.raw.slice(0, RAW_VERDICT_MAX) } : {}) });
      }
      const screens = [];
      if (req.screen && this.deps.mind.screen) {
        for (const [a, t] of Object.entries(req.answers)) {
          if (isAddressEqual(a as Address, me)) continue;
          screens.push({ answer: a as Address, verdict: await this.deps.mind.screen({ question, answer: t }, opts) });
        }
      }
      return this.reply(s, "judge-request", "judgments", env.roundId, { judgments, screens });
    } catch (err) {
      return this.fail(env.roundId, err);
    }
  }

  private async onSign(
    env: Envelope,
    req: { transcriptCid: string },
    attachment: unknown,
    coordinator: Address,
  ): Promise<Envelope> {
    const s = this.state(env.roundId, "sign-request");
    if (this.journal.hasSigned(env.roundId))
      throw new ChorusError("PEER_DUPLICATE", `round ${env.roundId} was already signed`, { roundId: env.roundId });
    if (attachment === undefined) throw new ChorusError("PEER_BAD_MESSAGE", "sign-request carries no transcript");
    let t: Transcript;
    try {
      t = await verifySignRequest(this.deps, s, { roundId: env.roundId, coordinator, ...req }, attachment);
    } catch (err) {
      return this.fail(env.roundId, err);
    }
    // Durable before the signature leaves: this round is never signed again, restart or not.
    await this.journal.markSigned(env.roundId);
    const signature = this.deps.signer.signDigest(this.deps.records.digest(t, req.transcriptCid));
    return this.reply(s, "sign-request", "record-signature", env.roundId, { signature });
  }

  private gc(): void {
    const now = this.now();
    const ttl = this.deps.roundTtlMs ?? 900_000;
    for (const [k, s] of this.rounds) if (now - s.createdAt > ttl) this.rounds.delete(k);
    const max = this.deps.maxRounds ?? 2_000;
    evictOldest(this.rounds, max);
    // In-memory ids that the high-water mark alone refuses can go (the journal file keeps them).
    if (++this.sincePrune >= 1024) {
      this.sincePrune = 0;
      this.journal.prune(BigInt(this.limits.maxSeqBehind));
    }
  }
}
