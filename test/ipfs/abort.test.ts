/**
 * A client that leaves in the middle of a round aborts the round's artifact writes. Under `npm run bench:load`
 * that left an unhandled `DOMException [AbortError]` behind (Helia's pin graph walk, given the caller's signal,
 * rejects a promise nothing handles) and the node process died. Aborting a pinned put at every point of its
 * life must leave no unhandled rejection, and the store must keep working.
 */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openArtifactStore, roundArtifacts, type ArtifactStore } from "../../src/ipfs/index.js";

describe("ipfs / aborted writes", function () {
  this.timeout(60_000);
  let dir: string;
  let store: ArtifactStore;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);
  // mocha's own handler would fail the run at once; this test counts them instead
  let saved: NodeJS.UnhandledRejectionListener[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-abort-"));
    store = await openArtifactStore({ mode: "embedded" }, { dataDir: dir });
    saved = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", onUnhandled);
  });
  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    for (const l of saved) process.on("unhandledRejection", l);
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("leaves no unhandled rejection when pinned puts are aborted at every stage, and the store still works", async () => {
    const port = roundArtifacts(store);
    let aborted = 0;
    for (let i = 0; i < 200; i++) {
      const c = new AbortController();
      const p = port.putJson({ i, pad: "x".repeat(200) }, { signal: c.signal }).then(
        () => false,
        () => true,
      );
      // abort at once, after some microtasks, or after a few timer ticks: every stage of put + pin
      const stage = i % 10;
      if (stage === 0) c.abort();
      else if (stage < 5)
        for (let k = 0; k < stage * 3; k++)
          await Promise.resolve().then(() => (k === stage * 3 - 1 ? c.abort() : undefined));
      else setTimeout(() => c.abort(), (stage - 5) / 2);
      if (await p) aborted++;
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(aborted, "some puts were really aborted").to.be.greaterThan(20);
    expect(unhandled.map((e) => String(e))).to.deep.equal([]);
    const cid = await port.putJson({ after: true });
    expect(await port.getJson(cid)).to.deep.equal({ after: true });
    expect(await store.isPinned(cid)).to.equal(true);
  });
});
