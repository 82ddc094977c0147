/**
 * `stream: true`: a round answered as OpenAI's `chat.completion.chunk` server-sent events. The role chunk goes
 * out at once; while the round runs, SSE comments say it is still running (clients ignore them, proxies keep the
 * connection open); the winning answer follows as content chunks, then the final chunk with `finish_reason` and
 * the `chorus` object (round id, transcript CID ...), the usage chunk when `stream_options.include_usage`, and
 * `[DONE]`. An error after the headers went out is sent as a `data: {"error": ...}` event (what the SDKs read).
 */
import { randomBytes } from "node:crypto";
import type { Response } from "express";
import type { RoundOutcome } from "../../round/coordinator.js";
import { MODEL_ID } from "./request.js";
import { chorusObject, finishReasonOf, winnerUsage } from "./response.js";

/** Characters per content chunk (the answer exists whole once the round ends). */
const CHUNK_CHARS = 64;
/** Milliseconds between progress comments while the round runs. */
export const PROGRESS_MS = 1000;

export class CompletionStream {
  readonly id = `chatcmpl-${randomBytes(16).toString("hex")}`;
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(private readonly res: Response) {
    res.status(200);
    res.set({
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.flushHeaders();
    this.chunk({ role: "assistant", content: "" }, null);
    this.comment("chorus: round started");
    this.timer = setInterval(
      () => this.comment(`chorus: round running ${((Date.now() - this.started) / 1000).toFixed(1)} s`),
      PROGRESS_MS,
    );
    this.timer.unref();
  }

  private write(text: string) {
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(text);
  }

  comment(text: string) {
    this.write(`: ${text.replace(/[\r\n]+/g, " ")}\n\n`);
  }

  private chunk(delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) {
    this.frame([{ index: 0, delta, finish_reason: finish, logprobs: null }], extra);
  }

  /** One `chat.completion.chunk` event with these choices (none for the usage chunk) and extra fields. */
  private frame(choices: unknown[], extra: Record<string, unknown>) {
    const c = {
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: MODEL_ID,
      system_fingerprint: null,
      choices,
      ...extra,
    };
    this.write(`data: ${JSON.stringify(c)}\n\n`);
  }

  /** The round's answer, final chunk, optional usage chunk and `[DONE]`. */
  finish(out: RoundOutcome, settlement: string, includeUsage: boolean) {
    clearInterval(this.timer);
    const text = out.winnerAnswer;
    for (let i = 0; i < text.length; i += CHUNK_CHARS) this.chunk({ content: text.slice(i, i + CHUNK_CHARS) }, null);
    this.chunk({}, finishReasonOf(out), { chorus: chorusObject(out, settlement) });
    if (includeUsage) this.frame([], { usage: winnerUsage(out) });
    this.write("data: [DONE]\n\n");
    this.res.end();
  }

  /** The error as an event the SDKs raise, then the end of the stream. */
  fail(error: { message: string; type: string; code: string; param?: string | null }) {
    clearInterval(this.timer);
    this.write(`data: ${JSON.stringify({ error: { param: null, ...error } })}\n\n`);
    this.res.end();
  }

  stop() {
    clearInterval(this.timer);
  }
}
