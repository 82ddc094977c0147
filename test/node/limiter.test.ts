/** RoundLimiter: bounded concurrency and queue, a bounded wait in the queue, and callers that leave. */
import { expect } from "chai";
import { ChorusError } from "../../src/core/index.js";
import { RoundLimiter } from "../../src/node/limiter.js";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(ChorusError);
    return (err as ChorusError).code;
  }
  return "resolved";
}

describe("node / round limiter", () => {
  it("runs at most `concurrency` at once, queues up to `queue`, refuses the rest with OVERLOADED", async () => {
    const l = new RoundLimiter(1, 1);
    const g = gate();
    const first = l.run(() => g.opened.then(() => 1));
    const second = l.run(async () => 2);
    expect(l.load).to.deep.equal({ running: 1, waiting: 1 });
    expect(await codeOf(l.run(async () => 3))).to.equal("OVERLOADED");
    g.open();
    expect(await Promise.all([first, second])).to.deep.equal([1, 2]);
    expect(l.load).to.deep.equal({ running: 0, waiting: 0 });
  });

  it("refuses a query still queued after maxWaitMs with OVERLOADED, and the slot goes to the next one", async () => {
    const l = new RoundLimiter(1, 4, 30);
    const g = gate();
    const first = l.run(() => g.opened);
    const ran: number[] = [];
    const waited = l.run(async () => void ran.push(1));
    expect(await codeOf(waited)).to.equal("OVERLOADED");
    expect(l.load.waiting).to.equal(0);
    const later = l.run(async () => void ran.push(2), { maxWaitMs: 10_000 });
    g.open();
    await first;
    await later;
    expect(ran).to.deep.equal([2]);
  });

  it("a caller whose signal aborts leaves the queue at once and never runs; an aborted caller is not admitted", async () => {
    const l = new RoundLimiter(1, 4);
    const g = gate();
    const first = l.run(() => g.opened);
    const ac = new AbortController();
    let ran = false;
    const leaving = l.run(async () => void (ran = true), { signal: ac.signal });
    expect(l.load.waiting).to.equal(1);
    ac.abort();
    expect(await codeOf(leaving)).to.equal("ABORTED");
    expect(l.load.waiting).to.equal(0);
    expect(await codeOf(l.run(async () => 0, { signal: ac.signal }))).to.equal("ABORTED");
    g.open();
    await first;
    expect(ran).to.equal(false);
    expect(l.load).to.deep.equal({ running: 0, waiting: 0 });
  });
});
