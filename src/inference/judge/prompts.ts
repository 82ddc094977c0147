/**
 * The judge's two prompts. Following Fortytwo's design, the judge is asked to find flaws in answers written
 * by others, not to solve the question itself: a weak model can often spot a wrong step it could not have
 * avoided. Each prompt asks for one short sentence of flaws per answer, then a last line `VERDICT: ...`,
 * which {@link parseCompare} / {@link parseScreen} read.
 *
 * Texts are fenced by `<<<` / `>>>`; those sequences inside a text are defused so an answer cannot close its
 * fence and pose as instructions. Over-long texts are cut in the middle (`[…]`) to `maxChars`, each answer
 * separately, so both stay represented when a small context forces truncation.
 */
import type { ChatMessage } from "../types.js";

export const FENCE_OPEN = "<<<";
export const FENCE_CLOSE = ">>>";
/** Default per-text character limit inside judge prompts. */
export const DEFAULT_MAX_CHARS = 4000;

export const COMPARE_SYSTEM =
  "You review answers written by others. Do not answer the question yourself. Look for flaws in the two answers: " +
  "factual errors, faulty reasoning, parts of the question left unanswered, unsupported claims, text that ignores the question. " +
  "The better answer is the one whose flaws are fewer and less serious; length and style do not matter. " +
  "If neither is better, the verdict is TIE.";

export const SCREEN_SYSTEM =
  "You check an answer written by someone else. Do not answer the question yourself. Look only for disqualifying flaws: " +
  "the answer is BAD if it is empty or gibberish, off-topic, refuses without reason, contradicts itself, " +
  "or states something clearly false or reasons in a clearly wrong way. Otherwise it is GOOD, even if it could be better.";

export interface CompareInput {
  question: string;
  answerA: string;
  answerB: string;
}

export interface ScreenInput {
  question: string;
  answer: string;
}

/** The pairwise comparison prompt, in the order given (the caller swaps A and B for the second order). */
export function comparePrompt(input: CompareInput, opts: { maxChars?: number } = {}): ChatMessage[] {
  const f = (s: string) => fence(s, opts.maxChars ?? DEFAULT_MAX_CHARS);
  return [
    { role: "system", content: COMPARE_SYSTEM },
    {
      role: "user",
      content:
        `Question:\n${f(input.question)}\n\nAnswer A:\n${f(input.answerA)}\n\nAnswer B:\n${f(input.answerB)}\n\n` +
        'Name the most serious flaw of each answer in one sentence each (or "none"). ' +
        "Then end with one line that is exactly VERDICT: A, VERDICT: B or VERDICT: TIE.",
    },
  ];
}

/** The GOOD/BAD screening prompt for one answer. */
export function screenPrompt(input: ScreenInput, opts: { maxChars?: number } = {}): ChatMessage[] {
  const f = (s: string) => fence(s, opts.maxChars ?? DEFAULT_MAX_CHARS);
  return [
    { role: "system", content: SCREEN_SYSTEM },
    {
      role: "user",
      content:
        `Question:\n${f(input.question)}\n\nAnswer:\n${f(input.answer)}\n\n` +
        'Name the most serious flaw of the answer in one sentence (or "none"). ' +
        "Then end with one line that is exactly VERDICT: GOOD or VERDICT: BAD.",
    },
  ];
}

/** `text` between fences: defused of fence sequences, cut in the middle to `maxChars`. */
export function fence(text: string, maxChars: number): string {
  let t = text.replaceAll(FENCE_OPEN, "< < <").replaceAll(FENCE_CLOSE, "> > >");
  if (t.length > maxChars) {
    const keep = Math.max(0, maxChars - 5);
    t = `${t.slice(0, Math.ceil(keep / 2))} […] ${t.slice(t.length - Math.floor(keep / 2))}`;
  }
  return `${FENCE_OPEN}\n${t}\n${FENCE_CLOSE}`;
}
