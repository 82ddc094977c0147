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
import { SERVED_TYPE } from "./rag-types.js";

/**
 * A strict object: unknown fields are refused, and the refusal counts them instead of quoting them (zod's
 * own message quotes every unknown key; a peer's key can be megabytes, and refusals end up in transcripts).
 */
export function strict<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys" ? `has ${iss.keys.length} field(s) the protocol does not define` : undefined,
  });
}

const hex = (bytes?: number) =>
  z
    .string()
    .regex(
      bytes ? new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`) : /^0x[0-9a-fA-F]*$/,
      bytes ? `must be 0x + ${bytes * 2} hex digits` : "must be 0x hex",
    );
export const Address = hex(20);
export const Bytes32 = hex(32);
export const Signature = hex(65);

export const ChatMessage = strict({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string().max(32_000),
});

/** The query artifact (stored on IPFS; its CID is the query's identity). */
export const QueryDoc = strict({
  type: z.literal("chorus/query@1"),
  messages: z.array(ChatMessage).min(1).max(64),
  maxTokens: z.number().int().min(1).max(4096),
  coordinator: Address,
  createdAt: z.number().int().min(0),
  rag: z.boolean(),
  /**
   * Sampling parameters the client asked for (OpenAI names in camel case); every member passes them to its
   * backend. Absent in queries from before they existed, so old transcripts replay unchanged.
   */
  params: strict({
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().min(0).max(1).optional(),
    seed: z
      .number()
      .int()
      .min(-(2 ** 53) + 1)
      .max(2 ** 53 - 1)
      .optional(),
    stop: z.array(z.string().min(1).max(256)).min(1).max(4).optional(),
  }).optional(),
});
export type QueryDoc = z.infer<typeof QueryDoc>;

export const Candidate = strict({
  address: Address,
  stake: z.string().regex(/^\d+$/),
  reputation: z.number().int().min(0).max(1_000_000),
});

export const AnswerRequest = strict({
  queryCid: z.string().min(1).max(128),
  query: QueryDoc,
  /** The batch's seed block; its hash is the batch seed (Settlement.openBatch). */
  seedBlock: strict({ number: z.string().regex(/^\d+$/), hash: Bytes32 }),
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
});
export type AnswerRequest = z.infer<typeof AnswerRequest>;

export const Commit = strict({ commitment: Bytes32 });

export const RevealRequest = strict({ commitments: z.record(z.string(), Bytes32) });

/** A data source as a member saw it on chain at the round's seed block (scores on the 1_000_000 scale). */
export const SourceInfo = strict({
  address: Address,
  endpoint: z.string().min(1).max(2048),
  reliability: z.number().int().min(0).max(1_000_000),
  usefulness: z.number().int().min(0).max(1_000_000),
});

/** Largest k a source serves. */
export const MAX_K = 32;
/** Longest context text a member accepts (chunks are at most 8000 characters). */
export const MAX_CONTEXT_CHARS = 8_000;
/** Stored scores are integers in micro-units: SERVED_SCORE_SCALE stands for a score of 1. */
export const SERVED_SCORE_SCALE = 1_000_000;

/** A served context in its stored form: the score in integer micro-units [0, 1_000_000] (artifacts hold no floats). */
export const StoredContext = strict({
  id: z.string().min(1).max(512),
  doc: z.string().min(1).max(512),
  text: z.string().min(1).max(MAX_CONTEXT_CHARS),
  score: z.number().int().min(0).max(SERVED_SCORE_SCALE),
});

/**
 * What a source served for one query in one round, in its stored (dag-json) form, whose CID the source signs: the
 * one schema of a served document on the wire, on IPFS and in transcripts (src/protocol/served.ts `toWire` /
 * `fromWire` convert to and from src/protocol/rag-types.ts ServedDoc, its in-memory form with [0, 1] scores).
 */
export const StoredServed = strict({
  type: z.literal(SERVED_TYPE),
  source: Address,
  roundId: Bytes32,
  queryHash: Bytes32,
  manifestCid: z.string().min(1).max(128),
  k: z.number().int().min(1).max(MAX_K),
  contexts: z.array(StoredContext).max(MAX_K),
});
export type StoredServed = z.infer<typeof StoredServed>;

export const SignedStored = strict({
  served: StoredServed,
  servedCid: z.string().min(1).max(128),
  signature: Signature,
});
export type SignedStored = z.infer<typeof SignedStored>;

/** The retrieval settings a member ran with (recorded so anyone can re-derive its draw and its rerank). */
export const RagParams = strict({
  /** Sources drawn per round. */
  sources: z.number().int().min(0).max(32),
  /** Contexts asked from each source, and contexts put into the prompt. */
  k: z.number().int().min(1).max(32),
  /** Weight of on-chain reliability in the rerank, on the 1_000_000 scale (500_000 = 0.5; artifacts hold no floats). */
  reliabilityWeight: z.number().int().min(0).max(1_000_000),
  /** Lowest usefulness a source counts with in the draw (1_000_000 scale). */
  explorationFloor: z.number().int().min(0).max(1_000_000),
});
export type RagParams = z.infer<typeof RagParams>;

export const SkippedSource = strict({
  source: Address,
  reason: z.enum(["timeout", "unreachable", "malformed", "bad-signature", "wrong-binding"]),
  detail: z.string().max(1000),
});

/**
 * What a member of a RAG round reveals next to its answer (and commits to with it): the sources listed on
 * chain, the served documents it verified (with the sources' signatures), the contexts it put into its
 * prompt (by source and id; their text is in the signed served documents) and the sources it skipped, with
 * why. A member without retrieval says so instead.
 */
export const RagEvidence = z.discriminatedUnion("retrieval", [
  strict({ retrieval: z.literal("none"), reason: z.string().min(1).max(1000) }),
  strict({
    retrieval: z.literal("sources"),
    params: RagParams,
    listed: z.array(SourceInfo).max(256),
    served: z.array(SignedStored).max(32),
    used: z.array(strict({ source: Address, id: z.string().min(1).max(512) })).max(32),
    skipped: z.array(SkippedSource).max(32),
  }),
]);
export type RagEvidence = z.infer<typeof RagEvidence>;

export const Reveal = strict({
  answer: z.string().max(64_000),
  salt: Bytes32,
  rag: RagEvidence.optional(),
  /** The member's backend's own token counts and why generation ended (self-reported, outside the commitment). */
  usage: strict({
    promptTokens: z.number().int().min(0).max(10_000_000),
    completionTokens: z.number().int().min(0).max(10_000_000),
  }).optional(),
  finishReason: z.enum(["stop", "length"]).optional(),
});
export type Reveal = z.infer<typeof Reveal>;

export const Outcome = z.enum(["A", "B", "tie"]);
/** A judgment's outcome: a verdict, or `unparsable` (the judge's reply held none; `raw` keeps the reply). */
export const JudgedOutcome = z.enum(["A", "B", "tie", "unparsable"]);
export const JudgeRequest = strict({
  answers: z.record(z.string(), z.string().max(64_000)),
  assignments: z.record(z.string(), z.array(z.tuple([Address, Address])).max(256)),
  screen: z.boolean(),
});
export type JudgeRequest = z.infer<typeof JudgeRequest>;
/** Longest raw judge reply a judgment keeps (a longer one is cut to this many characters). */
export const RAW_VERDICT_MAX = 4000;
export const Judgments = strict({
  judgments: z
    .array(strict({ a: Address, b: Address, outcome: JudgedOutcome, raw: z.string().max(RAW_VERDICT_MAX).optional() }))
    .max(256),
  screens: z.array(strict({ answer: Address, verdict: z.enum(["GOOD", "BAD"]) })).max(64),
});
export type Judgments = z.infer<typeof Judgments>;

/** The transcript itself travels as the envelope's attachment: the signed CID commits to it. */
export const SignRequest = strict({ transcriptCid: z.string().min(1).max(128) });
export const RecordSignature = strict({ signature: Signature });

export const Envelope = strict({
  kind: z.string().min(1).max(32),
  roundId: Bytes32,
  from: Address,
  body: z.unknown(),
  signature: Signature,
  /** Unsigned payload whose hash the signed body names (the transcript of a sign-request). */
  attachment: z.unknown().optional(),
});

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

const KIB = 1024;
const MIB = 1024 * KIB;
/** The artifact store's limit on one document (src/core/codec.ts DEFAULT_MAX_BYTES): a transcript must fit in it. */
export const ARTIFACT_LIMIT_BYTES = 4 * MIB;

/**
 * Largest HTTP body a member reads for each request kind, enforced by the HTTP layer while the body streams
 * in, before any parsing. An honest round's requests sit far below: the transcript (query twice, answers
 * twice, every request and reply) must fit in one artifact, so no single request can use half of it, and
 * the sign-request (its attachment is that transcript) stays within the artifact limit.
 */
export const PEER_BODY_LIMITS: Readonly<Record<string, number>> = {
  "answer-request": 2 * MIB,
  "reveal-request": 64 * KIB,
  "judge-request": 2 * MIB,
  "sign-request": ARTIFACT_LIMIT_BYTES,
};

/**
 * Longest exclusion reason a transcript may hold. Reasons are made from fixed text, addresses, endpoints
 * (at most 256 bytes on chain, shown as excerpts) and short excerpts of a peer's words; see `clipReason`.
 */
export const REASON_MAX = 1000;
/** Longest excerpt of a peer's own text (an error message it sent) that may enter a reason. */
export const EXCERPT_MAX = 80;

/**
 * A short, escaped excerpt of text a peer controls: at most `max` characters, anything outside printable
 * ASCII escaped (JSON style), marked when cut. Use it whenever a peer's text goes into a message or reason.
 */
export function excerpt(text: unknown, max = EXCERPT_MAX): string {
  const s = typeof text === "string" ? text : String(text);
  const cut = s.length > max;
  const escaped = JSON.stringify(s.slice(0, max))
    .slice(1, -1)
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `${escaped.slice(0, max * 2)}${cut ? `… (${s.length} chars)` : ""}`;
}

/** An exclusion reason clipped to REASON_MAX (a coordinator applies it to every reason it records). */
export function clipReason(reason: string): string {
  return reason.length <= REASON_MAX ? reason : `${reason.slice(0, REASON_MAX - 20)}… (clipped)`;
}

/** A judge's verdict on one ordered pair: answer A better, B better, or a tie. */
export type Outcome = "A" | "B" | "tie";
/** What a judgment records: a verdict, or `unparsable` when the model gave none that could be read. */
export type JudgedOutcome = Outcome | "unparsable";
