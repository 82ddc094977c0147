/**
 * Issue 14, the HTTP half, against real nodes on 127.0.0.1 (startChainSwarm: 7 staked, capable nodes, each its
 * own HTTP server, on the in-process chain served over JSON-RPC), a real data source and a real "internal
 * service" listener. Each attack is shown refused or without effect, and the honest round still completes:
 *
 * - SSRF: a "data source" registered on chain at an internal service on 127.0.0.1, members' allowance off:
 *   nobody reaches it, the transcript names it skipped with a fixed reason only;
 * - secrets: the RPC URL carries an API key in its path; with the RPC down, /health, the explorer API and
 *   the gateway answer without it (5xx: fixed text + request id; the cause is logged with that id);
 * - amplification: explorer chain reads counted per GET (a counting transport), settled audits computed once;
 * - anonymous `POST /retrieve` with made-up round ids stores nothing; a staked node's signed request does;
 * - per-IP limits answer 429 + Retry-After; the explorer sends CSP, X-Frame-Options and nosniff.
 */
import { expect } from "chai";
import express from "express";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { http as httpTransport, keccak256, toHex, type Address, type Hex } from "viem";
import { auditRound } from "../../src/audit/index.js";
import { openChorusChain, type ChorusChain } from "../../src/chain/index.js";
import { loadConfig } from "../../src/config/index.js";
import { explorerRouter } from "../../src/explorer/api.js";
import { cidOfJson, cidToBytes32, createMemoryStore } from "../../src/ipfs/index.js";
import { chainRetrieval, settlementDomainOf } from "../../src/node/chain-parts.js";
import { errorHandler, serverErrorLog } from "../../src/http/index.js";
import type { Mind } from "../../src/round/ports.js";
import type { RagEvidence } from "../../src/protocol/index.js";
import { createSigner } from "../../src/core/index.js";
import type { Transcript } from "../../src/protocol/index.js";
import {
  activeNodeCheck,
  retrieveRequestDigest,
  RETRIEVE_SIGNATURE_HEADER,
  startSource,
  type RunningSource,
} from "../../src/source/index.js";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { actor } from "../kit/chorus-fixture.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { closeStarted } from "../helpers/close.js";

const SECRET = "sk-live-0123456789abcdef";

function mind(i: number): Mind {
  return {
    answer: async (q) =>
      /Context|\[1\]/.test(q.messages.find((m) => m.role === "system")?.content ?? "")
        ? `with context q${i}`
        : `answer q${i}`,
    compare: async ({ answerA, answerB }) => ({ outcome: preferHigherQ(answerA, answerB) }),
    screen: async () => "GOOD",
  };
}

