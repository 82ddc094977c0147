/**
 * A small OpenAI-compatible HTTP server for tests: POST /v1/chat/completions and GET /v1/models, on
 * 127.0.0.1 only, answering with any InferenceBackend (the tests use the real gguf backend, so the bytes on the
 * wire are a real model's). It aborts the generation when the client goes away, like llama.cpp's server.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { isChorusError } from "../../../src/core/index.js";
import type { ChatMessage, InferenceBackend } from "../../../src/inference/index.js";

export interface OpenAITestServer {
  /** e.g. http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  /** Requests received / aborted because the client disconnected. */
  stats: { requests: number; clientAborts: number };
  /** Bodies of the requests received. */
  bodies: unknown[];
  close(): Promise<void>;
}

export async function startOpenAIServer(
  backend: InferenceBackend,
  opts: { apiKey?: string; modelId?: string } = {},
): Promise<OpenAITestServer> {
  const modelId = opts.modelId ?? "stories260K";
  const stats = { requests: 0, clientAborts: 0 };
  const bodies: unknown[] = [];
  const app = express();
  app.use(express.json({ limit: "1mb" }));
  const error = (res: express.Response, status: number, message: string, type = "invalid_request_error") =>
    res.status(status).json({ error: { message, type, param: null, code: null } });

  app.use("/v1", (req, res, next) => {
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`)
      return error(res, 401, "Incorrect API key provided.", "authentication_error");
    next();
  });
  app.get("/v1/models", (_req, res) => {
    res.json({ object: "list", data: [{ id: modelId, object: "model", created: 0, owned_by: "chorus-test" }] });
  });
  app.post("/v1/chat/completions", async (req, res) => {
    stats.requests++;
    bodies.push(req.body);
    const body = req.body as
      | {
          messages?: ChatMessage[];
          max_tokens?: number;
          max_completion_tokens?: number;
          temperature?: number;
          seed?: number;
          stream?: boolean;
        }
      | undefined; // express.json() leaves no body when the request is not JSON
    if (!body || !Array.isArray(body.messages)) return error(res, 400, "'messages' is required");
    if (body.stream) return error(res, 400, "streaming is not supported by this test server");
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) {
        stats.clientAborts++;
        controller.abort();
      }
    });
    try {
      const r = await backend.chat(body.messages, {
        maxTokens: body.max_completion_tokens ?? body.max_tokens ?? 256,
        temperature: body.temperature ?? 0,
        seed: body.seed,
        signal: controller.signal,
      });
      res.json({
        id: `chatcmpl-test${stats.requests}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: modelId,
        choices: [
          { index: 0, message: { role: "assistant", content: r.text }, finish_reason: r.finishReason, logprobs: null },
        ],
        usage: {
          prompt_tokens: r.usage.promptTokens,
          completion_tokens: r.usage.completionTokens,
          total_tokens: r.usage.promptTokens + r.usage.completionTokens,
        },
      });
    } catch (err) {
      if (controller.signal.aborted) return;
      const code = isChorusError(err) ? err.code : "";
      if (code === "INFERENCE_BAD_INPUT") return error(res, 400, (err as Error).message);
      if (code === "INFERENCE_BUSY") return error(res, 429, (err as Error).message, "rate_limit_error");
      return error(res, 500, (err as Error).message, "server_error");
    }
  });

  const server: Server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    stats,
    bodies,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
