/**
 * `chorus audit round` under a mismatch prints the command that contests it (issue 17): on the 7-node chain swarm, a
 * round whose committee colluded on an inflated reputation delta (as in test/audit/audit.test.ts) audits with a
 * MISMATCH and a `contest it: chorus dispute open <round> --evidence <transcript>` line (and `contest` in --json);
 * an honest round prints none. The printed command, run as written by a funded watcher, opens the dispute on chain.
 */
import { expect } from "chai";
import { keccak256, parseEther, toHex, type Hex } from "viem";
import type { ConsensusRules } from "../../src/protocol/index.js";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { actor } from "../kit/chorus-fixture.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { runCli, swarmCliArgs } from "../kit/cli-run.js";

/** The key `actor(6, "watcher")` funds (test/kit/chorus-fixture.ts derives it from that label). */
const WATCHER_KEY = keccak256(toHex("chorus-test-watcher-6"));

/** What a colluding committee signs: the lowest honest delta replaced by the largest (or one that differs from it). */
function inflateLowest<R extends { deltas: Record<string, number> }>(r: R): R {
  const [lowest, delta] = Object.entries(r.deltas).sort((a, b) => a[1] - b[1])[0];
  return { ...r, deltas: { ...r.deltas, [lowest]: delta >= 50_000 ? 37_655 : 50_000 } };
}

describe("chorus audit: a mismatch prints the dispute command that contests it", function () {
  this.timeout(240_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;
  let stopSwarm: (() => Promise<void>) | undefined;

  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
    });
    stopSwarm = () => swarm.close();
  });
  after(async () => stopSwarm?.());

  const run = (args: string[]) => runCli([...swarmCliArgs(swarm), ...args]);
  /** A round coordinated by node 0 under `rules` on every node, settled. */
  const settledRound = async (rules: ConsensusRules, question: string) => {
    const set = (r: ConsensusRules) => {
      for (const n of swarm.nodes) {
        (n.coordinator as any).deps.rules = r;
        (n.member as any).deps.rules = r;
      }
    };
    set(rules);
    try {
      const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: question }] }),
      });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).to.equal(200);
      await swarm.nodes[0].submitter.flush();
      expect(await swarm.nodes[0].queue.status(body.chorus.round_id)).to.equal("settled");
      return { roundId: body.chorus.round_id as Hex, transcriptCid: body.chorus.transcript_cid as string };
    } finally {
      set(swarmRules);
    }
  };

  it("an honest round: OK, exit 0, no contest line", async () => {
    const { roundId } = await settledRound(swarmRules, "Why is the sky blue?");
    const r = await run(["audit", "round", roundId]);
    expect(r.err, r.err.join("\n")).to.deep.equal([]);
    expect(r.code).to.equal(0);
    expect(r.out[0]).to.match(/: OK$/);
    expect(r.out.join("\n")).to.not.contain("contest it");
    const j = await run(["audit", "round", roundId, "--json"]);
    expect(JSON.parse(j.out.join("\n"))).to.not.have.property("contest");
  });

  it("a rigged round: MISMATCH, exit 3, and `contest it: chorus dispute open …` which, run as printed, opens the dispute", async () => {
    const inflate: ConsensusRules = { ...swarmRules, aggregate: (input) => inflateLowest(swarmRules.aggregate(input)) };
    const { roundId, transcriptCid } = await settledRound(inflate, "Rig this one.");
    const command = `chorus dispute open ${roundId} --evidence ${transcriptCid}`;

    const r = await run(["audit", "round", roundId]);
    expect(r.err, r.err.join("\n")).to.deep.equal([]);
    expect(r.code).to.equal(3);
    expect(r.out[0]).to.match(/: \d+ MISMATCH\(ES\)$/);
    expect(r.out.some((l) => l.startsWith("  MISMATCH reputation deltas on chain are the recomputed ones"))).to.equal(
      true,
    );
    expect(r.out.at(-1), "the last line, under the mismatches").to.equal(`  contest it: ${command}`);
    const j = await run(["audit", "round", roundId, "--json"]);
    expect(j.code).to.equal(3);
    const report = JSON.parse(j.out.join("\n"));
    expect(report.ok).to.equal(false);
    expect(report.contest).to.equal(command);

    // Run the printed command as it stands (after `chorus`), by a watcher with CHR for the deposit and gas.
    const watcher = await actor(6, "watcher");
    await swarm.f.token.write.transfer([watcher.address, parseEther("1000")]);
    const args = command.split(" ").slice(1);
    const open = await run(["--key", WATCHER_KEY, ...args, "--json"]);
    expect(open.err, open.err.join("\n")).to.deep.equal([]);
    expect(open.code).to.equal(0);
    const d = JSON.parse(open.out.join("\n"));
    expect(d.status).to.equal("open");
    expect(String(d.roundId).toLowerCase()).to.equal(roundId.toLowerCase());
    expect(String(d.disputer).toLowerCase()).to.equal(watcher.address.toLowerCase());
    const status = await run(["dispute", "status", String(d.id)]);
    expect(status.out[0]).to.equal(`dispute ${d.id}: open; round ${d.roundId} (epoch ${d.epoch})`);
  });
});
