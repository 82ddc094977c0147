/**
 * Attack (issue 13, item 5): flooding retrieval with sources. Every RAG round used to read every active source
 * (on chain, then over HTTP), so the cost of a round grew with the active set, and spam sources could crowd
 * it. Now a round reads at most a bound, a sample drawn from the round seed that every member and an auditor
 * re-derive; registering each spam source costs a bond (source-bond.test.ts).
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { custom, keccak256, toHex } from "viem";
import { connectChain } from "../../../src/chain/index.js";
import { sourcesAt } from "../../../src/chain/sources-at.js";
import { listingIndices, MAX_LISTED_SOURCES } from "../../../src/protocol/index.js";
import { retrieveForRound } from "../../../src/round/rag-retrieve.js";
import { actor, deployFull, registerSources, type Actor } from "../../kit/chorus-fixture.js";
import { memoryRetrieval, memorySource } from "../../helpers/rag-memory.js";

const SEED = keccak256(toHex("round seed"));

async function flooded() {
  const f = await deployFull();
  const spam: Actor[] = [];
  for (let i = 0; i < 30; i++) spam.push(await actor(i, "flood"));
  await registerSources(f, spam);
  return { ...f, spam };
}

describe("Attack: flooding a RAG round with sources (issue 13, item 5)", () => {
  it("listingIndices: at most the bound, distinct, in range, the same for the same seed, whatever the active set", () => {
    for (const count of [0, 5, 64, 65, 1_000, 1_000_000]) {
      const a = listingIndices(count, SEED, MAX_LISTED_SOURCES);
      expect(a.length).to.equal(Math.min(count, MAX_LISTED_SOURCES));
      expect(new Set(a).size).to.equal(a.length);
      expect(a.every((i) => Number.isInteger(i) && i >= 0 && i < count)).to.equal(true);
      expect(listingIndices(count, SEED, MAX_LISTED_SOURCES)).to.deep.equal(a);
    }
    expect(listingIndices(1000, keccak256(toHex("another seed")))).to.not.deep.equal(listingIndices(1000, SEED));
  });

  it("on chain: a round reads at most maxListed sources (counted eth_calls), the same sample an auditor reads", async () => {
    const f = await loadFixture(flooded);
    expect(await f.sources.read.activeCount()).to.equal(30n);
    let calls = 0;
    const counting = custom({
      request: (args: { method: string; params?: unknown }) => {
        if (args.method === "eth_call") calls++;
        return hre.network.provider.request(args as never);
      },
    });
    const clients = await connectChain({ rpcUrl: "hardhat-in-process", transport: counting });
    const chain = { ...clients, deployments: f.deployments };
    const block = await f.publicClient.getBlockNumber();
    const bound = 8;
    const listed = await sourcesAt(chain, block, { seed: SEED, maxListed: bound });
    expect(listed).to.have.length(bound);
    // activeCount + one activeSources page and one sourceOf per listed source: bounded, not 30
    expect(calls).to.equal(1 + 2 * bound);
    const again = await sourcesAt(chain, block, { seed: SEED, maxListed: bound });
    expect(again).to.deep.equal(listed);
    const all = await sourcesAt(chain, block);
    expect(all).to.have.length(30);
    const expected = listingIndices(30, SEED, bound).map((i) => i);
    const order = await f.sources.read.activeSources([0n, 100n], { blockNumber: block });
    expect(listed.map((s) => s.address.toLowerCase()).sort()).to.deep.equal(
      expected.map((i) => order[i].toLowerCase()).sort(),
    );
  });

  it("a member's retrieval lists at most the bound even when its source port returns 500 sources, and asks only its draw", async () => {
    const sources = Array.from({ length: 500 }, (_, i) => memorySource(`flood-${i}`, "honest", [`text ${i}`]));
    const asked: `0x${string}`[] = [];
    const retrieval = { ...memoryRetrieval(sources, { calls: asked }), maxListed: 16 };
    const { evidence } = await retrieveForRound({
      retrieval,
      params: { sources: 3, k: 2, reliabilityWeight: 500_000, explorationFloor: 100_000 },
      timeoutMs: 2000,
      roundId: keccak256(toHex("round")),
      queryCid: "bagaaierasords4njcts6vs7qvdjfcvgnume4hqohf65zsfguprqphs3icwea",
      query: { type: "chorus/query@1", messages: [{ role: "user", content: "owls?" }] } as never,
      seed: SEED,
      seedBlock: 1n,
      member: "0x00000000000000000000000000000000000000aa",
    });
    if (evidence.retrieval !== "sources") throw new Error(`no retrieval: ${JSON.stringify(evidence)}`);
    expect(evidence.listed).to.have.length(16);
    expect(asked.length).to.be.at.most(3);
  });
});
