/**
 * Gold reaches the settled deltas, end to end on a real chain swarm (issue 20): a curator commits a gold item,
 * sends it as an ordinary client, the round settles, the curator reveals the key; a later round (seed block
 * after the reveal) carries every member's standing as of its seed block, its settled deltas are the anchored
 * rule's (not the consensus rule's), and `chorus audit round` says OK. A committee that colludes to settle a
 * record with forged standings is caught by the audit (a mismatch line).
 */
import { expect } from "chai";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, parseEther, publicActions, toHex, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { auditRound, GoldStandingsScanner } from "../../../src/audit/index.js";
import { openChorusChain, type ChorusChain } from "../../../src/chain/index.js";
import { present } from "../../../src/core/index.js";
import { loadConfig } from "../../../src/config/index.js";
import { createMemoryStore } from "../../../src/ipfs/index.js";
import {
  computeResult,
  goldLeaf,
  goldPromptHash,
  goldProof,
  goldTree,
  type Transcript,
} from "../../../src/protocol/index.js";
import { startChainSwarm } from "../../helpers/chain-swarm.js";
import { closeStarted } from "../../helpers/close.js";
import { swarmRules } from "../../helpers/swarm-rules.js";
import { actor } from "../../kit/chorus-fixture.js";
import { fixedMind } from "../../kit/memory-round.js";
import { runCli, swarmCliArgs } from "../../kit/cli-run.js";

/** Test account 0 of the Hardhat mnemonic: the deployer, which the deploy scripts make the arbitrator. */
const ARBITRATOR_KEY = toHex(
  present(
    mnemonicToAccount("test test test test test test test test test test test junk", { addressIndex: 0 }).getHdKey()
      .privateKey,
    "account 0's private key",
  ),
);
const PROMPT = "Q: which planet is closest to the sun? A) Venus B) Mercury C) Mars D) Earth";
/** Nodes 0-3 answer B (right), 4-6 answer C; every judge prefers the answer holding "C" (wrong on the gold item). */
const preferC = (a: string, b: string) => (a.includes("C") === b.includes("C") ? "tie" : a.includes("C") ? "A" : "B");

