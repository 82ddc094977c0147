/**
 * Kubo backend specifics: the RPC calls it makes, and that it does not trust the daemon. The daemon is a
 * stand-in speaking Kubo's RPC wire format over a real blockstore; a real Kubo could not be installed here.
 */
import { expect } from "chai";
import { jsonBlock, openKuboStore } from "../../src/ipfs/index.js";
import { startFakeKubo, type FakeKubo } from "./helpers/fake-kubo.js";
import { expectCode, removeTmpDirs, tmpDir } from "./helpers/util.js";
import { closeStarted } from "../helpers/close.js";

describe("ipfs / Kubo RPC store", function () {
  this.timeout(30_000);
  let kubo: FakeKubo;
  before(async () => {
    kubo = await startFakeKubo(await tmpDir());
  });
  after(async () => {
    await closeStarted(kubo);
    await removeTmpDirs();
  });

  it("writes with block/put (dag-json codec, sha2-256) and reads with block/get", async () => {
    const store = await openKuboStore({ url: kubo.url });
    kubo.calls.length = 0;
    const cid = await store.putJson({ via: "kubo" }, { pin: true });
    expect(await store.getJson(cid)).to.deep.equal({ via: "kubo" });
    expect(kubo.calls).to.deep.equal(["block/put", "block/get"]);
    const put = kubo.params.get("block/put")!;
    expect(put.get("cid-codec")).to.equal("dag-json");
    expect(put.get("mhtype")).to.equal("sha2-256");
    expect(put.get("pin")).to.equal("true");
    expect(kubo.params.get("block/get")!.get("arg")).to.equal(cid.toString());
    expect(kubo.pins.has(cid.toString())).to.equal(true);
  });

  it("rejects a daemon that reports another CID for a put", async () => {
    const store = await openKuboStore({ url: kubo.url });
    kubo.faults.wrongPutCid = true;
    try {
      const e = await expectCode(store.putJson({ lie: "about my cid" }), "IPFS_CID_MISMATCH");
      expect(e.message).to.contain("Kubo stored the block as");
    } finally {
      kubo.faults.wrongPutCid = false;
    }
  });

  it("rejects a daemon that returns other bytes for a CID", async () => {
    const store = await openKuboStore({ url: kubo.url });
    const cid = await store.putJson({ honest: "content" });
    kubo.faults.tamperGet = true;
    try {
      await expectCode(store.get(cid), "IPFS_CID_MISMATCH");
    } finally {
      kubo.faults.tamperGet = false;
    }
    expect(await store.getJson(cid)).to.deep.equal({ honest: "content" });
  });

  it("an unreachable daemon is IPFS_BACKEND; a bad URL is IPFS_CONFIG", async () => {
    const dead = await openKuboStore({ url: "http://127.0.0.1:1" });
    const { cid } = await jsonBlock({ a: 1 });
    await expectCode(dead.get(cid, { timeoutMs: 5000 }), "IPFS_BACKEND");
    await expectCode(openKuboStore({ url: "not a url" }), "IPFS_CONFIG");
    await expectCode(openKuboStore({ url: "ftp://127.0.0.1:5001" }), "IPFS_CONFIG");
  });

  it("a read past its deadline is IPFS_TIMEOUT", async () => {
    const { createServer } = await import("node:http");
    const hang = createServer(() => undefined);
    await new Promise<void>((resolve) => hang.listen(0, "127.0.0.1", resolve));
    try {
      const store = await openKuboStore({ url: `http://127.0.0.1:${(hang.address() as { port: number }).port}` });
      const { cid } = await jsonBlock({ slow: true });
      const t0 = Date.now();
      await expectCode(store.get(cid, { timeoutMs: 300 }), "IPFS_TIMEOUT");
      expect(Date.now() - t0).to.be.lessThan(3000);
    } finally {
      hang.closeAllConnections();
      await new Promise((resolve) => hang.close(resolve));
    }
  });
});
