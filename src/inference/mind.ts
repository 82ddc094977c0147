/**
 * Adapts an InferenceBackend to the round protocol's `Mind` port: answering queries, comparing two answers
 * (one order per call; the round schedules the orders) and screening. The comparison result keeps the raw
 * reply and whether it was parsed, so unparsable verdicts can be recorded as such.
 */
import { compareAnswers, screenAnswer, type JudgeOptions } from "./judge/judge.js";
import type { Outcome } from "./judge/parse.js";
import { INFERENCE_ERRORS, inferenceError } from "./errors.js";
import { MAX_TOKENS, type ChatMessage, type ChatResult, type InferenceBackend } from "./types.js";

/** A query as the round's Mind port gives it (see src/round/ports.ts MindQuery). */
export interface AnswerQuery {
  messages: { role: string; content: string }[];
  maxTokens: number;
  params?: { temperature?: number; topP?: number; seed?: number; stop?: string[] };
}

export interface BackendMind {
  answer(query: AnswerQuery, opts: { signal?: AbortSignal }): Promise<string>;
  /** The answer with the backend's real token counts and finish reason (what the gateway reports as usage). */
  answerDetailed(
    query: AnswerQuery,
    opts: { signal?: AbortSignal },
  ): Promise<{ text: string; usage: ChatResult["usage"]; finishReason: ChatResult["finishReason"] }>;
  compare(
    input: { question: string; answerA: string; answerB: string },
    opts: { signal?: AbortSignal },
  ): Promise<{ outcome: Outcome; raw: string; parsed: boolean }>;
  screen(input: { question: string; answer: string }, opts: { signal?: AbortSignal }): Promise<"GOOD" | "BAD">;
}

export interface MindOptions {
  /** Deadline (ms) of one answer generation. Default: the backend's. */
  answerTimeoutMs?: number;
  /** Options of judge calls (maxTokens, timeoutMs, maxChars ...). */
  judge?: Omit<JudgeOptions, "signal">;
  /** Temperature of answers whose query names none. Default 0 (greedy). */
  temperature?: number;
  /** This member's seed for a query that names none (sampling differs between members running one model). */
  seedOf?: (query: AnswerQuery) => number;
  /**
   * Most answer tokens this member will generate (default MAX_TOKENS, the protocol's cap). A query asking for
   * more is refused with INFERENCE_BAD_INPUT naming both numbers, never cut silently.
   */
  maxAnswerTokens?: number;
}

export function mindFromBackend(backend: InferenceBackend, opts: MindOptions = {}): BackendMind {
  const answerDetailed: BackendMind["answerDetailed"] = async (query, o) => {
    const messages = query.messages.map((m) => ({ role: m.role, content: m.content })) as ChatMessage[];
    const p = query.params ?? {};
    const cap = opts.maxAnswerTokens ?? MAX_TOKENS;
    if (query.maxTokens > cap) {
      throw inferenceError(
        INFERENCE_ERRORS.BAD_INPUT,
        `the query asks for ${query.maxTokens} tokens; this member answers at most ${cap}`,
        { maxTokens: query.maxTokens, cap },
      );
    }
    const r = await backend.chat(messages, {
      maxTokens: query.maxTokens,
      // greedy (0) unless the client or the node's configuration asks otherwise: the same prompt gives the same text
      temperature: p.temperature ?? opts.temperature ?? 0,
      ...(p.topP !== undefined ? { topP: p.topP } : {}),
      ...(p.seed !== undefined ? { seed: p.seed } : opts.seedOf ? { seed: opts.seedOf(query) } : {}),
      ...(p.stop ? { stop: p.stop } : {}),
      signal: o.signal,
      timeoutMs: opts.answerTimeoutMs,
    });
    return { text: r.text, usage: r.usage, finishReason: r.finishReason };
  };
  return {
    async answer(query, o) {
      return (await answerDetailed(query, o)).text;
    },
    answerDetailed,
    async compare(input, o) {
      const r = await compareAnswers(backend, input, { ...opts.judge, signal: o.signal });
      return { outcome: r.outcome, raw: r.raw, parsed: r.parsed };
    },
    async screen(input, o) {
      return (await screenAnswer(backend, input, { ...opts.judge, signal: o.signal })).verdict;
    },
  };
}
