/**
 * Gold end to end on a real chain swarm (issue 20): a curator commits a gold item on GoldRegistry, sends it as an
 * ordinary client through a node's gateway, the round settles like any other, the curator reveals the key; then
 * anyone tells from chain + IPFS which settled round was gold and grades each member (`auditGold`, the code of
 * `chorus audit gold`). A later copy of the same prompt, and a user's round, grade nothing.
 */
import { expect } from "chai";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, publicActions, toHex, type Hex } from "viem";
import { auditGold } from "../../../src/audit/index.js";
import { main } from "../../../src/cli/main.js";
import { openChorusChain } from "../../../src/chain/index.js";
import { loadConfig } from "../../../src/config/index.js";
import { createMemoryStore } from "../../../src/ipfs/index.js";
import { goldLeaf, goldPromptHash, goldProof, goldTree, type Transcript } from "../../../src/protocol/index.js";
import { startChainSwarm } from "../../helpers/chain-swarm.js";
import { swarmRules } from "../../helpers/swarm-rules.js";
import { actor } from "../../kit/chorus-fixture.js";
import { fixedMind } from "../../kit/memory-round.js";
import { closeStarted } from "../../helpers/close.js";

const PROMPT = "Q: which gas do plants take in for photosynthesis? A) oxygen B) carbon dioxide C) nitrogen D) helium";
/** Nodes 0-3 answer B (right), 4-6 answer C; every judge prefers the answer holding "B". */
const preferB = (a: string, b: string) => (a.includes("B") === b.includes("B") ? "tie" : a.includes("B") ? "A" : "B");

describe("Gold end to end: commit, ordinary round, reveal, grade from chain + IPFS (issue 20)", function () {
  this.timeout(240_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;
  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      timeoutMs: 20_000,
      minds: (i) => fixedMind(`Answer: ${i < 4 ? "B" : "C"}`, preferB),
    });
  });
  after(() => closeStarted(swarm));

  async function ask(content: string): Promise<{ roundId: Hex; transcriptCid: string }> {
    const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content }] }),
    });
    const body = await res.json();
    if (res.status !== 200) throw new Error(JSON.stringify(body));
    await swarm.nodes[0].submitter.flush();
    return { roundId: body.chorus.round_id, transcriptCid: body.chorus.transcript_cid };
  }

  it("grades exactly the gold round, each member's answer and judgments, and nothing else", async () => {
    const f = swarm.f;
    const gold = await hre.viem.getContractAt("GoldRegistry", f.deployments.contracts.GoldRegistry.address);
    const curator = await actor(0, "gold-curator");
    const asCurator = await hre.viem.getContractAt("GoldRegistry", gold.address, {
      client: { wallet: curator.wallet, public: curator.wallet.extend(publicActions) as never },
    });
    const [bond] = await gold.read.params();
    await f.token.write.transfer([curator.address, bond]);
    await (await f.as(curator.wallet)).token.write.approve([gold.address, bond]);
    await asCurator.write.postBond([bond]);
    const chainId = await f.publicClient.getChainId();
    const items = [
      {
        promptHash: goldPromptHash([{ role: "user", content: PROMPT }]),
        answer: "B",
        salt: keccak256(toHex("salt 0")),
      },
      {
        promptHash: goldPromptHash([{ role: "user", content: "never sent" }]),
        answer: "A",
        salt: keccak256(toHex("salt 1")),
      },
    ];
    const layers = goldTree(
      items.map((it, i) => goldLeaf({ chainId, registry: gold.address, curator: curator.address }, i, it)),
    );
    await asCurator.write.commitSet([layers[layers.length - 1][0], items.length]);
    const setId = await gold.read.setCount();
    // The curator's wait (GoldRegistry enforces it): items go out two weight periods after the commit.
    const earliest = await gold.read.earliestRoundPeriod([setId]);
    await time.increaseTo(earliest * (await f.settlement.read.periodLength()));

    const user = await ask("Why do cats purr?"); // a user's round in the same window
    const gr = await ask(PROMPT); // the curator's item, as an ordinary client
    const { period } = (await swarm.storeOf(0).getJson<Transcript>(gr.transcriptCid)).committee;
    expect(BigInt(period)).to.equal(earliest);
    for (const [i, it] of items.entries())
      await asCurator.write.revealItem([setId, i, it.promptHash, it.answer, it.salt, period, goldProof(layers, i)]);
    const replay = await ask(PROMPT); // a copy after the reveal grades nothing

    const config = loadConfig({
      env: {},
      overrides: { network: "custom", chain: { rpcUrl: swarm.rpc.url, deploymentsFile: swarm.deploymentsFile } },
    });
    const chain = await openChorusChain(config);
    const scratch = createMemoryStore();
    const report = await auditGold(
      {
        chain,
        rules: swarmRules,
        getJson: (cid) => swarm.storeOf(0).getJson(cid),
        cidOf: async (v) => (await scratch.cidOf(v)).toString(),
      },
      setId,
    );
    expect(report.status).to.equal("Complete");
    expect(report.items).to.have.length(2);
    const [graded, unsent] = report.items;
    expect(graded.round?.roundId).to.equal(gr.roundId);
    expect(graded.round?.transcriptCid).to.equal(gr.transcriptCid);
    expect(unsent.round).to.equal(undefined);
    expect([user.roundId, replay.roundId]).to.not.include(graded.round?.roundId);
    const grades = Object.values(graded.grades!);
    expect(grades).to.have.length(7);
    expect(grades.filter((g) => g.correct === true)).to.have.length(4);
    expect(grades.filter((g) => g.correct === false)).to.have.length(3);
    // every judge preferred the right answer on every right-vs-wrong pair it judged
    for (const g of grades) if (g.gradable > 0) expect(g.judge).to.equal(1_000_000);
    const right = grades.find((g) => g.correct)!;
    expect(right.target).to.equal(1_000_000);

    // The same through the CLI, reading transcripts from node 0's gateway.
    const out: string[] = [];
    const err: string[] = [];
    const args = [
      "--network",
      "custom",
      "--rpc-url",
      swarm.rpc.url,
      "--deployments",
      swarm.deploymentsFile,
      "--gateway",
      swarm.nodes[0].url,
      "audit",
      "gold",
      String(setId),
    ];
    const code = await main(["node", "chorus", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
    expect(code, err.join("\n")).to.equal(0);
    const text = out.join("\n");
    expect(text).to.include(`gold set ${setId} by ${curator.address}: Complete, 2/2 items revealed`);
    expect(text).to.include(`item 0 (key "B"): round ${gr.roundId}`);
    expect(text).to.include('item 1 (key "A"): no settled round');
    expect(text.match(/answer right/g)).to.have.length(4);
    expect(text.match(/answer wrong/g)).to.have.length(3);
  });
});
