/**
 * Fitting a prompt into a model's context. When the rendered prompt has more tokens than `budget`, the middle
 * of the longest message is replaced by an elision mark ("[…]"), keeping its beginning and its end (where
 * questions and instructions usually are), and the prompt is measured again, until it fits. System messages
 * are shortened only when no other message can be. A prompt that cannot fit (the chat template alone is too
 * long) is INFERENCE_BAD_INPUT.
 */
import { INFERENCE_ERRORS, inferenceError } from "./errors.js";
import type { ChatMessage } from "./types.js";

export const ELISION = " […] ";
const MIN_KEEP_CHARS = 16;

export interface Fitted {
  messages: ChatMessage[];
  /** Tokens of the fitted prompt. */
  promptTokens: number;
  /** Tokens removed (0 when the prompt fit as it was). */
  removedTokens: number;
}

/** Shortens `messages` until `count(messages) <= budget`. `count` gives the rendered prompt's token count. */
export function fitMessages(messages: ChatMessage[], budget: number, count: (m: ChatMessage[]) => number): Fitted {
  const original = count(messages);
  const current = messages.map((m) => ({ ...m }));
  let tokens = original;
  for (let round = 0; tokens > budget && round < 24; round++) {
    const i = pickLongest(current);
    if (i < 0) break;
    const text = current[i].content;
    const over = tokens - budget;
    // Characters per token in this message, estimated from the whole prompt; cut a little more than needed.
    const perToken = Math.max(1, charsOf(current) / Math.max(1, tokens));
    const cut = Math.min(text.length - MIN_KEEP_CHARS, Math.ceil((over + 2) * perToken * 1.15) + ELISION.length);
    const keep = text.length - cut;
    const head = Math.ceil(keep / 2);
    const tail = keep - head;
    current[i] = {
      ...current[i],
      content: text.slice(0, head) + ELISION + (tail > 0 ? text.slice(text.length - tail) : ""),
    };
    tokens = count(current);
  }
  if (tokens > budget) {
    throw inferenceError(
      INFERENCE_ERRORS.BAD_INPUT,
      `the prompt does not fit the context: ${tokens} tokens after truncation, budget ${budget}`,
      {
        promptTokens: tokens,
        budget,
      },
    );
  }
  return { messages: current, promptTokens: tokens, removedTokens: Math.max(0, original - tokens) };
}

/** Index of the longest shortenable message, preferring non-system ones; -1 if none can shrink. */
function pickLongest(messages: ChatMessage[]): number {
  let best = -1;
  for (const system of [false, true]) {
    for (let i = 0; i < messages.length; i++) {
      if ((messages[i].role === "system") !== system) continue;
      if (messages[i].content.length <= MIN_KEEP_CHARS + ELISION.length) continue;
      if (best < 0 || messages[i].content.length > messages[best].content.length) best = i;
    }
    if (best >= 0) return best;
  }
  return best;
}

function charsOf(messages: ChatMessage[]): number {
  return messages.reduce((s, m) => s + m.content.length, 0);
}
