/**
 * A committee member: answers the coordinator's requests of one round, in order, each at most once.
 * It accepts requests only from the coordinator named in the round id, and only when that coordinator is an
 * active staked node; it commits before it reveals, never judges its own answer, and signs the round record
 * only after it has recomputed the whole result from the transcript and found its own messages in it.
 * For a query that asks for retrieval it first draws, asks and verifies data sources (rag-retrieve.ts), puts
 * the top contexts into its prompt and commits to its answer together with that evidence.
 */
import { isAddressEqual, type Address, type Hex } from "viem";
import { ChorusError } from "../errors.js";
import { commitmentOf, newSalt } from "./commitment.js";
import { signEnvelope, verifyEnvelope, type Envelope, type PeerDomain } from "./envelope.js";
import { BODY, Envelope as EnvelopeSchema, RagParams as RagParamsSchema, type AnswerRequest, type JudgeRequest, type RagEvidence, type RagParams } from "./protocol.js";
import type { Artifacts, Directory, Mind, Retrieval } from "./ports.js";
import { ragPrompt } from "./rag.js";
import { retrieveForRound } from "./rag-retrieve.js";
import { coordinatorOf } from "./round-id.js";
import type { DigestSigner } from "./signer.js";
import { computeResult, type ConsensusRules, type Transcript } from "./transcript.js";
import type { RecordSigning } from "./coordinator.js";
import { canonicalBytes, canonicalHash, cidOfCanonical } from "./canonical.js";
import { snapshotProblem, type CommitteeSnapshot } from "./draw.js";

interface RoundState {
  request: AnswerRequest;
  /** Requests received from the coordinator, already verified. */
  received: Envelope[];
  coordinator: Address;
  answer?: string;
  salt?: Hex;
  rag?: RagEvidence;
  sent: Map<string, Envelope>;
  createdAt: number;
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
  now?: () => number;
  /** Rounds remembered at most (oldest forgotten first) and for how long. */
  maxRounds?: number;
  roundTtlMs?: number;
}

export class Member {
  private readonly rounds = new Map<string, RoundState>();

  constructor(private readonly deps: MemberDeps) {
    if (deps.rag) {
      const { timeoutMs, ...params } = deps.rag;
      const r = RagParamsSchema.safeParse(params);
      const bad = r.success ? (Number.isInteger(timeoutMs) && timeoutMs > 0 ? undefined : `timeoutMs: must be a positive integer`) : `${r.error.issues[0].path.join(".")}: ${r.error.issues[0].message}`;
      if (bad) throw new ChorusError("CONFIG_INVALID", `retrieval settings ${bad}`);
    }
  }

  /** Handles one incoming envelope; returns the signed reply. Throws ChorusError on anything wrong. */
  async handle(raw: unknown, opts: { signal?: AbortSignal } = {}): Promise<Envelope> {
    const shape = EnvelopeSchema.safeParse(raw);
    if (!shape.success) {
      const i = shape.error.issues[0];
      throw new ChorusError("PEER_BAD_MESSAGE", `envelope ${i.path.join(".") || "body"}: ${i.message}`);
    }
    const env = shape.data as Envelope;
    const schema = BODY[env.kind];
    if (!schema || !env.kind.endsWith("-request")) throw new ChorusError("PEER_BAD_MESSAGE", `unknown request kind '${env.kind}'`);
    const coordinator = coordinatorOf(env.roundId);
    verifyEnvelope(this.deps.domain, env, { kind: env.kind, roundId: env.roundId, allowed: [coordinator] });
    const body = schema.safeParse(env.body);
    if (!body.success) {
      const i = body.error.issues[0];
      throw new ChorusError("PEER_BAD_MESSAGE", `${env.kind} ${i.path.join(".")}: ${i.message}`);
    }
    switch (env.kind) {
      case "answer-request":
        return this.onAnswer(env, body.data as AnswerRequest, coordinator, opts);
      case "reveal-request":
        return this.onReveal(env, body.data as { commitments: Record<string, Hex> });
      case "judge-request":
        return this.onJudge(env, body.data as JudgeRequest, opts);
      default:
        return this.onSign(env, body.data as { transcriptCid: string }, shape.data.attachment);
    }
  }

  private state(roundId: Hex, kind: string): RoundState {
    const s = this.rounds.get(roundId.toLowerCase());
    if (!s) throw new ChorusError("ROUND_UNKNOWN", `no answer request seen for round ${roundId}`, { roundId });
    if (s.sent.has(kind)) throw new ChorusError("PEER_DUPLICATE", `${kind} for round ${roundId} was already answered`, { roundId, kind });
    return s;
  }

