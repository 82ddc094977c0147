/**
 * Adapts an InferenceBackend to the round protocol's `Mind` port: answering queries, comparing two answers
 * (one order per call; the round schedules the orders) and screening. The comparison result keeps the raw
 * reply and whether it was parsed, so unparsable verdicts can be recorded as such.
 */
import { compareAnswers, screenAnswer, type JudgeOptions } from "./judge/judge.js";
import type { Outcome } from "./judge/parse.js";
import type { ChatMessage, InferenceBackend } from "./types.js";

export interface BackendMind {
  answer(query: { messages: { role: string; content: string }[]; maxTokens: number }, opts: { signal?: AbortSignal }): Promise<string>;
  compare(input: { question: string; answerA: string; answerB: string }, opts: { signal?: AbortSignal }): Promise<{ outcome: Outcome; raw: string; parsed: boolean }>;
  screen(input: { question: string; answer: string }, opts: { signal?: AbortSignal }): Promise<"GOOD" | "BAD">;
}

export interface MindOptions {
  /** Deadline (ms) of one answer generation. Default: the backend's. */
  answerTimeoutMs?: number;
  /** Options of judge calls (maxTokens, timeoutMs, maxChars ...). */
  judge?: Omit<JudgeOptions, "signal">;
  /** Upper bound on answer tokens whatever the query asks. Default 1024. */
  maxAnswerTokens?: number;
}

export function mindFromBackend(backend: InferenceBackend, opts: MindOptions = {}): BackendMind {
  return {
    async answer(query, o) {
      const messages = query.messages.map((m) => ({ role: m.role, content: m.content })) as ChatMessage[];
      const r = await backend.chat(messages, {
        maxTokens: Math.min(query.maxTokens, opts.maxAnswerTokens ?? 1024),
        temperature: 0,
        signal: o.signal,
        timeoutMs: opts.answerTimeoutMs,
      });
      return r.text;
    },
    async compare(input, o) {
      const r = await compareAnswers(backend, input, { ...opts.judge, signal: o.signal });
      return { outcome: r.outcome, raw: r.raw, parsed: r.parsed };
    },
    async screen(input, o) {
      return (await screenAnswer(backend, input, { ...opts.judge, signal: o.signal })).verdict;
    },
  };
}