describe("Gold end to end: standings reach the settled deltas, and the audit checks them (issue 20)", function () {
  this.timeout(400_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;
  /** The settled gold round of the first test (voided by the second). */
  let gradedRoundId: Hex | undefined;
  let chainDeps: Parameters<typeof auditRound>[0] | undefined;
  /** While set, every node's standings port answers forged standings (a colluding committee). */
  let forge = false;
  const readJson = async (cid: string) => {
    let last: unknown;
    for (let i = 0; i < 7; i++) {
      try {
        return await swarm.storeOf(i).getJson(cid);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };
  const scratch = createMemoryStore();
  const cidOf = async (v: unknown) => (await scratch.cidOf(v)).toString();

  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      timeoutMs: 20_000,
      batchSize: 1, // a fresh seed block for every round: a round after the reveal sees it
      minds: (i) => fixedMind(`Answer: ${i < 4 ? "B" : "C"}`, preferC),
      parts: (_i, chain: ChorusChain) => {
        const scanner = new GoldStandingsScanner({ chain, rules: swarmRules, getJson: readJson, cidOf });
        return {
          gold: {
            standingsAt: async (block: bigint) => {
              const s = await scanner.standingsAt(block);
              return forge ? Object.fromEntries(Object.keys(s).map((a) => [a, 1_000_000])) : s;
            },
          },
        };
      },
    });
  });
  after(() => closeStarted(swarm));

  async function ask(content: string): Promise<{ roundId: Hex; transcriptCid: string }> {
    const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content }] }),
    });
    const body = (await res.json()) as { chorus: { round_id: Hex; transcript_cid: string } };
    if (res.status !== 200) throw new Error(JSON.stringify(body));
    await swarm.nodes[0].submitter.flush();
    return { roundId: body.chorus.round_id, transcriptCid: body.chorus.transcript_cid };
  }

  it("a gold round graded, a later round's settled deltas move by the gold rule, audit OK; forged standings caught", async () => {
    const f = swarm.f;
    const gold = await hre.viem.getContractAt("GoldRegistry", f.deployments.contracts.GoldRegistry.address);
    const curator = await actor(0, "gold-curator-settled");
    const asCurator = await hre.viem.getContractAt("GoldRegistry", gold.address, {
      client: { wallet: curator.wallet, public: curator.wallet.extend(publicActions) as never },
    });
    const [bond] = await gold.read.params();
    await f.token.write.transfer([curator.address, bond]);
    await (await f.as(curator.wallet)).token.write.approve([gold.address, bond]);
    await asCurator.write.postBond([bond]);
    const chainId = await f.publicClient.getChainId();
    const item = {
      promptHash: goldPromptHash([{ role: "user", content: PROMPT }]),
      answer: "B",
      salt: keccak256(toHex("settled salt 0")),
    };
    const layers = goldTree([goldLeaf({ chainId, registry: gold.address, curator: curator.address }, 0, item)]);
    await asCurator.write.commitSet([layers[0][0], 1]);
    const setId = await gold.read.setCount();
    // The curator's wait (GoldRegistry enforces it): items go out two weight periods after the commit.
    const earliest = await gold.read.earliestRoundPeriod([setId]);
    await time.increaseTo(earliest * (await f.settlement.read.periodLength()));

    // Before the reveal nobody has a standing: transcripts carry no gold field.
    const graded = await ask(PROMPT);
    gradedRoundId = graded.roundId;
    const gradedT = (await readJson(graded.transcriptCid)) as Transcript;
    expect("gold" in gradedT).to.equal(false);
    const { period } = gradedT.committee;
    await asCurator.write.revealItem([setId, 0, item.promptHash, item.answer, item.salt, period, goldProof(layers, 0)]);

    // A later round: every member's standing as of its seed block, from the graded round.
    const later = await ask("Why is the sky blue?");
    const t = (await readJson(later.transcriptCid)) as Transcript;
    expect(t.gold?.asOfBlock).to.equal(t.committee.seedBlock.number);
    const standings = Object.fromEntries(Object.entries(t.gold!.standings).map(([a, v]) => [a.toLowerCase(), v]));
    // Every judge preferred the wrong answer (C) on the gold item: J = -1e6 wherever it judged a right-vs-wrong
    // pair, so every target is (A + 3 J) / 4 <= -500_000 for a judge, 0 or 1e6 for an answer alone.
    expect(Object.keys(standings)).to.have.length(7);
    expect(Object.values(standings).filter((v) => v < 0).length).to.be.at.least(4);
    // The settled deltas are the anchored rule's: recomputed without the standings they differ.
    const plain = computeResult({ ...t, gold: undefined }, swarmRules);
    expect(Object.entries(t.result.deltas).some(([a, d]) => plain.deltas[a] !== d)).to.equal(true);
    const sum = (ds: Record<string, number>) => Object.values(ds).reduce((x, y) => x + y, 0);
    expect(sum(t.result.deltas)).to.be.lessThan(sum(plain.deltas));

    const config = loadConfig({
      env: {},
      overrides: { network: "custom", chain: { rpcUrl: swarm.rpc.url, deploymentsFile: swarm.deploymentsFile } },
    });
    const chain = await openChorusChain(config);
    const deps = { chain, rules: swarmRules, getJson: readJson, cidOf };
    chainDeps = deps;
    const ok = await auditRound(deps, later.roundId);
    expect(ok.mismatches, JSON.stringify(ok.mismatches)).to.deep.equal([]);
    expect(ok.checks.map((c) => c.what)).to.include("gold standings are the public ones as of the seed block");

    // The CLI says the same, reading transcripts from node 0's gateway.
    const cli = await runCli([...swarmCliArgs(swarm), "audit", "round", later.roundId]);
    expect(cli.code, [...cli.err, ...cli.out].join("\n")).to.equal(0);

    // Attack: a committee that colludes on forged standings (everyone at +1.0) settles a record; the audit flags it.
    forge = true;
    const forged = await ask("Why do cats purr?");
    forge = false;
    const ft = (await readJson(forged.transcriptCid)) as Transcript;
    expect(Object.values(ft.gold!.standings)).to.satisfy((v: number[]) => v.every((x) => x === 1_000_000));
    const caught = await auditRound(deps, forged.roundId);
    expect(caught.ok).to.equal(false);
    expect(caught.mismatches.map((m) => m.what)).to.deep.equal([
      "gold standings are the public ones as of the seed block",
    ]);
  });

  it("a graded round voided by an upheld dispute grades nobody from the void on: the next round carries no standings", async () => {
    const roundId = present(gradedRoundId, "the first test's gold round");
    const deps = present(chainDeps, "the first test's audit dependencies");
    const run = async (cmd: string[]) => {
      const { code, out, err } = await runCli([...swarmCliArgs(swarm, { gateway: false }), ...cmd]);
      return { code, text: [...out, ...err].join("\n") };
    };
    const watcher = await actor(6, "gold-void-watcher");
    await swarm.f.token.write.transfer([watcher.address, parseEther("1000")]);
    const watcherKey = keccak256(toHex("chorus-test-gold-void-watcher-6")); // actor()'s key derivation
    expect(privateKeyToAccount(watcherKey).address).to.equal(watcher.address);
    const opened = await run(["--key", watcherKey, "dispute", "open", roundId, "--json"]);
    expect(opened.code, opened.text).to.equal(0);
    const disputeId = String((JSON.parse(opened.text) as { id: number }).id);
    const upheld = await run(["--key", ARBITRATOR_KEY, "dispute", "uphold", disputeId]);
    expect(upheld.code, upheld.text).to.equal(0);

    const after = await ask("Why is the sea salty?");
    const t = (await readJson(after.transcriptCid)) as Transcript;
    // The only graded item's round is void: nobody has a standing, so the transcript has no gold field.
    expect("gold" in t, JSON.stringify(t.gold)).to.equal(false);
    const audited = await auditRound(deps, after.roundId);
    expect(audited.mismatches, JSON.stringify(audited.mismatches)).to.deep.equal([]);
  });
});
