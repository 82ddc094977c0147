/**
 * No unhandled rejection or uncaught exception ends a node (issue 19). Three real node processes on 127.0.0.1
 * (scripts/lib/load-node.ts: production rules, Helia on disk, the process guards of the node's entry); the
 * gateway is flooded with clients that hang up at random points of their round (seeded), plain and streaming.
 * Afterwards the gateway still answers a round, none of the nodes logged an unhandled rejection or uncaught
 * exception (the abort paths handle their own promises), and every node exits 0 at shutdown.
 */
import { expect } from "chai";
import http from "node:http";
import { startLoadSwarm, type LoadSwarm } from "../../scripts/lib/load-swarm.js";

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One client: sends a completion request and destroys its socket after `hangUpMs` (or reads the answer when undefined). */
function client(url: string, stream: boolean, hangUpMs: number | undefined): Promise<number | "hung up"> {
  const body = JSON.stringify({
    model: "chorus-swarm",
    messages: [{ role: "user", content: "Why is the sky blue?" }],
    max_tokens: 16,
    stream,
  });
  return new Promise((resolve) => {
    const req = http.request(
      `${url}/v1/chat/completions`,
      { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", () => resolve("hung up"));
      },
    );
    req.on("error", () => resolve("hung up"));
    req.end(body);
    if (hangUpMs !== undefined)
      setTimeout(() => {
        req.destroy();
        resolve("hung up");
      }, hangUpMs);
  });
}

describe("node / clients that hang up mid-round", function () {
  this.timeout(240_000);
  let swarm: LoadSwarm | undefined;
  const logs: string[][] = [[], [], []];

  after(async () => {
    await swarm?.close();
  });

  it("keeps serving, logs no unhandled fault, and every node exits 0 at shutdown", async () => {
    swarm = await startLoadSwarm({
      nodes: 3,
      concurrentRounds: 4,
      queuedRounds: 16,
      queueWaitMs: 20_000,
      ipfs: "embedded",
      env: { LOAD_NODE_LOG_LEVEL: "warn" },
      onStderr: (i, chunk) => void logs[i].push(chunk.toString("utf8")),
    });
    const gateway = swarm.urls[0];
    // A round here takes a few hundred ms (instant model, 3 members, Helia on disk): measure one.
    const t0 = Date.now();
    expect(await client(gateway, false, undefined)).to.equal(200);
    const roundMs = Math.max(50, Date.now() - t0);
    const random = prng(0x19b);
    const results: (number | "hung up")[] = [];
    for (let wave = 0; wave < 8; wave++) {
      const wave_ = Array.from({ length: 12 }, () => {
        const r = random();
        // most hang up somewhere inside the round (0 .. 1.5 x a round), a few stay for the answer
        const hangUp = r < 0.15 ? undefined : Math.floor(random() * roundMs * 1.5);
        return client(gateway, random() < 0.4, hangUp);
      });
      results.push(...(await Promise.all(wave_)));
    }
    const hungUp = results.filter((r) => r === "hung up").length;
    expect(hungUp, "most clients hung up mid-round").to.be.greaterThan(60);
    // Still serving: a plain and a streaming round complete.
    expect(await client(gateway, false, undefined)).to.equal(200);
    expect(await client(gateway, true, undefined)).to.equal(200);
    const health = await (await fetch(`${gateway}/health`)).json();
    expect(health.ok).to.equal(true);
    const codes = await swarm.close();
    swarm = undefined;
    const faults = logs.flatMap((chunks, i) =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => /unhandledRejection|uncaughtException/.test(l))
        .map((l) => `node ${i}: ${l.slice(0, 400)}`),
    );
    expect(faults, "faults the nodes survived").to.deep.equal([]);
    expect(codes, "exit codes").to.deep.equal([0, 0, 0]);
  });
});
