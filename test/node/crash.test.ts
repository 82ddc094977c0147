/**
 * Crash faults on the 7-node chain swarm (real nodes on 127.0.0.1, the in-process chain, real epochs): members
 * killed after committing and while judging, the coordinator killed mid-round (raw gateway client and
 * `chorus ask` with a fallback gateway), a node restarted with a record waiting for settlement, and the
 * JSON-RPC server down for a while. Nodes are really stopped (servers closed, work aborted), not mocked. First,
 * the RPC server those tests stop is shown to stop for real, even with a client still asking on a connection that
 * was busy at that moment (a plain http.Server close() kept serving it, and the RPC-down test hung).
 */
import http from "node:http";
import { expect } from "chai";
import type { Hex } from "viem";
import { main } from "../../src/cli/main.js";
import { SettlementQueue } from "../../src/settlement/index.js";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import {
  coordinatorTripwire,
  crashableMind,
  crashPlan,
  dieOnRequest,
  type ChainSwarm,
} from "../helpers/crash-faults.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { startRpcServerAt } from "../helpers/crash-rpc.js";

const EPOCH_INTERVAL_MS = 2500;

describe("the JSON-RPC server a crash test stops (test/helpers/crash-rpc.ts)", function () {
  this.timeout(60_000);
  const blockNumber = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] });
  /** A request on `agent`; `expect100` makes it wait for the server's 100 Continue before its body is sent. */
  const send = (url: string, agent: http.Agent, expect100 = false) => {
    const req = http.request(url, {
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(blockNumber),
        ...(expect100 ? { expect: "100-continue" } : {}),
      },
    });
    const answer = new Promise<string>((resolve, reject) => {
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve(text));
        res.on("error", reject);
      });
      req.on("error", reject);
    });
    answer.catch(() => undefined);
    return { req, answer };
  };
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => "answered",
      (err: unknown) => `failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );

  it("stops for real (port closed, connections cut) while a client keeps asking on a connection busy at the stop", async () => {
    const rpc = await startRpcServerAt(0);
    const port = Number(new URL(rpc.url).port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const stopAsking = new AbortController();
    try {
      const first = send(rpc.url, agent);
      first.req.end(blockNumber);
      const before = JSON.parse(await first.answer) as { result: string };
      // A request the server has begun (its headers parsed: it answered 100 Continue) and not yet answered.
      const busy = send(rpc.url, agent, true);
      busy.req.flushHeaders();
      await new Promise((r) => busy.req.once("continue", r));
      const closing = rpc.close().then(() => "closed");
      busy.req.end(blockNumber);
      // The client keeps asking on the same keep-alive connection, more often than the server's keep-alive timeout.
      const later: Promise<string>[] = [];
      void (async () => {
        while (!stopAsking.signal.aborted) {
          const { req, answer } = send(rpc.url, agent);
          req.end(blockNumber);
          later.push(outcome(answer));
          await new Promise((r) => setTimeout(r, 300));
        }
      })();
      const stopped = await Promise.race([
        closing,
        new Promise<string>((r) => setTimeout(() => r("still serving after 20 s"), 20_000)),
      ]);
      stopAsking.abort();
      expect(stopped).to.equal("closed");
      expect(await outcome(busy.answer), "the request in flight is cut, not answered").to.match(/^failed: /);
      expect(await Promise.all(later), "nothing is answered once it is down").to.not.include("answered");
      expect(await outcome(fetch(rpc.url, { method: "POST", body: blockNumber })), "the port is closed").to.match(
        /^failed: /,
      );
      const again = await startRpcServerAt(port);
      try {
        const res = await fetch(again.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: blockNumber,
        });
        expect(((await res.json()) as { result: string }).result, "same URL, same chain").to.equal(before.result);
      } finally {
        await again.close();
      }
    } finally {
      stopAsking.abort();
      agent.destroy();
    }
  });
});

describe("crash faults: 7 nodes on the in-process chain", function () {
  this.timeout(240_000);
  let swarm: ChainSwarm;
  let stopSwarm: (() => Promise<void>) | undefined;
  const plan = crashPlan();
  const tripwire = coordinatorTripwire();
  const logs: string[][] = Array.from({ length: 7 }, () => []);

  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => crashableMind(fixedMind(`answer q${i} from node ${i}`, preferHigherQ), i, plan),
      wrapPeers: (i, peers) => tripwire.wrap(i, peers),
      timeoutMs: 2000,
      epochIntervalMs: EPOCH_INTERVAL_MS,
      log: (i, line) => logs[i].push(line),
    });
    plan.kill = (i) => swarm.kill(i);
    stopSwarm = () => swarm.close();
  });
  after(async () => stopSwarm?.());

  const addr = (i: number) => swarm.f.nodes[i].address.toLowerCase();
  const post = (node: number) =>
    fetch(`${swarm.nodes[node].url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Tell me about the sea." }] }),
    });
  const ask = async (node: number) => {
    const res = await post(node);
    const body = await res.json();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const transcriptOf = async (node: number, cid: string) =>
    await (await fetch(`${swarm.nodes[node].url}/ipfs/${cid}?format=raw`)).json();
  const restartDead = async () => {
    for (let i = 0; i < 7; i++) if (!swarm.isAlive(i)) await swarm.restart(i);
  };
  const settledEvents = (roundId: string) =>
    swarm.f.settlement.getEvents.RoundSettled({ roundId: roundId as Hex }, { fromBlock: 0n });
  const waitFor = async (what: string, cond: () => Promise<boolean>, ms: number) => {
    const until = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it("2 of 7 members killed after committing, before revealing: the round completes; the transcript excludes them at reveal", async () => {
    try {
      dieOnRequest(swarm, 2, "reveal-request");
      dieOnRequest(swarm, 3, "reveal-request");
      const body = await ask(0);
      expect(body.choices[0].message.content).to.equal("answer q6 from node 6");
      expect(body.chorus.answered).to.equal(5);
      expect(swarm.isAlive(2) || swarm.isAlive(3), "both victims are stopped").to.equal(false);
      const t = await transcriptOf(0, body.chorus.transcript_cid);
      // They committed (their commitments are in the closed set) and were excluded at the reveal.
      expect(t.commits.map((c: any) => c.from.toLowerCase())).to.include.members([addr(2), addr(3)]);
      const ex = t.excluded.map((e: any) => [e.member.toLowerCase(), e.phase]);
      expect(ex).to.deep.include.members([
        [addr(2), "reveal"],
        [addr(3), "reveal"],
      ]);
      expect(t.excluded).to.have.length(2);
      expect(t.reveals.map((r: any) => r.from.toLowerCase())).to.not.include.members([addr(2)]);
      expect(body.chorus.signatures).to.equal(5);
    } finally {
      await restartDead();
    }
  });

  it("2 of 7 members killed while judging: the round completes; they are excluded at judge and their model work was aborted", async () => {
    try {
      plan.inCompare.add(4);
      plan.inCompare.add(5);
      const body = await ask(1);
      expect(body.choices[0].message.content).to.equal("answer q6 from node 6");
      expect(body.chorus.answered, "they revealed before dying").to.equal(7);
      const t = await transcriptOf(1, body.chorus.transcript_cid);
      expect(t.excluded.map((e: any) => [e.member.toLowerCase(), e.phase])).to.have.deep.members([
        [addr(4), "judge"],
        [addr(5), "judge"],
      ]);
      expect(t.judgments.map((j: any) => j.from.toLowerCase())).to.not.include.members([addr(4)]);
      expect(t.judgments).to.have.length(5);
      expect(plan.abortedCompares.get(4)).to.equal(1);
      expect(plan.abortedCompares.get(5)).to.equal(1);
      expect(body.chorus.signatures).to.equal(5);
    } finally {
      plan.inCompare.clear();
      await restartDead();
    }
  });

  it("coordinator killed mid-round: the HTTP client's request fails, and a retry on another node succeeds", async () => {
    try {
      tripwire.arm(0, "judge-request", () => void swarm.kill(0));
      const failure = await post(0).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure, "the gateway connection is cut").to.be.instanceOf(Error);
      const cut = failure as Error;
      expect(cut.cause instanceof Error ? cut.cause.message : cut.message).to.match(
        /other side closed|socket|terminated|ECONNRESET/i,
      );
      expect(tripwire.fired(0)).to.equal(true);
      expect(swarm.isAlive(0)).to.equal(false);
      const body = await ask(1);
      expect(body.choices[0].message.content).to.equal("answer q6 from node 6");
      const ex = body.chorus.excluded.find((e: any) => e.member.toLowerCase() === addr(0));
      expect(ex, "the dead coordinator is excluded from the next committee").to.deep.include({ phase: "answer" });
    } finally {
      tripwire.disarm(0);
      await restartDead();
    }
  });

  it("coordinator killed mid-round: `chorus ask` names the dropped gateway, and with --fallback-gateway it answers from the other node", async () => {
    const cli = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(["node", "chorus", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
      return { code, out, err };
    };
    try {
      tripwire.arm(0, "judge-request", () => void swarm.kill(0));
      const alone = await cli(["--gateway", swarm.nodes[0].url, "ask", "Tell me about the sea."]);
      expect(alone.code).to.equal(1);
      expect(alone.err).to.deep.equal([
        `chorus: gateway ${swarm.nodes[0].url} closed the connection before answering (its node stopped mid-round?)`,
      ]);
      await restartDead();

      tripwire.arm(0, "judge-request", () => void swarm.kill(0));
      const url0 = swarm.nodes[0].url;
      const url1 = swarm.nodes[1].url;
      const over = await cli(["--gateway", url0, "ask", "Tell me about the sea.", "--fallback-gateway", url1]);
      expect(over.code, over.err.join("\n")).to.equal(0);
      expect(over.err).to.deep.equal([
        `chorus: gateway ${url0} closed the connection before answering (its node stopped mid-round?); trying ${url1}`,
      ]);
      expect(over.out[0]).to.equal("answer q6 from node 6");
      expect(over.out).to.include(`gateway     ${url1}`);
      // Both down: one line naming each failure.
      const dead = await cli(["--gateway", url0, "ask", "hi", "--fallback-gateway", "http://127.0.0.1:9"]);
      expect(dead.code).to.equal(1);
      expect(dead.err.at(-1)).to.match(
        /^chorus: every gateway failed: gateway http:\/\/127\.0\.0\.1:\d+ is unreachable .*; gateway http:\/\/127\.0\.0\.1:9 is unreachable/,
      );
      const bad = await cli(["--gateway", url1, "ask", "hi", "--fallback-gateway", "ftp://x"]);
      expect(bad.err).to.deep.equal([
        "chorus: --fallback-gateway: 'ftp://x' is not an http(s) URL (give comma-separated URLs)",
      ]);
    } finally {
      tripwire.disarm(0);
      await restartDead();
    }
  });

  it("a node restarted with a round waiting for settlement settles it once, by itself; a record already on chain is not submitted again", async () => {
    const body = await ask(3);
    const roundId = body.chorus.round_id as string;
    expect(body.chorus.settlement).to.equal("pending");
    await swarm.kill(3);
    const stateOf = () => new SettlementQueue(swarm.dataDirOf(3));
    const down = stateOf();
    expect(await down.status(roundId), "the record is on disk while the node is down").to.equal("pending");
    down.close();
    expect(await swarm.f.settlement.read.isClosed([roundId as Hex])).to.equal(false);

    await swarm.restart(3);
    await waitFor(
      "the restarted node to settle",
      async () => (await swarm.nodes[3].queue.status(roundId)) === "settled",
      20_000,
    );
    expect(await swarm.f.settlement.read.isClosed([roundId as Hex])).to.equal(true);
    expect(await settledEvents(roundId)).to.have.length(1);
    expect(swarm.nodes[3].submitter.epochsSubmitted).to.equal(1);

    // The node dies after the epoch was mined but before it recorded that: the record is pending again on disk.
    await swarm.kill(3);
    const again = stateOf();
    again.db.sql
      .prepare("UPDATE settlement SET status = 'pending', settled_at = NULL, tx_hash = NULL WHERE round_id = ?")
      .run(roundId.toLowerCase());
    expect(await again.status(roundId)).to.equal("pending");
    again.close();
    await swarm.restart(3);
    await swarm.nodes[3].submitter.flush();
    expect(await swarm.nodes[3].queue.size()).to.equal(0);
    expect(swarm.nodes[3].submitter.epochsSubmitted, "recognised on chain, not submitted").to.equal(0);
    expect(await settledEvents(roundId)).to.have.length(1);
  });

  it("the chain RPC down for a while: settlement fails, backs off, and settles the round once when the RPC is back", async () => {
    const body = await ask(4);
    const roundId = body.chorus.round_id as string;
    logs[4].length = 0;
    await swarm.rpcDown();
    try {
      await waitFor(
        "three failed attempts",
        async () => logs[4].filter((l) => l.startsWith("settlement failed")).length >= 3,
        20_000,
      );
    } finally {
      await swarm.rpcUp();
    }
    const failures = logs[4].filter((l) => l.startsWith("settlement failed"));
    const delays = failures.map((l) => Number(/retrying in (\d+) ms/.exec(l)?.[1]));
    expect(delays.slice(0, 3), failures.join("\n")).to.deep.equal([500, 1000, 2000]);
    const health = await (await fetch(`${swarm.nodes[4].url}/health`)).json();
    expect(health.pendingSettlement).to.be.greaterThan(0);
    expect(health.lastSettlementError).to.be.a("string");
    expect(await swarm.nodes[4].queue.status(roundId)).to.equal("pending");

    await waitFor(
      "settlement after the RPC is back",
      async () => (await swarm.nodes[4].queue.status(roundId)) === "settled",
      30_000,
    );
    expect(await swarm.f.settlement.read.isClosed([roundId as Hex])).to.equal(true);
    expect(await settledEvents(roundId)).to.have.length(1);
    await swarm.nodes[4].submitter.flush();
    expect(await settledEvents(roundId)).to.have.length(1);
    const after = await (await fetch(`${swarm.nodes[4].url}/health`)).json();
    expect(after.lastSettlementError).to.equal(null);
  });
});
