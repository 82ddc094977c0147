/**
 * A chat completion request as OpenAI clients send it (the official SDKs, LangChain, agent frameworks), checked
 * with zod and turned into the swarm's query. Accepted where OpenAI accepts them: text parts arrays, the
 * `developer` and `tool` roles, an assistant message with `content: null`. Passed to every member through the
 * query document: `stop`, `seed`, `temperature`, `top_p`, `max_tokens`. Refused with a 400 naming the parameter
 * in `param` (never dropped in silence): tools and function calling, `response_format` other than text,
 * `n > 1`, logprobs, penalties and logit bias, audio output, image / audio / file parts.
 */
import { z } from "zod";
import { ChorusError, plainText } from "../../core/index.js";

export const MODEL_ID = "chorus-swarm";
const MAX_CONTENT = 32_000;

const TextPart = z.object({ type: z.literal("text"), text: z.string({ error: "must be a string" }) }).strip();
const AnyPart = z.object({ type: z.string({ error: "must be a string" }) }).loose();
const Content = z.union([z.string(), z.array(AnyPart).max(64), z.null()], {
  error: "must be a string or an array of content parts",
});

const Message = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant", "tool"], {
      error: "must be system, developer, user, assistant or tool",
    }),
    content: Content.optional(),
    name: z.string().max(64).optional(),
    tool_call_id: z.string().max(256).optional(),
    tool_calls: z.array(z.unknown()).max(64).optional(),
  })
  .strip();

const Stop = z.union([
  z.string().min(1).max(256),
  z.array(z.string().min(1).max(256)).min(1).max(4, "holds at most 4 sequences"),
]);

export const ChatRequest = z
  .object({
    model: z.string().min(1).max(128).optional(),
    messages: z.array(Message).min(1, "must hold at least one message").max(64),
    max_tokens: z.number().int().min(1).max(4096).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).max(4096).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    seed: z
      .number()
      .int()
      .min(-(2 ** 53) + 1)
      .max(2 ** 53 - 1)
      .nullable()
      .optional(),
    stop: Stop.nullable().optional(),
    n: z.number().int().min(1).max(128).nullable().optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).strip().nullable().optional(),
    user: z.string().max(256).optional(),
    // accepted when they ask for nothing the swarm cannot do; refused below otherwise
    tools: z.array(z.unknown()).optional(),
    tool_choice: z.unknown().optional(),
    parallel_tool_calls: z.boolean().optional(),
    functions: z.array(z.unknown()).optional(),
    function_call: z.unknown().optional(),
    response_format: z.object({ type: z.string() }).loose().nullable().optional(),
    logprobs: z.boolean().nullable().optional(),
    top_logprobs: z.number().int().nullable().optional(),
    presence_penalty: z.number().nullable().optional(),
    frequency_penalty: z.number().nullable().optional(),
    logit_bias: z.record(z.string(), z.number()).nullable().optional(),
    audio: z.unknown().optional(),
    modalities: z.array(z.string()).nullable().optional(),
    chorus: z.object({ rag: z.boolean().optional() }).strict().optional(),
  })
  .strip();
export type ChatRequest = z.infer<typeof ChatRequest>;

export interface SwarmQuery {
  messages: { role: "system" | "user" | "assistant"; content: string }[];
  maxTokens: number;
  rag: boolean;
  params?: { temperature?: number; topP?: number; seed?: number; stop?: string[] };
}

/** A 400 naming the OpenAI parameter at fault (`param` in the error body). */
export function badParam(param: string, message: string): ChorusError {
  return new ChorusError("INPUT_INVALID", `${param}: ${message}`, { param });
}

