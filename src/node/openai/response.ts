/**
 * What a round becomes for an OpenAI client: the completion (or its stream chunks) with the winner's answer, the
 * winner's own token counts (reported by its backend in its reveal), `finish_reason` `length` when the winner hit
 * the cap, and the `chorus` object that leads to the proof (round id, transcript CID, scores, what the whole
 * committee spent, and for RAG rounds the sources and contexts each member used).
 */
import type { RoundOutcome } from "../../round/coordinator.js";
import { MODEL_ID } from "./request.js";

interface RevealBody {
  answer: string;
  usage?: { promptTokens: number; completionTokens: number };
  finishReason?: "stop" | "length";
  rag?: {
    retrieval: string;
    reason?: string;
    used?: { source: string; id: string }[];
    served?: { statement?: { source?: string } }[];
  };
}

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

function revealOf(out: RoundOutcome, member: string): RevealBody | undefined {
  const env = out.transcript.reveals.find((e) => e.from.toLowerCase() === member.toLowerCase());
  return env?.body as RevealBody | undefined;
}

const usageOf = (p: number, c: number): OpenAIUsage => ({
  prompt_tokens: p,
  completion_tokens: c,
  total_tokens: p + c,
});

/**
 * The winner's token counts from its backend; a member that did not report them (an older node) is counted
 * as characters / 4, and `estimated` says so.
 */
export function winnerUsage(out: RoundOutcome): OpenAIUsage & { estimated?: true } {
  const r = revealOf(out, out.result.winner);
  if (r?.usage) return usageOf(r.usage.promptTokens, r.usage.completionTokens);
  const promptChars = out.transcript.query.messages.reduce((s, m) => s + m.content.length, 0);
  return { ...usageOf(Math.ceil(promptChars / 4), Math.ceil(out.winnerAnswer.length / 4)), estimated: true };
}

/** What the whole committee's answers cost (members that reported their counts; judging is not counted). */
export function committeeUsage(out: RoundOutcome): OpenAIUsage & { reported_by: number } {
  let p = 0;
  let c = 0;
  let n = 0;
  for (const env of out.transcript.reveals) {
    const u = (env.body as RevealBody).usage;
    if (!u) continue;
    p += u.promptTokens;
    c += u.completionTokens;
    n++;
  }
  return { ...usageOf(p, c), reported_by: n };
}

export function finishReasonOf(out: RoundOutcome): "stop" | "length" {
  return revealOf(out, out.result.winner)?.finishReason === "length" ? "length" : "stop";
}

/** For a RAG round: which sources and contexts each member used (from its reveal's evidence). */
export function ragOf(out: RoundOutcome) {
  if (!out.transcript.query.rag) return undefined;
  const members = out.transcript.reveals.map((env) => {
    const rag = (env.body as RevealBody).rag;
    return {
      member: env.from,
      retrieval: rag?.retrieval ?? "none",
      ...(rag?.reason ? { reason: rag.reason } : {}),
      contexts: (rag?.used ?? []).map((u) => ({ source: u.source, id: u.id })),
    };
  });
  const sources = [...new Set(members.flatMap((m) => m.contexts.map((c) => c.source.toLowerCase())))];
  const winner = members.find((m) => m.member.toLowerCase() === out.result.winner.toLowerCase());
  return { sources, winner_contexts: winner?.contexts ?? [], members };
}

/** A completion id unique per round: the whole round id (coordinator address and sequence). */
export function completionId(out: RoundOutcome): string {
  return `chatcmpl-${out.roundId.slice(2)}`;
}

export function chorusObject(out: RoundOutcome, settlement: string) {
  const rag = ragOf(out);
  return {
    round_id: out.roundId,
    query_cid: out.queryCid,
    transcript_cid: out.transcriptCid,
    winner: out.result.winner,
    scores: out.result.scores,
    ranking: out.result.ranking,
    committee_size: out.transcript.committee.members.length,
    answered: out.transcript.reveals.length,
    // sign-phase exclusions (a wrong record signature) are not in the transcript: the record commits to its CID
    excluded: [...out.transcript.excluded, ...out.signExcluded].map((e) => ({
      member: e.member,
      phase: e.phase,
      reason: e.reason,
    })),
    signatures: Object.keys(out.signatures).length,
    settlement,
    usage: committeeUsage(out),
    ...(rag ? { rag } : {}),
  };
}

export function completionOf(out: RoundOutcome, settlement: string) {
  return {
    id: completionId(out),
    object: "chat.completion",
    created: Math.floor(out.transcript.query.createdAt / 1000),
    model: MODEL_ID,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: out.winnerAnswer, refusal: null },
        finish_reason: finishReasonOf(out),
        logprobs: null,
      },
    ],
    usage: winnerUsage(out),
    chorus: chorusObject(out, settlement),
  };
}
