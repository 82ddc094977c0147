/**
 * The judge on top of any InferenceBackend: one pairwise comparison, both orders of a pair, and the GOOD/BAD
 * screen. Decoding is greedy (temperature 0) unless told otherwise, so a judge's verdicts are reproducible.
 *
 * Unparsable replies: a comparison reports `parsed: false` with `outcome` "tie" as a placeholder; a round member
 * records it as the distinct outcome `unparsable` together with the raw reply (src/round/member.ts), and the
 * consensus leaves it out of the fit and scores it at chance (docs/protocol.md); a screen counts as GOOD (`parsed: false`): the screen exists to drop clearly bad answers, and a judge
 * that cannot state a verdict is not evidence against the answer; letting judge failures disqualify answers
 * would let a broken judge knock out good ones, while the pairwise comparisons still rank them. The raw reply
 * is always returned so the transcript can record it.
 */
import type { ChatUsage, InferenceBackend } from "../types.js";
import { parseCompare, parseScreen, type Outcome, type Verdict } from "./parse.js";
import { comparePrompt, screenPrompt, type CompareInput, type ScreenInput } from "./prompts.js";

export interface JudgeOptions {
  /** Tokens for the judge's reply (a flaw sentence per answer + the verdict line). Default 160. */
  maxTokens?: number;
  /** Default 0 (greedy). */
  temperature?: number;
  seed?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Per-text character limit inside the prompt (question and each answer). Default 4000. */
  maxChars?: number;
}

export interface CompareResult {
  outcome: Outcome;
  /** The model's reply, verbatim. */
  raw: string;
  /** False when no verdict could be read and `outcome` is the default tie. */
  parsed: boolean;
  usage: ChatUsage;
}

export interface ScreenResult {
  verdict: Verdict;
  raw: string;
  /** False when no verdict could be read and `verdict` is the default GOOD. */
  parsed: boolean;
  usage: ChatUsage;
}

export interface BothOrdersResult {
  /** Asked with answerA as "A". */
  ab: CompareResult;
  /** Asked with answerB as "A" (its `outcome` is in the labels of that prompt). */
  ba: CompareResult;
  /** `ba`'s outcome translated back to the original labels. */
  baOriginal: Outcome;
  /** Whether both orders agree (in original labels). */
  consistent: boolean;
  /** The agreed outcome, or a tie when the orders disagree (position bias counts as no preference). */
  combined: Outcome;
}

const DEFAULT_JUDGE_TOKENS = 160;

/** Asks `backend` which of two answers is better, in the order given. */
export async function compareAnswers(
  backend: InferenceBackend,
  input: CompareInput,
  opts: JudgeOptions = {},
): Promise<CompareResult> {
  const r = await backend.chat(comparePrompt(input, { maxChars: opts.maxChars }), chatOptions(opts));
  const outcome = parseCompare(r.text);
  return { outcome: outcome ?? "tie", raw: r.text, parsed: outcome !== undefined, usage: r.usage };
}

/** Asks both orders (A,B) and (B,A), concurrently as the backend's limit allows, and combines them. */
export async function compareBothOrders(
  backend: InferenceBackend,
  input: CompareInput,
  opts: JudgeOptions = {},
): Promise<BothOrdersResult> {
  const [ab, ba] = await Promise.all([
    compareAnswers(backend, input, opts),
    compareAnswers(backend, { question: input.question, answerA: input.answerB, answerB: input.answerA }, opts),
  ]);
  const baOriginal = swap(ba.outcome);
  const consistent = ab.outcome === baOriginal;
  return { ab, ba, baOriginal, consistent, combined: consistent ? ab.outcome : "tie" };
}

/** Asks `backend` whether one answer is acceptable (GOOD) or disqualified (BAD). */
export async function screenAnswer(
  backend: InferenceBackend,
  input: ScreenInput,
  opts: JudgeOptions = {},
): Promise<ScreenResult> {
  const r = await backend.chat(screenPrompt(input, { maxChars: opts.maxChars }), chatOptions(opts));
  const verdict = parseScreen(r.text);
  return { verdict: verdict ?? "GOOD", raw: r.text, parsed: verdict !== undefined, usage: r.usage };
}

/** A ↔ B; a tie stays a tie. */
export function swap(o: Outcome): Outcome {
  return o === "A" ? "B" : o === "B" ? "A" : "tie";
}

function chatOptions(opts: JudgeOptions) {
  return {
    maxTokens: opts.maxTokens ?? DEFAULT_JUDGE_TOKENS,
    temperature: opts.temperature ?? 0,
    seed: opts.seed,
    signal: opts.signal,
    timeoutMs: opts.timeoutMs,
  };
}
