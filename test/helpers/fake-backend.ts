/**
 * Deterministic fake models for tests (they live only under test/). They extend the real BaseBackend, so
 * concurrency limits, queueing, deadlines, cancellation and typed errors behave exactly as with the gguf and
 * openai backends; only the text comes from a function instead of a model.
 *
 *   new FakeBackend({ reply: (messages) => "..." , delayMs: 50, concurrency: 2 })
 *   fakeJudge((a, b) => (a.length >= b.length ? "A" : "B"))   // answers the judge prompts of src/inference
 *   scriptedBackend(["first reply", "second reply"])           // replies in order, then repeats the last
 */
import {
  BaseBackend,
  FENCE_CLOSE,
  FENCE_OPEN,
  type BackendLimits,
  type ChatMessage,
  type ChatResult,
  type GenerateOptions,
  type Outcome,
} from "../../src/inference/index.js";

export type FakeReply = (messages: ChatMessage[], opts: GenerateOptions) => string | Promise<string>;

export interface FakeBackendOptions extends BackendLimits {
  /** Shown as `fake:<name>`. Default "model". */
  name?: string;
  /** The reply. Default: `fake answer to: <last user message>` (deterministic). */
  reply?: FakeReply;
  /** Simulated generation time (ms); the wait ends early, with an abort, when the request's signal fires. */
  delayMs?: number;
  /** Throw this instead of replying (after the delay), e.g. to test error paths. */
  failWith?: (messages: ChatMessage[]) => Error | undefined;
}

export interface FakeCall {
  messages: ChatMessage[];
  opts: Omit<GenerateOptions, "signal">;
}

export class FakeBackend extends BaseBackend {
  readonly name: string;
  /** Every request that reached generation, in order. */
  readonly calls: FakeCall[] = [];
  /** Requests that were aborted (deadline, caller or close) while generating. */
  aborted = 0;

  constructor(private readonly opts: FakeBackendOptions = {}) {
    super(opts);
    this.name = `fake:${opts.name ?? "model"}`;
  }

  protected async generate(messages: ChatMessage[], opts: GenerateOptions): Promise<ChatResult> {
    this.calls.push({
      messages: structuredClone(messages),
      opts: { maxTokens: opts.maxTokens, temperature: opts.temperature, seed: opts.seed },
    });
    if (this.opts.delayMs)
      await sleep(this.opts.delayMs, opts.signal).catch((err) => ((this.aborted += 1), Promise.reject(err)));
    const failure = this.opts.failWith?.(messages);
    if (failure) throw failure;
    const full = await (this.opts.reply ?? defaultReply)(messages, opts);
    const words = full.split(/(\s+)/);
    const capped = words.filter((w) => w.trim()).length > opts.maxTokens;
    const text = capped ? takeWords(words, opts.maxTokens) : full;
    return {
      text,
      usage: { promptTokens: countWords(messages.map((m) => m.content).join(" ")), completionTokens: countWords(text) },
      model: this.name,
      finishReason: capped ? "length" : "stop",
      truncatedTokens: 0,
    };
  }

  protected async dispose(): Promise<void> {}
}

/**
 * A judge that understands the prompts of src/inference/judge: comparisons get `VERDICT: <prefer(A, B)>`,
 * screens get `VERDICT: <screen(answer)>` (GOOD by default). `raw` replaces the reply entirely (e.g. to test
 * unparsable output).
 */
export function fakeJudge(
  prefer: (answerA: string, answerB: string, question: string) => Outcome,
  opts: FakeBackendOptions & {
    screen?: (answer: string, question: string) => "GOOD" | "BAD";
    raw?: (kind: "compare" | "screen") => string | undefined;
  } = {},
): FakeBackend {
  return new FakeBackend({
    name: "judge",
    ...opts,
    reply: (messages) => {
      const user = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
      const question = fenced(user, "Question:");
      if (user.includes("Answer A:")) {
        const override = opts.raw?.("compare");
        if (override !== undefined) return override;
        const o = prefer(fenced(user, "Answer A:"), fenced(user, "Answer B:"), question);
        return `A: none. B: none.\nVERDICT: ${o === "tie" ? "TIE" : o}`;
      }
      const override = opts.raw?.("screen");
      if (override !== undefined) return override;
      return `Flaw: none.\nVERDICT: ${opts.screen?.(fenced(user, "Answer:"), question) ?? "GOOD"}`;
    },
  });
}

/** Replies with `replies[i]` to the i-th request, repeating the last one afterwards. */
export function scriptedBackend(replies: string[], opts: FakeBackendOptions = {}): FakeBackend {
  let i = 0;
  return new FakeBackend({ name: "scripted", ...opts, reply: () => replies[Math.min(i++, replies.length - 1)] });
}

function defaultReply(messages: ChatMessage[]): string {
  const last = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
  return `fake answer to: ${last}`;
}

/** The text fenced after `label` in a judge prompt. */
function fenced(prompt: string, label: string): string {
  const start = prompt.indexOf(`${label}\n${FENCE_OPEN}\n`);
  if (start < 0) return "";
  const from = start + label.length + FENCE_OPEN.length + 2;
  const end = prompt.indexOf(`\n${FENCE_CLOSE}`, from);
  return end < 0 ? "" : prompt.slice(from, end);
}

function countWords(s: string): number {
  return s.split(/\s+/).filter(Boolean).length;
}

function takeWords(parts: string[], n: number): string {
  let out = "";
  let k = 0;
  for (const p of parts) {
    if (p.trim()) {
      if (k === n) break;
      k++;
    }
    out += p;
  }
  return out.trimEnd();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