  private reply(s: RoundState, requestKind: string, kind: string, roundId: Hex, body: unknown): Envelope {
    const env = signEnvelope(this.deps.domain, this.deps.signer, kind, roundId, body);
    s.sent.set(requestKind, env);
    return env;
  }

  private async onAnswer(env: Envelope, req: AnswerRequest, coordinator: Address, opts: { signal?: AbortSignal }): Promise<Envelope> {
    const key = env.roundId.toLowerCase();
    if (this.rounds.has(key)) throw new ChorusError("PEER_DUPLICATE", `round ${env.roundId} was already answered`, { roundId: env.roundId });
    const me = this.deps.signer.address;
    if (!req.committee.some((a) => isAddressEqual(a as Address, me))) {
      throw new ChorusError("PEER_NOT_MEMBER", `${me} is not in the committee of round ${env.roundId}`);
    }
    const active = await this.deps.directory.candidates({ signal: opts.signal });
    if (!active.some((n) => isAddressEqual(n.address, coordinator))) {
      throw new ChorusError("PEER_NOT_AUTHORIZED", `coordinator ${coordinator} is not an active staked node`, { coordinator });
    }
    const drawProblem = snapshotProblem(env.roundId, requestSnapshot(req));
    if (drawProblem) throw new ChorusError("PEER_BAD_MESSAGE", `answer request of round ${env.roundId}: ${drawProblem}`);
    if ((await this.deps.artifacts.cidOf(req.query)) !== req.queryCid) {
      throw new ChorusError("PEER_BAD_MESSAGE", `query does not match its CID ${req.queryCid}`);
    }
    this.gc();
    const s: RoundState = { request: req, coordinator, received: [stripAttachment(env)], sent: new Map(), createdAt: (this.deps.now ?? Date.now)() };
    this.rounds.set(key, s);
    const messages = req.query.rag ? await this.retrieve(env.roundId, req, s, opts) : req.query.messages;
    const answer = await this.deps.mind.answer({ messages, maxTokens: req.query.maxTokens }, opts);
    s.answer = answer;
    s.salt = newSalt();
    return this.reply(s, "answer-request", "commit", env.roundId, { commitment: commitmentOf(env.roundId, me, answer, s.salt, s.rag) });
  }

  /** Retrieval for a RAG query: records the evidence in the round state, returns the prompt with the contexts. */
  private async retrieve(roundId: Hex, req: AnswerRequest, s: RoundState, opts: { signal?: AbortSignal }): Promise<{ role: string; content: string }[]> {
    const { retrieval, rag } = this.deps;
    if (!retrieval || !rag) {
      s.rag = { retrieval: "none", reason: "this node has no retrieval configured; it answered from its model alone" };
      return req.query.messages;
    }
    const { timeoutMs, ...params } = rag;
    const got = await retrieveForRound({
      retrieval,
      params,
      timeoutMs,
      roundId,
      queryCid: req.queryCid,
      query: req.query,
      seed: req.seed as Hex,
      seedBlock: BigInt(req.seedBlock.number),
      member: this.deps.signer.address,
      signal: opts.signal,
    });
    s.rag = got.evidence;
    return ragPrompt(req.query.messages, got.used);
  }

  private onReveal(env: Envelope, req: { commitments: Record<string, Hex> }): Envelope {
    const s = this.state(env.roundId, "reveal-request");
    const mine = (s.sent.get("answer-request")?.body as { commitment: Hex } | undefined)?.commitment;
    const listed = Object.entries(req.commitments).find(([a]) => isAddressEqual(a as Address, this.deps.signer.address))?.[1];
    if (!mine || listed !== mine) throw new ChorusError("PEER_BAD_MESSAGE", "the closed commitment set does not hold my commitment");
    s.received.push(stripAttachment(env));
    return this.reply(s, "reveal-request", "reveal", env.roundId, { answer: s.answer!, salt: s.salt!, ...(s.rag ? { rag: s.rag } : {}) });
  }

