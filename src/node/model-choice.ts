/**
 * Which model a node runs, in this order: a GGUF file (`inference.model`, CHORUS_MODEL), an OpenAI-compatible
 * server (`inference.openaiUrl`, CHORUS_OPENAI_URL), the default model already in the local model cache,
 * else a download of the default small instruct model with a progress bar (node-llama-cpp's downloader, as its
 * users expect). When none of these works it stops with one message saying what to set; never a silent
 * fallback.
 */
import { access } from "node:fs/promises";
import { ChorusError, fetchFailureOf } from "../core/index.js";
import type { ChorusConfig } from "../config/index.js";

export type ModelChoice =
  | { kind: "gguf"; path: string; source: "config" | "cache" | "download" }
  | { kind: "openai"; baseUrl: string; apiKey?: string; model?: string };

export async function chooseModel(
  inference: ChorusConfig["inference"],
  opts: { signal?: AbortSignal; log?: (line: string) => void } = {},
): Promise<ModelChoice> {
  if (inference.model) {
    try {
      await access(inference.model);
    } catch {
      throw new ChorusError(
        "MODEL_UNAVAILABLE",
        `CHORUS_MODEL / inference.model points to ${inference.model}, which does not exist`,
      );
    }
    return { kind: "gguf", path: inference.model, source: "config" };
  }
  if (inference.openaiUrl) {
    return { kind: "openai", baseUrl: inference.openaiUrl, apiKey: inference.openaiKey, model: inference.openaiModel };
  }
  const hint =
    "set CHORUS_MODEL=<file.gguf> (a local GGUF model) or CHORUS_OPENAI_URL=<base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1>";
  if (inference.defaultModelUri === "none") throw new ChorusError("MODEL_UNAVAILABLE", `no model configured: ${hint}`);
  const { resolveModelFile } = await import("node-llama-cpp");
  const directory = inference.modelsDir;
  try {
    const path = await resolveModelFile(inference.defaultModelUri, { directory, download: false });
    return { kind: "gguf", path, source: "cache" };
  } catch {
    /* not cached: download below */
  }
  const fail = (reason: string, cause?: unknown) =>
    new ChorusError(
      "MODEL_UNAVAILABLE",
      `no model: none is configured, none is cached, and downloading ${inference.defaultModelUri} failed (${reason}); ${hint}`,
      {},
      { cause },
    );
  // Offline machines fail here in seconds, instead of inside the downloader's retry loop.
  const host = downloadOrigin(inference.defaultModelUri);
  try {
    await fetch(host, { method: "HEAD", signal: AbortSignal.timeout(5000), redirect: "manual" });
  } catch (err) {
    throw fail(`${host} is unreachable: ${fetchFailureOf(err)}`, err);
  }
  opts.log?.(`no model configured: downloading ${inference.defaultModelUri} (set CHORUS_MODEL to use your own)`);
  try {
    const path = await resolveModelFile(inference.defaultModelUri, {
      directory,
      download: "auto",
      cli: true,
      signal: opts.signal,
    } as never);
    return { kind: "gguf", path, source: "download" };
  } catch (err) {
    throw fail((err as Error).message.split("\n")[0], err);
  }
}

/** The host a model URI downloads from (hf: URIs come from Hugging Face). */
function downloadOrigin(uri: string): string {
  if (uri.startsWith("hf:") || uri.startsWith("huggingface:")) return "https://huggingface.co/";
  try {
    return new URL(uri).origin + "/";
  } catch {
    throw new ChorusError("CONFIG_INVALID", `inference.defaultModelUri '${uri}' is neither an hf: URI nor a URL`);
  }
}
