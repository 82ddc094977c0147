/**
 * One model, a swarm of different answers: each member samples with its own seed (from its address and the
 * query) at the node's configured temperature when the query names neither; a query's own seed and temperature
 * win. Checked with the fake backend (what reaches the model) and with the real tiny GGUF model (the text).
 */
import { expect } from "chai";
import { GgufBackend, mindFromBackend } from "../../src/inference/index.js";
import { memberSeed } from "../../src/node/assemble.js";
import { loadConfig } from "../../src/config/index.js";
import { FakeBackend } from "../helpers/fake-backend.js";
import { requireTestModel } from "./helpers/model.js";

const A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const B = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const query = { messages: [{ role: "user", content: "Once upon a time" }], maxTokens: 24 };

describe("member sampling: own seed, configurable temperature", function () {
  this.timeout(60_000);

  it("CHORUS_TEMPERATURE configures the node (validated); the default stays greedy", () => {
    expect(loadConfig({ env: {} }).inference.temperature).to.equal(0);
    expect(loadConfig({ env: { CHORUS_TEMPERATURE: "0.8" } }).inference.temperature).to.equal(0.8);
    expect(() => loadConfig({ env: { CHORUS_TEMPERATURE: "hot" } })).to.throw(
      /inference.temperature: .*\(from env CHORUS_TEMPERATURE\)/,
    );
    expect(() => loadConfig({ env: { CHORUS_TEMPERATURE: "3" } })).to.throw(/inference.temperature/);
  });

  it("each member's seed differs, is stable for a query, and reaches the model with the temperature; a query's own seed wins", async () => {
    expect(memberSeed(A, query.messages)).to.not.equal(memberSeed(B, query.messages));
    expect(memberSeed(A, query.messages)).to.equal(memberSeed(A.toLowerCase(), query.messages));
    expect(memberSeed(A, query.messages)).to.not.equal(memberSeed(A, [{ role: "user", content: "another" }]));
    const backend = new FakeBackend();
    const mind = (who: string) =>
      mindFromBackend(backend, { temperature: 0.8, seedOf: (q) => memberSeed(who, q.messages) });
    await mind(A).answer(query, {});
    await mind(B).answer(query, {});
    await mind(A).answer({ ...query, params: { seed: 7, temperature: 0.1 } }, {});
    expect(backend.calls.map((c) => [c.opts.temperature, c.opts.seed])).to.deep.equal([
      [0.8, memberSeed(A, query.messages)],
      [0.8, memberSeed(B, query.messages)],
      [0.1, 7],
    ]);
  });

  it("the real model at temperature 0.8: members with their own seeds write different stories, one member the same story twice", async () => {
    const backend = new GgufBackend({ modelPath: requireTestModel(), threads: 1, contextSize: 256 });
    try {
      const mind = (who: string) =>
        mindFromBackend(backend, { temperature: 0.8, seedOf: (q) => memberSeed(who, q.messages) });
      const members = [
        "0x0000000000000000000000000000000000000001",
        A,
        B,
        "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
      ];
      const answers = await Promise.all(members.map((m) => mind(m).answer(query, {})));
      expect(new Set(answers).size, answers.join(" | ")).to.be.above(1);
      expect(await mind(A).answer(query, {})).to.equal(answers[1]);
    } finally {
      await backend.close();
    }
  });
});
