/**
 * Overload (issue #9 part 5): with every round slot taken and the bounded queue full, the gateway refuses
 * more queries at once with 503, a Retry-After header and a JSON error; the queue never grows past its bound;
 * the queued rounds still complete and the node keeps serving afterwards. Behaviour only: timings belong in
 * `npm run bench:load`.
 */
import { expect } from "chai";
import { RoundLimiter } from "../../src/node/limiter.js";
import { ChorusError } from "../../src/core/index.js";
import type { Mind } from "../../src/round/ports.js";
import { startHttpSwarm, type HttpSwarm } from "../helpers/http-swarm.js";
import { closeStarted } from "../helpers/close.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("RoundLimiter", () => {
  it("runs at most `concurrency`, queues at most `queue`, refuses the rest at once with OVERLOADED", async () => {
    const limiter = new RoundLimiter(2, 3);
    const gate = deferred();
    let maxWaiting = 0;
    const results = Array.from({ length: 9 }, (_, i) =>
      limiter
        .run(async () => {
          await gate.promise;
          return i;
        })
        .then(
          (v) => ({ ok: v }),
          (e: unknown) => ({ err: e }),
        ),
    );
    maxWaiting = Math.max(maxWaiting, limiter.load.waiting);
    expect(limiter.load).to.deep.equal({ running: 2, waiting: 3 });
    gate.resolve();
    const out = await Promise.all(results);
    expect(out.filter((r) => "ok" in r).map((r) => r.ok)).to.deep.equal([0, 1, 2, 3, 4]);
    const refused = out.filter((r) => "err" in r).map((r) => (r as { err: ChorusError }).err);
    expect(refused).to.have.length(4);
    for (const e of refused) expect(e).to.be.instanceOf(ChorusError).with.property("code", "OVERLOADED");
    expect(maxWaiting).to.be.at.most(3);
    expect(limiter.load).to.deep.equal({ running: 0, waiting: 0 });
    expect(await limiter.run(async () => "again")).to.equal("again");
  });

  it("a failing round frees its slot for the next in the queue", async () => {
    const limiter = new RoundLimiter(1, 1);
    const first = limiter.run(async () => Promise.reject(new Error("boom")));
    const second = limiter.run(async () => "second");
    const err = await first.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.equal("boom");
    expect(await second).to.equal("second");
  });
});

describe("gateway under overload (3 nodes on 127.0.0.1)", function () {
  let swarm: HttpSwarm;
  let base = "";
  let gate = deferred();
  const limiter = new RoundLimiter(1, 2);

  before(async () => {
    swarm = await startHttpSwarm({
      n: 3,
      // members answer only once the test opens the gate: rounds stay running as long as it needs
      mind: (i): Mind => ({
        answer: async () => (await gate.promise, `answer ${i}`),
        compare: async ({ answerA, answerB }) => ({ outcome: answerA < answerB ? "A" : "B" }),
      }),
      round: {
        committeeSize: 3,
        answerTimeoutMs: 20_000,
        revealTimeoutMs: 5000,
        judgeTimeoutMs: 5000,
        signTimeoutMs: 5000,
      },
      limiter: (i) => (i === 0 ? limiter : new RoundLimiter(4, 4)),
    });
    base = swarm.base;
  });
  after(async () => {
    gate.resolve();
    await closeStarted(swarm);
  });

  const ask = (content: string) =>
    fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "chorus-swarm", messages: [{ role: "user", content }] }),
    });

  it("refuses beyond the bounded queue with 503 + Retry-After + JSON, then completes the queued rounds and keeps serving", async function () {
    this.timeout(30_000);
    let maxWaiting = 0;
    const watch = setInterval(() => (maxWaiting = Math.max(maxWaiting, limiter.load.waiting)), 1);
    try {
      const admitted = [ask("first"), ask("second"), ask("third")];
      while (limiter.load.running < 1 || limiter.load.waiting < 2) await new Promise((r) => setTimeout(r, 5));
      const refused = await Promise.all(Array.from({ length: 6 }, (_, i) => ask(`extra ${i}`)));
      for (const res of refused) {
        expect(res.status).to.equal(503);
        expect(res.headers.get("retry-after")).to.match(/^[1-9]\d*$/);
        expect(res.headers.get("content-type")).to.match(/application\/json/);
        const body = (await res.json()) as { error: { code: string; type: string; message: string } };
        expect(body.error.code).to.equal("OVERLOADED");
        expect(body.error.type).to.equal("server_error");
        expect(body.error.message).to.match(/capacity/);
      }
      expect(limiter.load).to.deep.equal({ running: 1, waiting: 2 });
      gate.resolve();
      const done = await Promise.all(admitted);
      for (const res of done) {
        expect(res.status).to.equal(200);
        const body = (await res.json()) as { choices: { message: { content: string } }[] };
        expect(body.choices[0].message.content).to.match(/^answer \d$/);
      }
    } finally {
      clearInterval(watch);
    }
    expect(maxWaiting, "the queue never exceeds its bound").to.be.at.most(2);
    expect(limiter.load).to.deep.equal({ running: 0, waiting: 0 });
    const again = await ask("after the storm");
    expect(again.status).to.equal(200);
    expect(((await again.json()) as { chorus: { answered: number } }).chorus.answered).to.equal(3);
  });

  it("while full it refuses before reading the body (even a broken one gets 503); once a round ends, 400 again", async () => {
    gate = deferred();
    const busy = [ask("a"), ask("b"), ask("c")];
    while (limiter.load.running < 1 || limiter.load.waiting < 2) await new Promise((r) => setTimeout(r, 5));
    const broken = () =>
      fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{",
      });
    expect((await ask("one too many")).status).to.equal(503);
    const refused = await broken();
    expect(refused.status).to.equal(503);
    expect(refused.headers.get("retry-after")).to.match(/^[1-9]\d*$/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal("OVERLOADED");
    gate.resolve();
    for (const r of await Promise.all(busy)) expect(r.status).to.equal(200);
    const res = await broken();
    expect(res.status).to.equal(400);
    expect(res.headers.get("retry-after")).to.equal(null);
  });
});
