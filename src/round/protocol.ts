/**
 * The wire format of a round between nodes: message kinds, their bodies (validated with zod on receipt),
 * and the signed envelope around them. One coordinator request per phase is signed once and sent to every
 * member; each member answers with its own signed envelope.
 *
 *   coordinator -> members   answer-request   (query, committee, seed)        <- commit      (commitment)
 *   coordinator -> members   reveal-request   (closed set of commitments)     <- reveal      (answer, salt, RAG evidence)
 *   coordinator -> members   judge-request    (answers, pairs per judge)      <- judgments   (A/B/tie per pair, screens)
 *   coordinator -> members   sign-request     (transcript + record)           <- record-signature
 */
import { z } from "zod";

const hex = (bytes?: number) =>
  z.string().regex(bytes ? new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`) : /^0x[0-9a-fA-F]*$/, bytes ? `must be 0x + ${bytes * 2} hex digits` : "must be 0x hex");
export const Address = hex(20);
export const Bytes32 = hex(32);
export const Signature = hex(65);

export const ChatMessage = z
  .object({
    role: z.enum(["system", "user", "assistant"]),
    content: z.string().max(32_000),
  })
  .strict();

/** The query artifact (stored on IPFS; its CID is the query's identity). */
export const QueryDoc = z
  .object({
    type: z.literal("chorus/query@1"),
    messages: z.array(ChatMessage).min(1).max(64),
    maxTokens: z.number().int().min(1).max(4096),
    coordinator: Address,
    createdAt: z.number().int().min(0),
    rag: z.boolean(),
  })
  .strict();
export type QueryDoc = z.infer<typeof QueryDoc>;

export const Candidate = z.object({ address: Address, stake: z.string().regex(/^\d+$/), reputation: z.number().int().min(0).max(1_000_000) }).strict();

export const AnswerRequest = z
  .object({
    queryCid: z.string().min(1).max(128),
    query: QueryDoc,
    /** The batch's seed block; its hash is the batch seed (Settlement.openBatch). */
    seedBlock: z.object({ number: z.string().regex(/^\d+$/), hash: Bytes32 }).strict(),
    /** The round seed: keccak256(batch seed, round id). */
    seed: Bytes32,
    /** The batch's weight period: the draw weighs nodes as they were when it began. */
    period: z.number().int().min(1).max(0xffffffff),
    /** Expected seats of the committee (tau). */
    committeeSize: z.number().int().min(1).max(255),
    /** Total stake when the period began (token wei). */
    totalStake: z.string().regex(/^\d+$/).max(78),
    minCommittee: z.number().int().min(1).max(255),
    /** Every registered node with its eligible stake and reputation when the period began. */
    candidates: z.array(Candidate).max(1024),
    /** Every drawn node, sorted by address, and its seats. */
    committee: z.array(Address).min(1).max(255),
    seats: z.record(z.string(), z.number().int().min(1).max(255)),
    answerDeadline: z.number().int(),
  })
  .strict();
export type AnswerRequest = z.infer<typeof AnswerRequest>;

export const Commit = z.object({ commitment: Bytes32 }).strict();

export const RevealRequest = z.object({ commitments: z.record(z.string(), Bytes32) }).strict();

/** A data source as a member saw it on chain at the round's seed block (scores on the 1_000_000 scale). */
export const SourceInfo = z
  .object({
    address: Address,
    endpoint: z.string().min(1).max(2048),
    reliability: z.number().int().min(0).max(1_000_000),
    usefulness: z.number().int().min(0).max(1_000_000),
  })
  .strict();

/** A served context in its stored form: the score in integer micro-units [0, 1_000_000] (artifacts hold no floats). */
export const StoredContext = z
  .object({ id: z.string().min(1).max(512), doc: z.string().min(1).max(512), text: z.string().min(1).max(8000), score: z.number().int().min(0).max(1_000_000) })
  .strict();

/**
 * What a source served for one query in one round, in its stored (dag-json) form, whose CID the source signs
 * (src/source/served.ts `toWire` of src/rag/types.ts ServedDoc).
 */
export const StoredServed = z
  .object({
    type: z.literal("chorus/served@1"),
    source: Address,
    roundId: Bytes32,
    queryHash: Bytes32,
    manifestCid: z.string().min(1).max(128),
    k: z.number().int().min(1).max(32),
    contexts: z.array(StoredContext).max(32),
  })
  .strict();
export type StoredServed = z.infer<typeof StoredServed>;

export const SignedStored = z.object({ served: StoredServed, servedCid: z.string().min(1).max(128), signature: Signature }).strict();
export type SignedStored = z.infer<typeof SignedStored>;

/** The retrieval settings a member ran with (recorded so anyone can re-derive its draw and its rerank). */
export const RagParams = z
  .object({
    /** Sources drawn per round. */
    sources: z.number().int().min(0).max(32),
    /** Contexts asked from each source, and contexts put into the prompt. */
    k: z.number().int().min(1).max(32),
    /** Weight of on-chain reliability in the rerank, on the 1_000_000 scale (500_000 = 0.5; artifacts hold no floats). */
    reliabilityWeight: z.number().int().min(0).max(1_000_000),
    /** Lowest usefulness a source counts with in the draw (1_000_000 scale). */
    explorationFloor: z.number().int().min(0).max(1_000_000),
  })
  .strict();
export type RagParams = z.infer<typeof RagParams>;

export const SkippedSource = z
  .object({
    source: Address,
    reason: z.enum(["timeout", "unreachable", "malformed", "bad-signature", "wrong-binding"]),
    detail: z.string().max(1000),
  })
  .strict();

/**
 * What a member of a RAG round reveals next to its answer (and commits to with it): the sources listed on
 * chain, the served documents it verified (with the sources' signatures), the contexts it put into its
 * prompt (by source and id; their text is in the signed served documents) and the sources it skipped, with
 * why. A member without retrieval says so instead.
 */
export const RagEvidence = z.discriminatedUnion("retrieval", [
  z.object({ retrieval: z.literal("none"), reason: z.string().min(1).max(1000) }).strict(),
  z
    .object({
      retrieval: z.literal("sources"),
      params: RagParams,
      listed: z.array(SourceInfo).max(256),
      served: z.array(SignedStored).max(32),
      used: z.array(z.object({ source: Address, id: z.string().min(1).max(512) }).strict()).max(32),
      skipped: z.array(SkippedSource).max(32),
    })
    .strict(),
]);
export type RagEvidence = z.infer<typeof RagEvidence>;

export const Reveal = z.object({ answer: z.string().max(64_000), salt: Bytes32, rag: RagEvidence.optional() }).strict();
export type Reveal = z.infer<typeof Reveal>;

export const Outcome = z.enum(["A", "B", "tie"]);
export const JudgeRequest = z
  .object({
    answers: z.record(z.string(), z.string().max(64_000)),
    assignments: z.record(z.string(), z.array(z.tuple([Address, Address])).max(256)),
    screen: z.boolean(),
  })
  .strict();
export type JudgeRequest = z.infer<typeof JudgeRequest>;
export const Judgments = z
  .object({
    judgments: z.array(z.object({ a: Address, b: Address, outcome: Outcome, raw: z.string().max(4000).optional() }).strict()).max(256),
    screens: z.array(z.object({ answer: Address, verdict: z.enum(["GOOD", "BAD"]) }).strict()).max(64),
  })
  .strict();
export type Judgments = z.infer<typeof Judgments>;

/** The transcript itself travels as the envelope's attachment: the signed CID commits to it. */
export const SignRequest = z.object({ transcriptCid: z.string().min(1).max(128) }).strict();
export const RecordSignature = z.object({ signature: Signature }).strict();

export const Envelope = z
  .object({
    kind: z.string().min(1).max(32),
    roundId: Bytes32,
    from: Address,
    body: z.unknown(),
    signature: Signature,
    /** Unsigned payload whose hash the signed body names (the transcript of a sign-request). */
    attachment: z.unknown().optional(),
  })
  .strict();

/** The body schema of each message kind. */
export const BODY: Record<string, z.ZodType> = {
  "answer-request": AnswerRequest,
  commit: Commit,
  "reveal-request": RevealRequest,
  reveal: Reveal,
  "judge-request": JudgeRequest,
  judgments: Judgments,
  "sign-request": SignRequest,
  "record-signature": RecordSignature,
};
