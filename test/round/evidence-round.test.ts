/**
 * Issue 16 at the round level: the signed judgment keeps the judge's raw reply and the outcome `unparsable`;
 * every member that signs stores and pins the transcript and the query (its own store, not the
 * coordinator's); a throw inside the consensus rules is a typed server error the gateway logs.
 */
import { expect } from "chai";
import express from "express";
import { keccak256, toHex } from "viem";
import { Coordinator, type SignedRecord } from "../../src/round/coordinator.js";
import { Member } from "../../src/round/member.js";
import type { ConsensusRules } from "../../src/protocol/index.js";
import type { Mind, NodeEntry } from "../../src/round/ports.js";
import { createSigner } from "../../src/core/index.js";
import { productionRules } from "../../src/protocol/index.js";
import { errorHandler, serverErrorLog } from "../../src/http/index.js";
import { isChorusError } from "../../src/core/index.js";
import { DirectPeers, MemoryArtifacts, directoryOf } from "../kit/memory-round.js";
import { TEST_DOMAIN, TEST_RECORDS } from "../kit/test-domain.js";

const records = TEST_RECORDS;
const domain = TEST_DOMAIN;
const quality = (text: string) => Number(/q(\d)/.exec(text)?.[1] ?? 0);
const ask = { messages: [{ role: "user" as const, content: "Why is the sky blue?" }], maxTokens: 64, rag: false };

/** Member i answers "answer q<i>"; `garbled` members' models reply with no readable verdict. */
function mindOf(i: number, garbled: boolean): Mind {
  return {
    answer: async () => `answer q${i} by ${i}`,
    compare: async ({ answerA, answerB }) =>
      garbled
        ? { outcome: "tie", raw: `Once upon a time there was a fox (${i}).`, parsed: false }
        : {
            outcome: quality(answerA) > quality(answerB) ? "A" : quality(answerA) < quality(answerB) ? "B" : "tie",
            raw: "VERDICT: X",
            parsed: true,
          },
    screen: async () => "GOOD",
  };
}

/** n members with seeded keys, each with its own store; the coordinator (never drawn) has its own too. */
function swarm(n: number, opts: { garbled?: number[]; rules?: ConsensusRules } = {}) {
  const signers = Array.from({ length: n + 1 }, (_, i) => createSigner(keccak256(toHex(`chorus-test-evidence-${i}`))));
  const nodes: NodeEntry[] = signers.map((s, i) => ({
    address: s.address,
    endpoint: `mem://node${i}`,
    stake: 500n * 10n ** 18n,
    reputation: i === 0 ? 0 : 500_000,
  }));
  const directory = directoryOf(nodes, { tau: n + 1 });
  const peers = new DirectPeers();
  const rules = opts.rules ?? productionRules({ pairing: "round-robin" });
  const stores = signers.map(() => new MemoryArtifacts());
  signers.slice(1).forEach((signer, k) => {
    const m = new Member({
      domain,
      signer,
      directory,
      artifacts: stores[k + 1],
      rules,
      records,
      mind: mindOf(k, opts.garbled?.includes(k) ?? false),
    });
    peers.handlers.set(`mem://node${k + 1}`, (env) => m.handle(env));
  });
  const queued: SignedRecord[] = [];
  const coordinator = new Coordinator(
    {
      domain,
      signer: signers[0],
      directory,
      peers,
      artifacts: stores[0],
      rules,
      records,
      settle: async (_id, signed) => void queued.push(signed),
    },
    { committeeSize: 7, answerTimeoutMs: 500, revealTimeoutMs: 500, judgeTimeoutMs: 500, signTimeoutMs: 500 },
  );
  return { coordinator, stores, signers, queued };
}

describe("round: evidence in the signed judgments, and every signer keeps what it signed (issue 16)", () => {
  it("an unparsable verdict is signed as `unparsable` with the raw reply; the round settles and its judge earns no credit", async () => {
    const s = swarm(5, { garbled: [0] });
    const out = await s.coordinator.run(ask);
    const garbledAddr = s.signers[1].address;
    const mine = out.transcript.judgments.find((e) => e.from === garbledAddr)!.body as {
      judgments: { outcome: string; raw?: string }[];
    };
    expect(mine.judgments.length).to.be.greaterThan(0);
    for (const j of mine.judgments) {
      expect(j.outcome).to.equal("unparsable");
      expect(j.raw).to.equal("Once upon a time there was a fox (0).");
    }
    const other = out.transcript.judgments.find((e) => e.from !== garbledAddr)!.body as {
      judgments: { outcome: string; raw?: string }[];
    };
    expect(other.judgments.every((j) => j.outcome !== "unparsable" && j.raw === "VERDICT: X")).to.equal(true);
    expect(Object.keys(out.signatures)).to.have.length(5); // every member recomputed the same result and signed
    // The garbled member answered worst (q0, A = 0) and judged nothing readable (J = 0): target 0 from 0.5.
    expect(out.transcript.result.deltas[garbledAddr]).to.equal(-50_000);
    expect(out.transcript.result.winner).to.equal(s.signers[5].address);
  });

  it("every member that signed holds the transcript and the query in its own store", async () => {
    const s = swarm(5);
    const out = await s.coordinator.run(ask);
    expect(Object.keys(out.signatures)).to.have.length(5);
    for (let i = 1; i <= 5; i++) {
      expect(await s.stores[i].getJson(out.transcriptCid), `member ${i} transcript`).to.deep.equal(
        JSON.parse(JSON.stringify(out.transcript)),
      );
      expect(await s.stores[i].getJson(out.transcript.queryCid), `member ${i} query`).to.deep.equal(
        out.transcript.query,
      );
    }
  });

  it("a throw inside the consensus rules is ROUND_RULES_FAILED (a server error) and the gateway logs its cause", async () => {
    const base = productionRules({ pairing: "round-robin" });
    const broken: ConsensusRules = {
      ...base,
      aggregate: () => {
        throw new Error("rigging helper exploded");
      },
    };
    const s = swarm(4, { rules: broken });
    let err: unknown;
    await s.coordinator.run(ask).catch((e) => (err = e));
    expect(isChorusError(err, "ROUND_RULES_FAILED"), String(err)).to.equal(true);
    // Through the gateway's error handler: 500 with a request id, and the cause in the node's log.
    const app = express();
    app.get("/x", (_req, _res, next) => next(err));
    app.use(errorHandler);
    const logged: string[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- saved to be put back as it was (it is an arrow function)
    const write = serverErrorLog.write;
    serverErrorLog.write = (line) => void logged.push(line);
    const server = app.listen(0, "127.0.0.1");
    try {
      await new Promise((r) => server.once("listening", r));
      const port = (server.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/x`);
      expect(res.status).to.equal(500);
      const body = (await res.json()) as { error: { code: string; request_id: string } };
      expect(body.error.code).to.equal("ROUND_RULES_FAILED");
      expect(logged.some((l) => l.includes(body.error.request_id) && l.includes("rigging helper exploded"))).to.equal(
        true,
      );
    } finally {
      serverErrorLog.write = write;
      await new Promise((r) => server.close(r));
    }
  });
});
