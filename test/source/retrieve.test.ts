/**
 * The data-source node over 127.0.0.1: signed retrieval round trip, the manifest on IPFS, HTTP errors, and
 * every way a member refuses an answer (tampered context, wrong signer, wrong round or query binding,
 * malformed JSON, too many contexts, timeout, unreachable), each with its code and skip reason.
 */
import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { keccak256, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { settlementDomain } from "../../src/core/index.js";
import { ChorusError } from "../../src/core/index.js";
import { AddressPolicy } from "../../src/net/index.js";
import { createSigner } from "../../src/core/index.js";
import { createMemoryStore } from "../../src/ipfs/index.js";
import { verifyContext } from "../../src/rag/manifest.js";
import type { QueryDoc } from "../../src/protocol/index.js";
import type { SourceInfo } from "../../src/protocol/index.js";
import {
  queryHashOf,
  retrieveFrom,
  signServed,
  skipReasonOf,
  startSource,
  toWire,
  type RunningSource,
} from "../../src/source/index.js";
import { cidOfJson } from "../../src/core/index.js";

const account = privateKeyToAccount(keccak256(toHex("chorus-test-source-0")));
const stranger = privateKeyToAccount(keccak256(toHex("chorus-test-source-1")));
const domain = settlementDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const roundId = keccak256(toHex("round 1"));
const query = (content: string): QueryDoc => ({
  type: "chorus/query@1",
  messages: [
    { role: "system", content: "Answer briefly." },
    { role: "user", content },
  ],
  maxTokens: 64,
  coordinator: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  createdAt: 1_700_000_000,
  rag: true,
});
const Q = query("Which planet is the largest in the solar system?");

describe("source / retrieval over HTTP", function () {
  this.timeout(60_000);
  let dir: string;
  let source: RunningSource | undefined;
  let info: SourceInfo;
  const store = createMemoryStore();
  const policy = new AddressPolicy(["127.0.0.0/8"]); // the test's sources listen on 127.0.0.1
  const member = createSigner(keccak256(toHex("chorus-test-node-0"))); // the one "active staked node" here
  const opts = { domain, timeoutMs: 5000, policy, signer: member };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-source-"));
    await writeFile(
      path.join(dir, "space.md"),
      "# Planets\n\nJupiter is the largest planet of the solar system.\n\n# Moons\n\nThe Moon orbits the Earth.",
    );
    await writeFile(
      path.join(dir, "food.jsonl"),
      '{"id":"bread","text":"Bread is baked from flour, water and yeast."}\n',
    );
    source = await startSource({
      corpusDir: dir,
      account,
      store,
      domain,
      embedder: null,
      isActiveNode: async (a) => a.toLowerCase() === member.address.toLowerCase(),
    });
    info = { address: account.address, endpoint: source.url, reliability: 500_000, usefulness: 500_000 };
  });
  after(async () => {
    await source?.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A fake source on 127.0.0.1 that answers every request with `respond`. */
  const fake = async (respond: (body: unknown, res: http.ServerResponse) => void | Promise<void>) => {
    const server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => void respond(JSON.parse(raw || "null"), res));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
  };
  const sendJson = (res: http.ServerResponse, value: unknown) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(typeof value === "string" ? value : JSON.stringify(value));
  };
  /** What the real source answers, then changed by `edit`. */
  const real = async (
    edit: (r: { served: ReturnType<typeof toWire>; servedCid: string; signature: Hex }) => unknown,
  ) => {
    const r = await fetch(`${source!.url}/retrieve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ roundId, query: Q, k: 2 }),
    });
    return edit(await r.json());
  };
  const failure = async (endpoint: string, req = { roundId, query: Q, k: 2 }, o = opts): Promise<ChorusError> => {
    const err = await retrieveFrom({ ...info, endpoint }, req, o).then(
      () => undefined,
      (e) => e,
    );
    expect(err, "retrieveFrom accepted the answer").to.be.instanceOf(ChorusError);
    return err;
  };

  it("serves signed top-k contexts bound to round, query hash, source and k; the member verifies them", async () => {
    const signed = await retrieveFrom(info, { roundId, query: Q, k: 2 }, opts);
    expect(signed.served.contexts[0]).to.include({ id: "space.md#0", doc: "space.md", score: 1 });
    expect(signed.served.contexts[0].text).to.contain("Jupiter");
    expect(signed.served.contexts.length).to.be.at.most(2);
    expect(signed.served).to.include({
      source: account.address,
      roundId,
      queryHash: queryHashOf((await cidOfJson(Q)).toString()),
      manifestCid: source!.manifestCid,
      k: 2,
    });
    // deterministic: another member asking the same gets the same document and CID
    expect((await retrieveFrom(info, { roundId, query: Q, k: 2 }, opts)).servedCid).to.equal(signed.servedCid);
    // the served document (asked by a signed, active node) is on the source's IPFS store under its CID, with integer scores
    expect(await store.getJson(signed.servedCid)).to.deep.equal(toWire(signed.served));
  });

  it("publishes a manifest that lets an auditor check a served context came from the corpus", async () => {
    const m = await (await fetch(`${source!.url}/manifest`)).json();
    expect(m).to.include({ address: account.address, manifestCid: source!.manifestCid });
    expect(m.manifest.files.map((f: { path: string }) => f.path)).to.deep.equal(["food.jsonl", "space.md"]);
    expect(m.manifest.files[1].chunkIds).to.deep.equal(["space.md#0", "space.md#1"]);
    expect(m.manifest.retrieval.embedding).to.equal(null);
    const getJson = (cid: string) => store.getJson(cid);
    const { served } = await retrieveFrom(info, { roundId, query: Q, k: 1 }, opts);
    expect(await verifyContext(getJson, source!.manifestCid, served.contexts[0])).to.deep.equal({ ok: true });
    expect(
      await verifyContext(getJson, source!.manifestCid, {
        ...served.contexts[0],
        text: "Saturn is the largest planet.",
      }),
    ).to.deep.include({ ok: false });
    expect(
      await verifyContext(getJson, source!.manifestCid, { ...served.contexts[0], id: "space.md#9" }),
    ).to.deep.include({ ok: false });
    const health = await (await fetch(`${source!.url}/health`)).json();
    expect(health).to.include({ ok: true, address: account.address, chunks: 3 });
  });

  it("answers bad requests with a 4xx JSON error naming the problem", async () => {
    const post = (body: string) =>
      fetch(`${source!.url}/retrieve`, { method: "POST", headers: { "content-type": "application/json" }, body });
    let r = await post(JSON.stringify({ roundId, query: Q, k: 99 }));
    expect(r.status).to.equal(400);
    expect((await r.json()).error.message).to.match(/^k: /);
    r = await post(JSON.stringify({ roundId: "0x12", query: Q, k: 1 }));
    expect((await r.json()).error.message).to.match(/^roundId: /);
    r = await post(JSON.stringify({ roundId: `0x${"00".repeat(32)}`, query: Q, k: 1 }));
    expect((await r.json()).error.message).to.match(/^roundId: must not be zero/);
    r = await post("{oops");
    expect(r.status).to.equal(400);
    expect((await r.json()).error.code).to.equal("HTTP_BAD_BODY");
    r = await post(JSON.stringify({ roundId, query: query("x".repeat(30_000)), k: 1, pad: "y".repeat(70_000) }));
    expect(r.status).to.equal(413);
    r = await fetch(`${source!.url}/nothing`);
    expect(r.status).to.equal(404);
    expect((await r.json()).error.code).to.equal("NOT_FOUND");
  });

  it("rejects a context changed after signing as a bad signature", async () => {
    const f = await fake(async (_b, res) =>
      sendJson(res, await real((r) => ((r.served.contexts[0].text += " (edited)"), r))),
    );
    const err = await failure(f.url);
    expect(err.code).to.equal("RAG_SOURCE_BAD_SIGNATURE");
    expect(skipReasonOf(err)).to.equal("bad-signature");
    await f.close();
  });

  it("rejects a document signed by another key, even with the CID recomputed", async () => {
    const f = await fake(async (_b, res) => {
      const good = await retrieveFrom(info, { roundId, query: Q, k: 2 }, opts);
      const forged = await signServed(stranger, domain, good.served);
      sendJson(res, { served: toWire(good.served), servedCid: forged.servedCid, signature: forged.signature });
    });
    const err = await failure(f.url);
    expect(err.code).to.equal("RAG_SOURCE_BAD_SIGNATURE");
    expect(err.message).to.contain(stranger.address);
    await f.close();
  });

  it("rejects a genuine answer for another round or another query as a wrong binding", async () => {
    const otherRound = keccak256(toHex("round 2"));
    const good = await retrieveFrom(info, { roundId: otherRound, query: Q, k: 2 }, opts);
    const f = await fake((_b, res) =>
      sendJson(res, { served: toWire(good.served), servedCid: good.servedCid, signature: good.signature }),
    );
    let err = await failure(f.url);
    expect(err.code).to.equal("RAG_SOURCE_WRONG_BINDING");
    expect(err.message).to.match(/served for round/);
    expect(skipReasonOf(err)).to.equal("wrong-binding");
    await f.close();

    const otherQuery = await retrieveFrom(info, { roundId, query: query("Tell me about bread."), k: 2 }, opts);
    const g = await fake((_b, res) =>
      sendJson(res, {
        served: toWire(otherQuery.served),
        servedCid: otherQuery.servedCid,
        signature: otherQuery.signature,
      }),
    );
    err = await failure(g.url);
    expect(err.code).to.equal("RAG_SOURCE_WRONG_BINDING");
    expect(err.message).to.match(/query hash/);
    // the same genuine answer asked with k = 1 names k = 2
    err = await failure(g.url, { roundId, query: query("Tell me about bread."), k: 1 });
    expect(err.code).to.equal("RAG_SOURCE_WRONG_BINDING");
    await g.close();
  });

  it("rejects malformed answers: not JSON, wrong shape, more than k contexts, HTTP 4xx", async () => {
    const cases: [string, (r: http.ServerResponse) => void | Promise<void>, RegExp][] = [
      ["not JSON", (res) => sendJson(res, "{not json"), /not JSON/],
      [
        "wrong shape",
        (res) => sendJson(res, { served: { type: "chorus/served@1" }, servedCid: "x", signature: "0x00" }),
        /response served\./,
      ],
      [
        "float score",
        async (res) => sendJson(res, await real((r) => ((r.served.contexts[0].score = 0.5), r))),
        /score/,
      ],
      [
        "too many",
        async (res) =>
          sendJson(
            res,
            await real(
              (r) => (
                (r.served.contexts = [
                  ...r.served.contexts,
                  { ...r.served.contexts[0], id: "z#0", score: 0 },
                  { ...r.served.contexts[0], id: "z#1", score: 0 },
                ]),
                r
              ),
            ),
          ),
        /contexts for k = 2/,
      ],
      ["http 400", (res) => (res.writeHead(400), res.end("nope")), /bad status 400$/],
    ];
    for (const [name, respond, message] of cases) {
      const f = await fake((_b, res) => respond(res));
      const err = await failure(f.url);
      expect(err.code, name).to.equal("RAG_SOURCE_MALFORMED");
      expect(err.message, name).to.match(message);
      expect(skipReasonOf(err)).to.equal("malformed");
      await f.close();
    }
  });

  it("times out a source that never answers, calls a closed port unreachable, and tells a caller's abort apart", async () => {
    const f = await fake(() => undefined);
    let err = await failure(f.url, undefined, { domain, timeoutMs: 200, policy, signer: member });
    expect(err.code).to.equal("RAG_SOURCE_TIMEOUT");
    expect(skipReasonOf(err)).to.equal("timeout");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    err = await failure(f.url, undefined, { domain, timeoutMs: 5000, signal: controller.signal, policy } as never);
    expect(err.code).to.equal("RAG_SOURCE_ABORTED");
    expect(skipReasonOf(err)).to.equal(null);
    const url = f.url;
    await f.close();
    err = await failure(url);
    expect(err.code).to.equal("RAG_SOURCE_UNREACHABLE");
    expect(skipReasonOf(err)).to.equal("unreachable");
  });
});
