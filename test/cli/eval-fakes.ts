/**
 * Test-only fakes for `chorus eval`: a swarm of real nodes (src/node startNode: gateway, coordinator, members)
 * whose models are scripted, with each gateway serving the round artifacts at /ipfs/:cid?format=raw as a
 * production node's IPFS gateway does; and scripted OpenAI-compatible backends for `--nodes`.
 */
import express from "express";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startNode, type RunningNode } from "../../src/node/service.js";
import type { Mind, NodeEntry } from "../../src/round/ports.js";
import { countRules } from "../kit/count-rules.js";
import { MemoryArtifacts, directoryOf, makeSigners } from "../kit/memory-round.js";
import { memorySettlement, TEST_DOMAIN, TEST_RECORDS } from "../kit/memory-node.js";

/** The key of question k (the dataset's `answer`): letters cycle A, B, C, D. */
export const keyOf = (k: number) => "ABCD"[k % 4];
/** The question number a prompt holds ("Q<k>:"). */
export const questionOf = (text: string) => Number(/Q(\d+):/.exec(text)?.[1] ?? -1);

/** Node i of n answers question k right unless k % n == i, then it picks the next letter; as a judge it prefers the right answer. */
export function scriptedMind(i: number, n: number): Mind {
  const letterOf = (t: string) => /Answer: ([A-D])/.exec(t)?.[1];
  return {
    async answer(q) {
      const k = questionOf(q.messages.map((m) => m.content).join("\n"));
      const right = keyOf(k);
      return `Answer: ${k % n === i ? "ABCD"[("ABCD".indexOf(right) + 1) % 4] : right}`;
    },
    async compare({ question, answerA, answerB }) {
      const right = keyOf(questionOf(question));
      const a = letterOf(answerA) === right;
      const b = letterOf(answerB) === right;
      return { outcome: a === b ? "tie" : a ? "A" : "B" };
    },
    async screen() {
      return "GOOD";
    },
  };
}

export async function startEvalSwarm(n: number) {
  const signers = makeSigners(n);
  const entries: NodeEntry[] = [];
  const directory = directoryOf(entries);
  const artifacts = new MemoryArtifacts();
  const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-eval-"));
  const ipfs = express.Router();
  ipfs.get("/ipfs/:cid", (req, res) => {
    const b = artifacts.blocks.get(req.params.cid);
    if (!b) return void res.status(404).json({ error: { message: "not found" } });
    res.type("application/vnd.ipld.raw").send(Buffer.from(b));
  });
  const nodes: RunningNode[] = [];
  for (const [i, signer] of signers.entries()) {
    const node = await startNode(
      {
        domain: TEST_DOMAIN,
        signer,
        directory,
        artifacts,
        mind: scriptedMind(i, n),
        rules: countRules,
        records: TEST_RECORDS,
        settlement: memorySettlement(),
        routers: [ipfs],
      },
      {
        host: "127.0.0.1",
        port: 0,
        dataDir: path.join(dir, `node${i}`),
        round: {
          committeeSize: 7,
          answerTimeoutMs: 10_000,
          revealTimeoutMs: 10_000,
          judgeTimeoutMs: 10_000,
          signTimeoutMs: 10_000,
        },
        epoch: { maxRounds: 5, intervalMs: 60_000 },
        limits: { concurrentRounds: 4, queuedRounds: 8, bodyLimit: "64kb" },
        net: { allowPrivate: ["127.0.0.0/8"] },
      },
    );
    nodes.push(node);
    entries.push({ address: signer.address, endpoint: node.url, stake: 10n ** 20n, reputation: 500_000 });
  }
  return {
    nodes,
    gateway: nodes[0].url,
    async close() {
      await Promise.all(nodes.map((x) => x.close()));
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** An OpenAI-compatible backend that answers `reply(k)` to question k; `calls` counts its requests. */
export async function startScriptedBackend(reply: (k: number) => string) {
  const app = express();
  app.use(express.json());
  const state = { calls: 0, models: [] as string[] };
  app.post("/v1/chat/completions", (req, res) => {
    state.calls++;
    state.models.push(String(req.body?.model));
    const k = questionOf(String(req.body?.messages?.[0]?.content ?? ""));
    res.json({
      choices: [{ index: 0, message: { role: "assistant", content: reply(k) } }],
      usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
    });
  });
  const server: Server = await new Promise((ok) => {
    const s = app.listen(0, "127.0.0.1", () => ok(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, state, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}
