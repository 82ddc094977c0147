/**
 * A deterministic OpenAI-compatible test model that can do arithmetic: it answers "What is 12 + 30?" with the
 * result, judges a pair (VERDICT: A|B) by which answer holds the result of the question's sum, difference,
 * product or square root (A when it cannot tell, e.g. a question of fact), and screens every answer GOOD. On
 * 127.0.0.1 only. Test use only: a node that points `inference.openaiUrl` at it passes the devnet's suites (236
 * sums and a few arithmetic facts of 256 items) and takes part in rounds.
 */
import { createServer, type Server } from "node:http";
import { FENCE_CLOSE, FENCE_OPEN } from "../../src/inference/index.js";

/** The number the question asks for, when it is arithmetic. */
export function arithmetic(question: string): number | undefined {
  const root = /square root of (\d+)/i.exec(question);
  if (root) return Math.sqrt(Number(root[1]));
  const m = /(\d+)\s*([+\-x*×])\s*(\d+)/.exec(question);
  if (!m) return undefined;
  const [a, b] = [Number(m[1]), Number(m[3])];
  return m[2] === "+" ? a + b : m[2] === "-" ? a - b : a * b;
}

function fenced(text: string, label: string): string | undefined {
  const start = text.indexOf(`${label}\n${FENCE_OPEN}\n`);
  if (start < 0) return undefined;
  const from = start + label.length + FENCE_OPEN.length + 2;
  const end = text.indexOf(`\n${FENCE_CLOSE}`, from);
  return end < 0 ? undefined : text.slice(from, end).trim();
}

export function reply(prompt: string): string {
  const question = fenced(prompt, "Question:");
  const a = fenced(prompt, "Answer A:");
  const b = fenced(prompt, "Answer B:");
  if (question !== undefined && a !== undefined && b !== undefined) {
    const want = arithmetic(question);
    const holds = (s: string) => want !== undefined && (s.match(/-?\d+/g) ?? []).map(Number).includes(want);
    const verdict = holds(a) ? "A" : holds(b) ? "B" : "A";
    return `A: none. B: none.\nVERDICT: ${verdict}`;
  }
  if (question !== undefined && fenced(prompt, "Answer:") !== undefined) return "Answer: none.\nVERDICT: GOOD";
  const want = arithmetic(prompt);
  return want === undefined ? "I do not know." : `The answer is ${String(want)}.`;
}

export interface ArithmeticModel {
  /** Base URL for CHORUS_OPENAI_URL (…/v1). */
  url: string;
  calls(): number;
  close(): Promise<void>;
}

export async function startArithmeticModel(): Promise<ArithmeticModel> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      calls++;
      let messages: { role: string; content: string }[] = [];
      try {
        messages = (JSON.parse(body) as { messages?: typeof messages }).messages ?? [];
      } catch {
        // not JSON: answered as an empty prompt
      }
      const user = messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
      const content = reply(user);
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          id: `cmpl-${String(calls)}`,
          object: "chat.completion",
          model: "arithmetic",
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
          usage: { prompt_tokens: Math.ceil(user.length / 4), completion_tokens: Math.ceil(content.length / 4) },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${String(port)}/v1`,
    calls: () => calls,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
