/**
 * `chorus round show <id>` without the gateway that coordinated the round (issue 17): a real round on the 7-node
 * chain swarm, settled in a real epoch, shown through a node that did not coordinate it (it answers 404) and then
 * through no node at all (the coordinator killed, the configured gateway down). The CLI reads the round from the
 * chain (RoundSettled and its epoch) and the transcript from IPFS (the committee members' gateways keep what they
 * signed), and shows what the coordinator itself shows.
 */
import { expect } from "chai";
import type { Hex } from "viem";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { runCli, swarmCliArgs } from "../kit/cli-run.js";

/** Nothing listens on port 9 of the loopback. */
const NOWHERE = "http://127.0.0.1:9";

interface RoundView {
  roundId: string;
  queryCid: string;
  transcriptCid: string;
  winner: string;
  settlement: string;
  txHash?: string;
  ranking: string[];
  scores: Record<string, number>;
  excluded: unknown[];
  source: string;
}

describe("chorus round show from chain + IPFS: a real settled round, no gateway that coordinated it", function () {
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

  /** The CLI against `gateway`; members' gateways are on the loopback, so the operator allows it; no public gateway. */
  const run = (gateway: string, args: string[]) =>
    runCli([...swarmCliArgs(swarm, { gateway }), ...args], {
      CHORUS_NET_ALLOW_PRIVATE: "127.0.0.0/8",
      CHORUS_IPFS_GATEWAYS: NOWHERE,
    });

  it("through a node that did not coordinate it, then with no node at all, shows the coordinator's view of the round", async () => {
    const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Where do rivers go?" }] }),
    });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).to.equal(200);
    const c = body.chorus;
    const roundId = c.round_id as Hex;
    await swarm.nodes[0].submitter.flush();
    expect(await swarm.nodes[0].queue.status(roundId)).to.equal("settled");
    const events = await swarm.f.settlement.getEvents.RoundSettled({ roundId }, { fromBlock: 0n });
    expect(events).to.have.length(1);
    const txHash = events[0].transactionHash;

    // The coordinator's own view (its round index), for comparison.
    const own = await run(swarm.nodes[0].url, ["round", "show", roundId, "--json"]);
    expect(own.err, own.err.join("\n")).to.deep.equal([]);
    expect((JSON.parse(own.out.join("\n")) as RoundView).source).to.equal("gateway");

    // Node 1 was a member, not the coordinator: its gateway does not know the round (404), the chain and IPFS do.
    const other = await run(swarm.nodes[1].url, ["round", "show", roundId, "--json"]);
    expect(other.err, other.err.join("\n")).to.deep.equal([]);
    expect(other.code).to.equal(0);
    const v = JSON.parse(other.out.join("\n")) as RoundView;
    expect(v.source).to.equal("chain");
    expect(v.roundId.toLowerCase()).to.equal(roundId.toLowerCase());
    expect(v.transcriptCid).to.equal(c.transcript_cid);
    expect(v.queryCid).to.equal(c.query_cid);
    expect(v.winner.toLowerCase()).to.equal(String(c.winner).toLowerCase());
    expect(v.txHash).to.equal(txHash);
    expect(v.settlement).to.match(/^settled in epoch [1-9]\d*$/);
    expect(v.ranking).to.deep.equal(c.ranking);
    expect(v.ranking).to.have.length(c.answered);
    expect(v.scores).to.deep.equal(c.scores);
    expect(v.excluded).to.deep.equal(c.excluded);

    // No node at all: the coordinator is stopped and the configured gateway is down; the members still serve the
    // transcript the chain names.
    await swarm.kill(0);
    const none = await run(NOWHERE, ["round", "show", roundId]);
    expect(none.err, none.err.join("\n")).to.deep.equal([]);
    expect(none.code).to.equal(0);
    expect(none.out.slice(0, 5)).to.deep.equal([
      `round       ${v.roundId}`,
      `query       ${c.query_cid}`,
      `transcript  ${c.transcript_cid}`,
      `winner      ${v.winner}`,
      `settlement  ${v.settlement} (tx ${txHash})`,
    ]);
    const ranked = none.out.slice(5);
    expect(ranked).to.have.length(v.ranking.length);
    ranked.forEach((line, i) =>
      expect(line).to.equal(`  ${i + 1}. ${v.ranking[i]}  score ${(v.scores[v.ranking[i]] / 1e6).toFixed(4)}`),
    );
  });
});
