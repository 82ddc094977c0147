/**
 * The round transcript's wire schema: every field, every envelope with its kind's body schema, every list
 * bounded by the committee's largest size, exclusion reasons bounded. A member validates a transcript it is
 * asked to sign against it before computing anything; a transcript with an unknown field (padding) or an
 * oversized part is refused, never signed or pinned.
 */
import { z } from "zod";
import { ChorusError } from "../core/index.js";
import {
  Address,
  AnswerRequest,
  Bytes32,
  Candidate,
  Commit,
  Judgments,
  JudgeRequest,
  QueryDoc,
  REASON_MAX,
  Reveal,
  RevealRequest,
  Signature,
  strict,
} from "./wire.js";
import { TRANSCRIPT_TYPE, type Transcript } from "./transcript.js";

/** Largest committee (AnswerRequest.committee). */
const MAX_COMMITTEE = 255;

function envelopeOf<K extends string, B extends z.ZodType>(kind: K, body: B) {
  return strict({ kind: z.literal(kind), roundId: Bytes32, from: Address, body, signature: Signature });
}

const RoundSourceSchema = strict({
  source: Address,
  reliability: z.number().int(),
  usefulness: z.number().int(),
  servedCid: z.string().min(1).max(128),
  signature: Signature,
});

export const RoundResultSchema = strict({
  scores: z.record(Address, z.number()),
  ranking: z.array(Address).max(MAX_COMMITTEE),
  winner: Address,
  deltas: z.record(Address, z.number().int()),
  sources: z
    .array(RoundSourceSchema)
    .max(MAX_COMMITTEE * 32)
    .optional(),
});

export const ExclusionSchema = strict({
  member: Address,
  phase: z.enum(["answer", "reveal", "judge", "sign"]),
  reason: z.string().max(REASON_MAX),
  evidence: z.union([envelopeOf("reveal", Reveal), z.null()]).optional(),
});

export const TranscriptSchema = strict({
  type: z.literal(TRANSCRIPT_TYPE),
  roundId: Bytes32,
  chainId: z.number().int().min(1),
  registry: Address,
  coordinator: Address,
  queryCid: z.string().min(1).max(128),
  query: QueryDoc,
  committee: strict({
    seedBlock: strict({ number: z.string().regex(/^\d+$/), hash: Bytes32 }),
    seed: Bytes32,
    period: z.number().int().min(1).max(0xffffffff),
    size: z.number().int().min(1).max(MAX_COMMITTEE),
    totalStake: z.string().regex(/^\d+$/).max(78),
    minCommittee: z.number().int().min(1).max(MAX_COMMITTEE),
    candidates: z.array(Candidate).max(1024),
    members: z.array(Address).min(1).max(MAX_COMMITTEE),
    seats: z.record(z.string(), z.number().int().min(1).max(255)),
  }),
  requests: strict({
    answer: envelopeOf("answer-request", AnswerRequest),
    reveal: envelopeOf("reveal-request", RevealRequest),
    judge: envelopeOf("judge-request", JudgeRequest),
  }),
  commits: z.array(envelopeOf("commit", Commit)).max(MAX_COMMITTEE),
  reveals: z.array(envelopeOf("reveal", Reveal)).max(MAX_COMMITTEE),
  judgments: z.array(envelopeOf("judgments", Judgments)).max(MAX_COMMITTEE),
  // Each member is excluded at most once per phase.
  excluded: z.array(ExclusionSchema).max(MAX_COMMITTEE * 4),
  gold: strict({
    asOfBlock: z.string().regex(/^\d+$/).max(78),
    standings: z.record(Address, z.number().int().min(-1_000_000).max(1_000_000)),
  }).optional(),
  result: RoundResultSchema,
});

/**
 * Parses a transcript strictly (see TranscriptSchema), returning a rebuilt copy; throws ChorusError
 * PEER_BAD_TRANSCRIPT naming the first failing path (never quoting its content).
 */
export function parseTranscript(raw: unknown): Transcript {
  const r = TranscriptSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const path = i.path.map(String).join(".").slice(0, 120) || "transcript";
    throw new ChorusError("PEER_BAD_TRANSCRIPT", `transcript ${path}: ${i.message.slice(0, 160)}`, { path });
  }
  return r.data as unknown as Transcript;
}