  private async onJudge(env: Envelope, req: JudgeRequest, opts: { signal?: AbortSignal }): Promise<Envelope> {
    const s = this.state(env.roundId, "judge-request");
    if (!s.sent.has("reveal-request")) throw new ChorusError("PEER_BAD_MESSAGE", "judging before my reveal");
    s.received.push(stripAttachment(env));
    const me = this.deps.signer.address;
    const pairs = Object.entries(req.assignments).find(([j]) => isAddressEqual(j as Address, me))?.[1] ?? [];
    const question = lastUserMessage(s.request);
    const text = (a: Address) => {
      const t = Object.entries(req.answers).find(([k]) => isAddressEqual(k as Address, a))?.[1];
      if (t === undefined) throw new ChorusError("PEER_BAD_MESSAGE", `pair names answer ${a} that the request does not carry`);
      return t;
    };
    const judgments = [];
    for (const [a, b] of pairs as [Address, Address][]) {
      if (isAddressEqual(a, me) || isAddressEqual(b, me)) throw new ChorusError("PEER_BAD_MESSAGE", "asked to judge my own answer");
      const r = await this.deps.mind.compare({ question, answerA: text(a), answerB: text(b) }, opts);
      judgments.push({ a, b, outcome: r.outcome });
    }
    const screens = [];
    if (req.screen && this.deps.mind.screen) {
      for (const [a, t] of Object.entries(req.answers)) {
        if (isAddressEqual(a as Address, me)) continue;
        screens.push({ answer: a as Address, verdict: await this.deps.mind.screen({ question, answer: t }, opts) });
      }
    }
    return this.reply(s, "judge-request", "judgments", env.roundId, { judgments, screens });
  }

  private async onSign(env: Envelope, req: { transcriptCid: string }, attachment: unknown): Promise<Envelope> {
    const s = this.state(env.roundId, "sign-request");
    const t = attachment as Transcript;
    if (!t || typeof t !== "object") throw new ChorusError("PEER_BAD_MESSAGE", "sign-request carries no transcript");
    const bytes = canonicalBytes(t);
    if (cidOfCanonical(bytes) !== req.transcriptCid) {
      throw new ChorusError("PEER_BAD_MESSAGE", `transcript does not match its CID ${req.transcriptCid}`);
    }
    if (t.roundId?.toLowerCase() !== env.roundId.toLowerCase() || t.queryCid !== s.request.queryCid) {
      throw new ChorusError("PEER_BAD_MESSAGE", "transcript is for another round or query");
    }
    // My own messages must be in it, unaltered, and so must the requests I answered.
    const me = this.deps.signer.address;
    const find = (list: Envelope[]) => list.find((e) => isAddressEqual(e.from as Address, me));
    for (const [requestKind, list] of [["answer-request", t.commits], ["reveal-request", t.reveals], ["judge-request", t.judgments]] as const) {
      const sent = s.sent.get(requestKind);
      const listed = find(list ?? []);
      if (sent && (!listed || JSON.stringify(listed) !== JSON.stringify(sent))) {
        throw new ChorusError("PEER_BAD_MESSAGE", `transcript misrepresents my ${requestKind.replace("-request", "")}`);
      }
    }
    const requests = [t.requests?.answer, t.requests?.reveal, t.requests?.judge];
    for (const [i, r] of s.received.entries()) {
      if (JSON.stringify(requests[i]) !== JSON.stringify(r)) throw new ChorusError("PEER_BAD_MESSAGE", "transcript misrepresents a request I answered");
    }
    const result = computeResult(t, this.deps.rules, {
      known: [...s.received, ...s.sent.values()],
      skipCommitSignatures: true,
      serviceDomain: this.deps.records.serviceDomain,
    });
    if (canonicalHash(result) !== canonicalHash(t.result)) {
      throw new ChorusError("PEER_BAD_MESSAGE", "the transcript's result is not what its judgments give");
    }
    const signature = this.deps.signer.signDigest(this.deps.records.digest(t, req.transcriptCid));
    // Keep a copy of what I signed; off the critical path of the reply.
    void this.deps.artifacts.putJson(t).catch(() => {});
    return this.reply(s, "sign-request", "record-signature", env.roundId, { signature });
  }

  private gc(): void {
    const now = (this.deps.now ?? Date.now)();
    const ttl = this.deps.roundTtlMs ?? 3_600_000;
    for (const [k, s] of this.rounds) if (now - s.createdAt > ttl) this.rounds.delete(k);
    const max = this.deps.maxRounds ?? 10_000;
    while (this.rounds.size >= max) this.rounds.delete(this.rounds.keys().next().value!);
  }
}

/** The committee snapshot an answer request carries (src/round/draw.ts checks it is its own draw). */
export function requestSnapshot(req: AnswerRequest): CommitteeSnapshot {
  return {
    seedBlock: req.seedBlock as CommitteeSnapshot["seedBlock"],
    seed: req.seed as Hex,
    period: req.period,
    size: req.committeeSize,
    totalStake: req.totalStake,
    minCommittee: req.minCommittee,
    candidates: req.candidates as CommitteeSnapshot["candidates"],
    members: req.committee as Address[],
    seats: req.seats,
  };
}

function lastUserMessage(req: AnswerRequest): string {
  const users = req.query.messages.filter((m) => m.role === "user");
  return (users.at(-1) ?? req.query.messages.at(-1)!).content;
}

function stripAttachment(env: Envelope): Envelope {
  const { attachment: _unused, ...rest } = env;
  return rest;
}
