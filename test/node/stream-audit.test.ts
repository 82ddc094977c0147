/**
 * A streamed answer leads to the proof: the final chunk of a `stream: true` round (read with the official openai
 * SDK) carries the round id and transcript CID, and once the node settles its epoch on the in-process chain the
 * explorer's audit of that round re-derives it from chain + IPFS and finds no mismatch.
 */
import { expect } from "chai";
import OpenAI from "openai";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { closeStarted } from "../helpers/close.js";

describe("stream: the final chunk's transcript CID audits OK against the chain", function () {
  this.timeout(180_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;

  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
      timeoutMs: 1500,
    });
  });
  after(() => closeStarted(swarm));

  it("streams the answer, then the settled round's audit is OK and its transcript is the one streamed", async () => {
    const client = new OpenAI({ baseURL: `${swarm.nodes[0].url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "chorus-swarm",
      messages: [{ role: "user", content: "Tell me about the sea." }],
      stream: true,
    });
    let text = "";
    let chorus: { round_id: string; transcript_cid: string } | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? "";
      chorus ??= (c as unknown as { chorus?: typeof chorus }).chorus;
    }
    expect(text).to.equal("answer q6 from node 6");
    expect(chorus?.transcript_cid).to.match(/^bagu/);
    await swarm.nodes[0].submitter.flush();
    const res = await fetch(`${swarm.nodes[0].url}/explorer/api/rounds/${chorus!.round_id}/audit`);
    const report = (await res.json()) as { ok: boolean; transcriptCid: string; mismatches: unknown[] };
    expect(res.status, JSON.stringify(report)).to.equal(200);
    expect(report.ok, JSON.stringify(report.mismatches)).to.equal(true);
    expect(report.transcriptCid).to.equal(chorus!.transcript_cid);
  });
});
