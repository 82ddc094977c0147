/**
 * Real IPFS between Chorus nodes: two networked Helia stores on loopback, libp2p TCP + noise + yamux, blocks
 * moving over bitswap. Nothing listens beyond 127.0.0.1 and nothing dials out on its own.
 */
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { CID } from "multiformats/cid";
import { cidOfJson, openHeliaStore, type HeliaArtifactStore } from "../../src/ipfs/index.js";
import { expectCode, removeTmpDirs, tmpDir } from "./helpers/util.js";
import { closeStarted } from "../helpers/close.js";

describe("ipfs / networked Helia over loopback", function () {
  this.timeout(60_000);
  let a: HeliaArtifactStore;
  let b: HeliaArtifactStore;
  let aDir: string;

  before(async () => {
    aDir = await tmpDir();
    a = await openHeliaStore({ dir: aDir, network: {} });
    b = await openHeliaStore({ dir: await tmpDir(), network: { peers: [a.multiaddrs()[0]] }, timeoutMs: 10_000 });
  });
  after(async () => {
    await closeStarted(b, a);
    await removeTmpDirs();
  });

  it("listens on 127.0.0.1 only, and a configured peer is dialed at start", () => {
    expect(a.kind).to.equal("helia-network");
    expect(a.multiaddrs()).to.have.length.greaterThan(0);
    for (const m of [...a.multiaddrs(), ...b.multiaddrs()])
      expect(m).to.match(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo/);
    expect(b.peers()).to.include(a.peerId);
  });

  it("node B fetches node A's dag-json artifact over bitswap, verified, and keeps a copy", async () => {
    const doc = { kind: "answer", node: "0xa", text: "Bitswap carried me." };
    const cid = await a.putJson(doc);
    expect(await b.has(cid)).to.equal(false);
    expect(await b.getJson(cid)).to.deep.equal(doc);
    expect(await b.has(cid)).to.equal(true);
  });

  it("moves a 1 MiB raw block", async () => {
    const bytes = randomBytes(1024 * 1024);
    const cid = await a.putBytes(bytes);
    const got = await b.get(cid);
    expect(Buffer.from(got).equals(bytes)).to.equal(true);
  });

  it("B pins a manifest whose linked file only A has: the whole DAG is fetched", async () => {
    const file = await a.putBytes(new TextEncoder().encode("calibration item 1"));
    const manifest = await a.putJson({ kind: "calibration-suite", items: [file] });
    await b.pin(manifest);
    expect(await b.isPinned(manifest)).to.equal(true);
    expect(await b.has(file)).to.equal(true);
    await a.close();
    expect(Buffer.from(await b.get(file, { offline: true })).toString()).to.equal("calibration item 1");
    a = await openHeliaStore({ dir: aDir, network: {} });
  });

  it("a block nobody has is IPFS_TIMEOUT at the deadline, IPFS_NOT_FOUND at once when offline", async () => {
    const cid = await cidOfJson({ nobody: "has this", n: Date.now() });
    const t0 = Date.now();
    const e = await expectCode(b.get(cid, { timeoutMs: 700 }), "IPFS_TIMEOUT");
    expect(e.details.timeoutMs).to.equal(700);
    expect(Date.now() - t0).to.be.within(600, 5000);
    await expectCode(b.get(cid, { offline: true }), "IPFS_NOT_FOUND");
  });

  it("keeps its peer ID across a restart (key in the datastore) and can be dialed again", async () => {
    const before = a.peerId;
    expect(before).to.be.a("string");
    await a.close();
    a = await openHeliaStore({ dir: aDir, network: {} });
    expect(a.peerId).to.equal(before);
    await b.dial(a.multiaddrs()[0]);
    const cid = await a.putJson({ after: "restart" });
    expect(await b.getJson(cid)).to.deep.equal({ after: "restart" });
  });

  it("refuses listen / announce addresses that are not TCP on an IP (announce: or a DNS name, fixed port) and bad multiaddrs with IPFS_CONFIG", async () => {
    for (const listen of [["/ip4/127.0.0.1/udp/0/quic-v1"], ["/dns4/example.org/tcp/4001"], []]) {
      await expectCode(openHeliaStore({ dir: await tmpDir(), network: { listen } }), "IPFS_CONFIG");
    }
    for (const announce of [["/ip4/203.0.113.7/tcp/0"], ["/ip4/203.0.113.7/udp/4001"], ["nonsense"]]) {
      await expectCode(openHeliaStore({ dir: await tmpDir(), network: { announce } }), "IPFS_CONFIG");
    }
    await expectCode(openHeliaStore({ dir: await tmpDir(), network: { peers: ["not a multiaddr"] } }), "IPFS_CONFIG");
    await expectCode(
      b.dial("/ip4/127.0.0.1/tcp/1/p2p/12D3KooWLBQKFU32GPKLRh2iTx11NUtYGAAXUXnPZGQmct1TGxiC"),
      "IPFS_BACKEND",
    );
  });

  it("announces the configured addresses instead of the listen address (what peers are told to dial)", async () => {
    const c = await openHeliaStore({
      dir: await tmpDir(),
      network: { announce: ["/dns4/node.example.org/tcp/4001", "/ip4/203.0.113.7/tcp/4001"] },
    });
    try {
      const addrs = c.multiaddrs();
      expect(addrs.some((m) => m.startsWith("/dns4/node.example.org/tcp/4001/p2p/"))).to.equal(true);
      expect(addrs.some((m) => m.startsWith("/ip4/203.0.113.7/tcp/4001/p2p/"))).to.equal(true);
      expect(addrs.some((m) => m.startsWith("/ip4/127.0.0.1/"))).to.equal(false);
    } finally {
      await c.close();
    }
  });

  it("CIDs from getJson links can be passed straight back to get", async () => {
    const file = await a.putBytes(new Uint8Array([1, 2, 3]));
    const m = await a.putJson({ files: [file] });
    const doc = await b.getJson<{ files: CID[] }>(m);
    expect([...(await b.get(doc.files[0]))]).to.deep.equal([1, 2, 3]);
  });
});