/** Refuses what the swarm cannot honour, naming the parameter; the first one found is reported. */
function refuseUnsupported(b: ChatRequest): void {
  if (b.tools?.length)
    throw badParam("tools", "tool calling is not supported: the swarm returns one consensus text answer");
  if (b.functions?.length)
    throw badParam("functions", "function calling is not supported: the swarm returns one consensus text answer");
  if (b.tool_choice !== undefined && b.tool_choice !== null && b.tool_choice !== "none")
    throw badParam("tool_choice", "tool calling is not supported (only 'none')");
  if (b.function_call !== undefined && b.function_call !== null && b.function_call !== "none")
    throw badParam("function_call", "function calling is not supported (only 'none')");
  if (b.response_format && b.response_format.type !== "text")
    throw badParam(
      "response_format",
      `'${b.response_format.type}' is not supported: the committee judges free text only`,
    );
  if ((b.n ?? 1) !== 1) throw badParam("n", "only n = 1 is supported: the swarm returns one consensus answer");
  if (b.logprobs)
    throw badParam("logprobs", "log probabilities are not supported: the answer is chosen by a committee, not sampled");
  if (b.top_logprobs) throw badParam("top_logprobs", "log probabilities are not supported");
  if (b.presence_penalty) throw badParam("presence_penalty", "is not supported (only 0)");
  if (b.frequency_penalty) throw badParam("frequency_penalty", "is not supported (only 0)");
  if (b.logit_bias && Object.keys(b.logit_bias).length) throw badParam("logit_bias", "is not supported");
  if (b.audio !== undefined && b.audio !== null) throw badParam("audio", "audio output is not supported");
  if (b.modalities?.some((m) => m !== "text")) throw badParam("modalities", "only text output is supported");
}

/** The text of a message's content: a string, or text parts joined (other parts refused, naming their index). */
function textOf(content: unknown, where: string, allowRefusal: boolean): string {
  if (typeof content === "string") return content;
  const parts = content as { type: string }[];
  return parts
    .map((p, j) => {
      if (p.type === "refusal" && allowRefusal) return plainText((p as { refusal?: unknown }).refusal);
      if (p.type !== "text")
        throw badParam(`${where}[${j}].type`, `'${p.type}' parts are not supported: only text parts`);
      const t = TextPart.safeParse(p);
      if (!t.success) throw badParam(`${where}[${j}].text`, "must be a string");
      return t.data.text;
    })
    .join("\n");
}

/** Describes an assistant's earlier tool calls as text (the swarm's models answer from text alone). */
function toolCallsText(calls: unknown[]): string {
  return calls
    .map((c) => {
      const f = (c as { function?: { name?: unknown; arguments?: unknown } }).function;
      return `[tool call ${plainText(f?.name, "?")}(${plainText(f?.arguments)})]`;
    })
    .join("\n");
}

/** The swarm's query for a checked request, or a 400 naming the parameter. */
export function toSwarmQuery(b: ChatRequest): SwarmQuery {
  if (b.model && b.model !== MODEL_ID) {
    throw new ChorusError(
      "MODEL_NOT_FOUND",
      `The model '${b.model}' does not exist (this gateway serves '${MODEL_ID}')`,
      { param: "model", openaiCode: "model_not_found" },
    );
  }
  refuseUnsupported(b);
  const messages = b.messages.map((m, i) => {
    const where = `messages[${i}]`;
    if (m.content === undefined || m.content === null) {
      if (m.role !== "assistant") throw badParam(`${where}.content`, `is required for a ${m.role} message`);
      if (!m.tool_calls?.length) throw badParam(`${where}.content`, "an assistant message needs content or tool_calls");
    }
    let content =
      m.content === undefined || m.content === null
        ? ""
        : textOf(m.content, `${where}.content`, m.role === "assistant");
    if (m.role === "assistant" && m.tool_calls?.length)
      content = [content, toolCallsText(m.tool_calls)].filter(Boolean).join("\n");
    if (m.role === "tool") {
      if (!m.tool_call_id) throw badParam(`${where}.tool_call_id`, "is required for a tool message");
      content = `Tool result (${m.tool_call_id}):\n${content}`;
    }
    if (content.length > MAX_CONTENT) throw badParam(`${where}.content`, `is longer than ${MAX_CONTENT} characters`);
    const role = m.role === "developer" ? "system" : m.role === "tool" ? "user" : m.role;
    return { role, content };
  });
  if (!b.messages.some((m) => m.role === "user")) throw badParam("messages", "must include a user message");
  const stop = typeof b.stop === "string" ? [b.stop] : (b.stop ?? undefined);
  const params = {
    ...(b.temperature != null ? { temperature: b.temperature } : {}),
    ...(b.top_p != null ? { topP: b.top_p } : {}),
    ...(b.seed != null ? { seed: b.seed } : {}),
    ...(stop ? { stop } : {}),
  };
  return {
    messages,
    maxTokens: b.max_completion_tokens ?? b.max_tokens ?? 256,
    rag: b.chorus?.rag ?? false,
    ...(Object.keys(params).length ? { params } : {}),
  };
}