/** An express app on 127.0.0.1 with `router` and the node's error handler. */
async function serve(router: express.Router): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(router);
  app.use(errorHandler);
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe("attacks on the HTTP surfaces (7 real nodes, a data source and an internal service on 127.0.0.1)", function () {
  this.timeout(240_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;
  let internal: http.Server;
  let internalHits = 0;
  let internalAddress: Address;
  let counted: ChorusChain;
  let rpcCalls = 0;
  let ragRound: { id: Hex; transcriptCid: string };

  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      minds: mind,
      timeoutMs: 5000,
      rpcPath: `/v3/${SECRET}`,
      // Members call data sources with the operator allowance OFF: no private range may be called.
      parts: (_i, chain) => ({
        retrieval: chainRetrieval(chain, settlementDomainOf(chain), { allowPrivate: [] }),
        rag: { sources: 1, k: 2, reliabilityWeight: 500_000, explorationFloor: 100_000, timeoutMs: 3000 },
      }),
    });
    // The "internal service": a listener on 127.0.0.1 that would hand out a secret to whoever asks.
    internal = http.createServer((_req, res) => {
      internalHits++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ admin: "internal-admin-token", motd: "welcome to the metadata service" }));
    });
    await new Promise<void>((r) => internal.listen(0, "127.0.0.1", r));
    const a = await actor(0, "attacks-http-source");
    internalAddress = a.address;
    const endpoint = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
    // a source posts its bond to register (issue 13)
    const bond = await swarm.f.sources.read.minBond();
    await swarm.f.token.write.transfer([a.address, bond]);
    await (await swarm.f.as(a.wallet)).token.write.approve([swarm.f.sources.address, bond]);
    await (
      await swarm.f.as(a.wallet)
    ).sources.write.register([endpoint, cidToBytes32(await cidOfJson({ fake: "manifest" }))]);
    // A read-only chain connection that counts every JSON-RPC request it makes.
    const config = loadConfig({
      env: {},
      overrides: { network: "custom", chain: { rpcUrl: swarm.rpc.url, deploymentsFile: swarm.deploymentsFile } },
    });
    counted = await openChorusChain(config, {
      transport: httpTransport(swarm.rpc.url, {
        retryCount: 0,
        onFetchRequest: () => {
          rpcCalls++;
        },
      }),
    });
  });
  after(async () => {
    // a `before` that threw leaves these unassigned
    const started = swarm as typeof swarm | undefined;
    const service = internal as http.Server | undefined;
    await started?.rpcUp();
    await closeStarted(started);
    if (service) {
      service.closeAllConnections();
      await new Promise((r) => service.close(r));
    }
  });

  const ask = (node: number, content: string, rag = false) =>
    fetch(`${swarm.nodes[node].url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content }], chorus: { rag } }),
    });

  it("SSRF: a source registered at an internal service on 127.0.0.1 is never called; the transcript holds a fixed reason only; the round completes", async () => {
    const res = await ask(0, "What does the internal service say?", true);
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).to.equal(200);
    expect(body.chorus.answered).to.equal(7);
    expect(body.chorus.signatures).to.equal(7);
    expect(internalHits, "the internal service was reached").to.equal(0);
    const t = await swarm.storeOf(0).getJson<Transcript>(body.chorus.transcript_cid);
    for (const r of t.reveals) {
      const ev = (r.body as { rag: RagEvidence }).rag;
      if (ev.retrieval !== "sources") throw new Error(`member ${r.from} did not list sources: ${JSON.stringify(ev)}`);
      expect(ev.skipped).to.deep.equal([
        {
          source: internalAddress,
          reason: "unreachable",
          detail: `source ${internalAddress}: refused: private address`,
        },
      ]);
    }
    const text = JSON.stringify(t);
    for (const leak of ["internal-admin-token", "metadata service", "ECONNREFUSED"])
      expect(text, leak).to.not.contain(leak);
    await swarm.nodes[0].submitter.flush();
    expect(await swarm.nodes[0].queue.status(body.chorus.round_id)).to.equal("settled");
    ragRound = { id: body.chorus.round_id, transcriptCid: body.chorus.transcript_cid };
  });

  it("amplification: explorer chain reads happen once per block, not per GET; a settled round's audit is computed once", async () => {
    const explorer = await serve(
      explorerRouter({
        chain: counted,
        auditRound: (id) =>
          auditRound(
            {
              chain: counted,
              rules: swarmRules,
              getJson: (cid) => swarm.storeOf(0).getJson(cid),
              cidOf: async (v) => (await swarm.storeOf(0).cidOf(v)).toString(),
            },
            id,
          ),
      }),
    );
    try {
      const get = async (p: string) => {
        const before = rpcCalls;
        const r = await fetch(`${explorer.url}${p}`);
        expect(r.status, p).to.equal(200);
        return { body: await r.json(), calls: rpcCalls - before };
      };
      const first = await get("/explorer/api/nodes");
      expect(first.body.nodes).to.have.length(7);
      const again: number[] = [];
      for (let i = 0; i < 10; i++) again.push((await get("/explorer/api/nodes")).calls);
      const total = again.reduce((a, b) => a + b, 0);
      console.log(
        `      measured: /explorer/api/nodes with 7 nodes: first GET ${first.calls} RPC calls, next 10 GETs ${total} in all`,
      );
      expect(total, `10 GETs in one block made ${total} RPC calls`).to.be.at.most(10);
      expect(Math.max(...again)).to.be.at.most(1);

      const a1 = await get(`/explorer/api/rounds/${ragRound.id}/audit`);
      expect(a1.body.ok, JSON.stringify(a1.body)).to.equal(true);
      const a2 = await get(`/explorer/api/rounds/${ragRound.id}/audit`);
      console.log(`      measured: audit of a settled round: first GET ${a1.calls} RPC calls, second ${a2.calls}`);
      expect(a2.calls).to.equal(0);
      expect(a2.body).to.deep.equal(a1.body);
    } finally {
      await explorer.close();
    }
  });

  it("explorer: CSP with frame-ancestors 'none', X-Frame-Options DENY and nosniff on the page and the API", async () => {
    for (const p of ["/explorer", "/explorer/api/overview", "/explorer/assets/app.js"]) {
      const r = await fetch(`${swarm.nodes[0].url}${p}`);
      expect(r.status, p).to.equal(200);
      const csp = r.headers.get("content-security-policy") ?? "";
      expect(csp, p).to.match(/default-src 'self'/);
      expect(csp, p).to.match(/frame-ancestors 'none'/);
      expect(r.headers.get("x-frame-options"), p).to.equal("DENY");
      expect(r.headers.get("x-content-type-options"), p).to.equal("nosniff");
      await r.arrayBuffer();
    }
  });

  it("rate limits: the explorer API answers 429 with Retry-After past a client's burst", async () => {
    const explorer = await serve(explorerRouter({ chain: counted, rateLimit: { perSecond: 0.2, burst: 3 } }));
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${explorer.url}/explorer/api/overview`);
        statuses.push(r.status);
        if (r.status === 429) {
          retryAfter = r.headers.get("retry-after");
          expect((await r.json()).error.code).to.equal("RATE_LIMITED");
        } else await r.arrayBuffer();
      }
      expect(statuses).to.deep.equal([200, 200, 200, 429, 429]);
      expect(Number(retryAfter)).to.be.within(1, 5);
    } finally {
      await explorer.close();
    }
  });

  it("POST /retrieve: made-up round ids from an unsigned or unstaked caller store nothing; a staked node's signed request is kept; 429 past the burst", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-attacks-source-"));
    await writeFile(path.join(dir, "a.md"), "# Sea\n\nThe sea is large and salty.\n\n# Fox\n\nA fox is brave.");
    const store = createMemoryStore();
    const account = (await actor(1, "attacks-http-source")).wallet.account as never;
    let source: RunningSource | undefined;
    try {
      source = await startSource({
        corpusDir: dir,
        account,
        store,
        domain: settlementDomainOf(counted),
        embedder: null,
        isActiveNode: activeNodeCheck(counted),
        rateLimit: { perSecond: 0.2, burst: 25 },
      });
      const query = {
        type: "chorus/query@1",
        messages: [{ role: "user", content: "Tell me about the sea." }],
        maxTokens: 16,
        coordinator: swarm.f.nodes[0].address,
        createdAt: 1,
        rag: true,
      };
      const post = (roundId: Hex, key?: Hex) => {
        const body = Buffer.from(JSON.stringify({ roundId, query, k: 2 }));
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (key) headers[RETRIEVE_SIGNATURE_HEADER] = createSigner(key).signDigest(retrieveRequestDigest(body));
        return fetch(`${source!.url}/retrieve`, { method: "POST", headers, body });
      };
      const stored = async (r: Response) => {
        expect(r.status).to.equal(200);
        const { servedCid } = (await r.json()) as { servedCid: string };
        return store.getJson(servedCid).then(
          () => true,
          () => false,
        );
      };
      const made = (i: number) => keccak256(toHex(`made-up round ${i}`));
      for (let i = 0; i < 20; i++) expect(await stored(await post(made(i))), `unsigned ${i}`).to.equal(false);
      expect(await stored(await post(made(100), keccak256(toHex("not a staked node")))), "signed, not staked").to.equal(
        false,
      );
      expect(
        await stored(await post(made(101), keccak256(toHex("chorus-test-node-1")))),
        "signed by staked node 1",
      ).to.equal(true);
      const health = await (await fetch(`${source.url}/health`)).json();
      expect(health).to.include({ served: 22, kept: 1 });
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const r = await post(made(200 + i));
        statuses.push(r.status);
        if (r.status === 429) retryAfter = r.headers.get("retry-after");
        await r.arrayBuffer();
      }
      expect(statuses.slice(0, 3)).to.deep.equal([200, 200, 200]);
      expect(statuses.slice(3)).to.deep.equal([429, 429]);
      expect(Number(retryAfter)).to.be.at.least(1);
    } finally {
      await source?.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("secrets: with the RPC (API key in its path) down, /health, the explorer API and the gateway never show the URL; 5xx bodies carry a request id the log names", async () => {
    const queued = await ask(0, "One more before the RPC fails.");
    expect(queued.status).to.equal(200);
    await queued.json();
    const logged: string[] = [];
    const saved = { ...serverErrorLog }; // restored as the same function: src/http/errors.ts compares it
    serverErrorLog.write = (line) => void logged.push(line);
    try {
      await swarm.rpcDown();
      await swarm.nodes[0].submitter.flush().catch(() => {});
      await new Promise((r) => setTimeout(r, 1100)); // the explorer trusts a block number for 1 s
      const health = await (await fetch(`${swarm.nodes[0].url}/health`)).text();
      expect(JSON.parse(health).lastSettlementError, health)
        .to.be.a("string")
        .and.match(/127\.0\.0\.1/);
      const explorer = await fetch(`${swarm.nodes[0].url}/explorer/api/nodes`);
      const gateway = await ask(0, "Does the RPC answer?");
      for (const [what, r] of [
        ["explorer", explorer],
        ["gateway", gateway],
      ] as const) {
        expect(r.status, what).to.be.at.least(500);
        const text = await r.text();
        const body = JSON.parse(text);
        expect(body.error.request_id, what).to.match(/^[0-9a-f]{16}$/);
        expect(r.headers.get("x-request-id")).to.equal(body.error.request_id);
        expect(
          logged.some((l) => l.includes(body.error.request_id)),
          `${what}: the log names request ${body.error.request_id}`,
        ).to.equal(true);
        expect(text, what).to.not.contain(SECRET);
        expect(text, what).to.not.contain("/v3/");
      }
      expect(health).to.not.contain(SECRET);
    } finally {
      Object.assign(serverErrorLog, saved);
      await swarm.rpcUp();
    }
    // The honest path is back once the RPC is.
    const res = await ask(1, "And now?");
    expect(res.status).to.equal(200);
    expect((await res.json()).chorus.signatures).to.equal(7);
  });
});
