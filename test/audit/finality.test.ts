/**
 * Issue 13, optimistic finality, end to end through the CLI against a real swarm: a settled epoch is pending
 * (`chorus epoch status`, `chorus audit epoch` say so and list the pending deltas, reputation has not moved), nobody
 * can finalize it early, then anyone (here the CLI, without the settling node) makes it final once due, and the audit
 * checks the final reputations against the rule. The explorer shows the same.
 */
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress, type Address } from "viem";
import { REP_INITIAL } from "../../src/core/index.js";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { runCli, swarmCliArgs } from "../kit/cli-run.js";

describe("optimistic finality through the CLI and the explorer (issue 13)", function () {
  this.timeout(180_000);

  it("an epoch is pending, then anyone makes it final once due; audit and explorer show pending vs final", async () => {
    const swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
    });
    try {
      const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: "pending or final?" }] }),
      });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).to.equal(200);
      await swarm.nodes[0].submitter.flush();
      // the settling node's finalizer would do it on its own: stop it, so the CLI (anyone) is what finalizes
      await swarm.nodes[0].finalizer!.stop();
      // an account with no role and no stake: Hardhat's well-known account #9
      const anyone = ["--key", "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"];
      const run = (args: string[]) => runCli([...swarmCliArgs(swarm), ...args]);
      const transcript = await swarm
        .storeOf(0)
        .getJson<{ result: { deltas: Record<string, number> } }>(body.chorus.transcript_cid);
      const deltas = Object.fromEntries(Object.entries(transcript.result.deltas).map(([n, d]) => [getAddress(n), d]));

      // pending: the audit says so and lists exactly the round's deltas; nothing moved on chain
      let r = await run(["audit", "epoch", "1", "--json"]);
      expect(r.code, r.err.join("\n")).to.equal(0);
      let report = JSON.parse(r.out.join("\n"));
      expect(report.finality.status).to.equal("pending");
      expect(report.finality.pending).to.deep.equal(deltas);
      const nodes = Object.keys(deltas) as Address[];
      expect((await swarm.f.settlement.read.reputationsOf([nodes])).map(Number)).to.deep.equal(
        nodes.map(() => REP_INITIAL),
      );
      r = await run(["epoch", "status", "1"]);
      expect(r.out[0]).to.match(/^epoch 1: pending: can be made final from \d{4}-/);
      const explorerNodes = (await (await fetch(`${swarm.nodes[1].url}/explorer/api/nodes`)).json()) as {
        nodes: { address: string; pendingDelta: number }[];
      };
      for (const n of explorerNodes.nodes)
        expect(n.pendingDelta, n.address).to.equal(deltas[getAddress(n.address)] ?? 0);

      // too early: refused with the contract's error, nothing sent
      r = await run([...anyone, "epoch", "finalize", "1"]);
      expect(r.code).to.equal(1);
      expect(r.err[0]).to.match(/^chorus: .*SettlementEpochNotReady/);
      r = await run([...anyone, "epoch", "finalize"]);
      expect(r.out[0]).to.equal("no pending epoch is due yet");

      // due: the CLI (any account) makes it final; the audit checks the final reputations against the rule
      const [, , finalAt] = await swarm.f.settlement.read.epochStatus([1n]);
      await time.increaseTo(finalAt);
      r = await run([...anyone, "epoch", "finalize", "--json"]);
      expect(r.code, r.err.join("\n")).to.equal(0);
      expect(JSON.parse(r.out.join("\n")).finalized).to.deep.equal([1]);
      r = await run(["audit", "epoch", "1", "--json"]);
      expect(r.code, r.err.join("\n")).to.equal(0);
      report = JSON.parse(r.out.join("\n"));
      expect([report.ok, report.finality.status, report.finality.mismatches]).to.deep.equal([true, "final", []]);
      expect((await swarm.f.settlement.read.reputationsOf([nodes])).map(Number)).to.deep.equal(
        nodes.map((n) => REP_INITIAL + deltas[n]),
      );
      // the explorer trusts one block number for up to a second (its read cache): it shows final within that
      let status: string | undefined;
      for (let i = 0; i < 20 && status !== "final"; i++) {
        const epochs = (await (await fetch(`${swarm.nodes[1].url}/explorer/api/epochs`)).json()) as {
          epochs: { epoch: number; status: string }[];
        };
        status = epochs.epochs.find((e) => e.epoch === 1)?.status;
        if (status !== "final") await new Promise((r) => setTimeout(r, 250));
      }
      expect(status).to.equal("final");
    } finally {
      await swarm.close();
    }
  });
});
