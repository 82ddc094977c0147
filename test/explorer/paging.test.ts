/**
 * Chain reads that scale (issue 19): the explorer's event index and the audit against a chain 50,000 blocks past
 * its rounds (hardhat_mine), through an RPC proxy on 127.0.0.1 that refuses any eth_getLogs spanning more than
 * 1,000 blocks, as hosted RPCs do. The old single query from the start block is refused there; the paged reads
 * (chain.logRange, halved when still refused) find every event and the audit of a settled round is OK.
 */
import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import hre from "hardhat";
import type { Hex } from "viem";
import { auditRound } from "../../src/audit/index.js";
import { openChorusChain, pagedContractEvents } from "../../src/chain/index.js";
import { loadConfig } from "../../src/config/index.js";
import { EventLog } from "../../src/explorer/events.js";
import { explorerRouter } from "../../src/explorer/api.js";
import express from "express";
import { createMemoryStore } from "../../src/ipfs/index.js";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { closeStarted } from "../helpers/close.js";

const LIMIT = 1000;

/** A JSON-RPC proxy that refuses eth_getLogs over more than `limit` blocks (-32005, as Infura words it) and counts calls. */
async function rangeLimitedRpc(target: string, limit: number) {
  const calls = { getLogs: 0, refused: 0, getBlock: 0, ethCall: 0 };
  let latest = 0n;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void reply());
    const reply = async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const one = async (m: { id: unknown; method: string; params?: unknown[] }) => {
        if (m.method === "eth_getBlockByNumber") calls.getBlock++;
        if (m.method === "eth_call") calls.ethCall++;
        if (m.method === "eth_getLogs") {
          calls.getLogs++;
          const f = (m.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
          const num = (v: string | undefined) =>
            v === undefined || v === "latest" ? latest : v === "earliest" ? 0n : BigInt(v);
          if (num(f.toBlock) - num(f.fromBlock) + 1n > BigInt(limit)) {
            calls.refused++;
            return {
              jsonrpc: "2.0",
              id: m.id,
              error: { code: -32005, message: `query exceeds max block range ${limit}` },
            };
          }
        }
        const r = await fetch(target, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(m),
        });
        return r.json();
      };
      const out = Array.isArray(body) ? await Promise.all(body.map(one)) : await one(body);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(out));
    };
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    setLatest: (n: bigint) => (latest = n),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("explorer and audit on a long chain behind an RPC with a log-range limit", function () {
  this.timeout(300_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;
  let proxy: Awaited<ReturnType<typeof rangeLimitedRpc>> | undefined; // started by the first test that needs it

  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
    });
  });
  after(async () => {
    await closeStarted(proxy, swarm);
  });

  it("pages event reads by chain.logRange, finds every event, and audits a settled round OK", async () => {
    const ids: Hex[] = [];
    for (const q of ["Why do cats purr?", "Why is the sea salty?"]) {
      const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: q }] }),
      });
      const body = (await res.json()) as { chorus: { round_id: Hex } };
      expect(res.status, JSON.stringify(body)).to.equal(200);
      ids.push(body.chorus.round_id);
    }
    await swarm.nodes[0].submitter.flush();
    await hre.network.provider.send("hardhat_mine", ["0xc350"]); // 50,000 blocks
    proxy = await rangeLimitedRpc(swarm.rpc.url, LIMIT);
    const config = loadConfig({
      env: {},
      overrides: {
        network: "custom",
        chain: { rpcUrl: proxy.url, deploymentsFile: swarm.deploymentsFile, logRange: 4000 },
      },
    });
    const chain = await openChorusChain(config);
    const latest = await chain.publicClient.getBlockNumber();
    proxy.setLatest(latest);
    expect(latest - BigInt(chain.deployments.startBlock)).to.be.greaterThan(50_000n);
    const settlement = chain.deployments.contracts.Settlement;

    // the unpaged read (what the explorer and the audit did) is refused by this RPC
    const unpaged = await chain.publicClient
      .getContractEvents({
        address: settlement.address,
        abi: settlement.abi,
        eventName: "RoundSettled",
        fromBlock: BigInt(chain.deployments.startBlock),
      })
      .then(
        () => "read",
        (e: Error) => e.message,
      );
    expect(unpaged).to.match(/max block range/);

    // the explorer's index: every RoundSettled, with block times, in pages the RPC accepts (4000 halved to 1000)
    const before = { ...proxy.calls };
    const events = new EventLog(chain);
    const settled = await events.of("Settlement", "RoundSettled");
    expect(settled.map((e) => (e.args.roundId as string).toLowerCase())).to.include.members(
      ids.map((i) => i.toLowerCase()),
    );
    expect(settled.every((e) => e.timestamp > 0)).to.equal(true);
    const used = proxy.calls.getLogs - before.getLogs;
    const contracts = Object.keys(chain.deployments.contracts).length;
    expect(proxy.calls.refused - before.refused, "refusals before the range settled at the limit").to.be.at.least(1);
    expect(used, "about one call per 1,000 blocks per contract").to.be.at.most(
      contracts * (Math.ceil(Number(latest) / LIMIT) + 4),
    );
    // incremental: a second read scans only the new blocks
    const again = proxy.calls.getLogs;
    await hre.network.provider.send("hardhat_mine", ["0x10"]);
    proxy.setLatest(await chain.publicClient.getBlockNumber({ cacheTime: 0 }));
    await events.all();
    expect(proxy.calls.getLogs - again).to.be.at.most(contracts * 2);

    // a round lookup pages newest first; the audit re-derives the round OK through the same RPC
    const found = await pagedContractEvents(chain, {
      address: settlement.address,
      abi: settlement.abi,
      eventName: "RoundSettled",
      args: { roundId: ids[0] },
      fromBlock: BigInt(chain.deployments.startBlock),
      newestFirst: true,
    });
    expect(found).to.have.length(1);
    const scratch = createMemoryStore();
    const report = await auditRound(
      {
        chain,
        rules: swarmRules,
        getJson: (cid) => swarm.storeOf(0).getJson(cid),
        cidOf: async (v) => (await scratch.cidOf(v)).toString(),
      },
      ids[1],
    );
    expect(report.ok, JSON.stringify(report.mismatches)).to.equal(true);
  });

  it("reads every node's stake, reputation and capability through Multicall3 in a few eth_calls (chain.multicall3)", async () => {
    // the devnet has no Multicall3: deploy the aggregate3 one (contracts/test/Multicall3.sol)
    const mc = await hre.viem.deployContract("Multicall3");
    const rpc = (proxy ??= await rangeLimitedRpc(swarm.rpc.url, LIMIT));
    rpc.setLatest(await (await hre.viem.getPublicClient()).getBlockNumber());
    const nodesGet = async (multicall3?: Hex) => {
      const config = loadConfig({
        env: {},
        overrides: {
          network: "custom",
          chain: { rpcUrl: rpc.url, deploymentsFile: swarm.deploymentsFile, ...(multicall3 ? { multicall3 } : {}) },
        },
      });
      const chain = await openChorusChain(config);
      const app = express().use(explorerRouter({ chain }));
      const server = app.listen(0, "127.0.0.1");
      await new Promise((r) => server.once("listening", r));
      try {
        const before = rpc.calls.ethCall;
        const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/explorer/api/nodes`);
        const body = (await res.json()) as
          { address: string; reputation: number; capable: boolean | null }[] | { nodes: { address: string }[] };
        expect(res.status, JSON.stringify(body)).to.equal(200);
        return { calls: rpc.calls.ethCall - before, body: JSON.stringify(body) };
      } finally {
        server.close();
      }
    };
    const plain = await nodesGet();
    const batched = await nodesGet(mc.address);
    expect(batched.body, "the same answer").to.equal(plain.body);
    expect(plain.calls, "one call per read per node without multicall").to.be.at.least(3 * 7);
    expect(batched.calls, `${batched.calls} eth_calls with Multicall3 vs ${plain.calls}`).to.be.at.most(6);
  });
});
