/**
 * The wire format of a round between nodes: message kinds, their bodies (validated with zod on receipt),
 * and the signed envelope around them. One coordinator request per phase is signed once and sent to every
 * member; each member answers with its own signed envelope.
 *
 *   coordinator -> members   answer-request   (query, committee, seed)        <- commit      (commitment)
 *   coordinator -> members   reveal-request   (closed set of commitments)     <- reveal      (answer, salt)
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
    seedBlock: z.object({ number: z.string().regex(/^\d+$/), hash: Bytes32 }).strict(),
    seed: Bytes32,
    committeeSize: z.number().int().min(1).max(64),
    candidates: z.array(Candidate).max(1024),
    committee: z.array(Address).min(1).max(64),
    answerDeadline: z.number().int(),
  })
  .strict();
export type AnswerRequest = z.infer<typeof AnswerRequest>;

export const Commit = z.object({ commitment: Bytes32 }).strict();

export const RevealRequest = z.object({ commitments: z.record(z.string(), Bytes32) }).strict();
export const Reveal = z.object({ answer: z.string().max(64_000), salt: Bytes32 }).strict();

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
