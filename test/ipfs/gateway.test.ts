/**
 * The trustless-gateway interface: blocks and CARs over HTTP that an auditor verifies without trusting the
 * node, here with this module's CAR reader and with Helia's own trustless-gateway client.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import express from "express";
import { CID } from "multiformats/cid";
import { cidOfJson, createMemoryStore, readCarVerified, verifyBlock } from "../../src/ipfs/index.js";
import { expectCode } from "./helpers/util.js";

describe("ipfs / trustless gateway", function () {
  this.timeout(30_000);
  const store = createMemoryStore();
  let server: Server;
  let base: string;
  let file: CID;
  let manifest: CID;
  const doc = { kind: "corpus", title: "Gateway test" };

  before(async () => {
    file = await store.putBytes(new TextEncoder().encode("the file body"));
    manifest = await store.putJson({ ...doc, files: [file] });
    const app = express();
    app.use(store.gateway());
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  });

  const get = (p: string, headers: Record<string, string> = {}, method = "GET") => fetch(base + p, { headers, method });

  it("?format=raw returns the block bytes, which verify against the CID", async () => {
    const res = await get(`/ipfs/${manifest.toString()}?format=raw`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.equal("application/vnd.ipld.raw");
    expect(res.headers.get("x-ipfs-path")).to.equal(`/ipfs/${manifest.toString()}`);
    expect(res.headers.get("etag")).to.equal(`"${manifest.toString()}.raw"`);
    expect(res.headers.get("cache-control")).to.contain("immutable");
    const bytes = new Uint8Array(await res.arrayBuffer());
    await verifyBlock(manifest, bytes);
    expect(res.headers.get("content-length")).to.equal(String(bytes.length));
  });

  it("Accept: application/vnd.ipld.raw works the same", async () => {
    const res = await get(`/ipfs/${file.toString()}`, { Accept: "application/vnd.ipld.raw" });
    expect(res.headers.get("content-type")).to.equal("application/vnd.ipld.raw");
    expect(Buffer.from(await res.arrayBuffer()).toString()).to.equal("the file body");
  });

  it("?format=car returns a CARv1 of the whole DAG; every block verifies", async () => {
    const res = await get(`/ipfs/${manifest.toString()}?format=car`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^application\/vnd\.ipld\.car; version=1/);
    const car = await readCarVerified(new Uint8Array(await res.arrayBuffer()));
    expect(car.roots.map(String)).to.deep.equal([manifest.toString()]);
    expect(car.blocks.map((b) => b.cid.toString())).to.deep.equal([manifest.toString(), file.toString()]);
  });

  it("Accept: application/vnd.ipld.car with dag-scope=block holds only the root", async () => {
    const res = await get(`/ipfs/${manifest.toString()}?dag-scope=block`, { Accept: "application/vnd.ipld.car" });
    const car = await readCarVerified(new Uint8Array(await res.arrayBuffer()));
    expect(car.blocks).to.have.length(1);
    expect(res.headers.get("etag")).to.equal(`"${manifest.toString()}.car.block"`);
  });

  it("without a format, a dag-json artifact is served as JSON (readable in a browser, still the exact block)", async () => {
    const res = await get(`/ipfs/${manifest.toString()}`);
    expect(res.headers.get("content-type")).to.match(/^application\/json/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    await verifyBlock(manifest, bytes);
    expect(JSON.parse(Buffer.from(bytes).toString())).to.deep.include(doc);
  });

  it("HEAD gives the headers without a body; If-None-Match gives 304", async () => {
    const head = await get(`/ipfs/${manifest.toString()}?format=raw`, {}, "HEAD");
    expect(head.status).to.equal(200);
    expect(head.headers.get("etag")).to.equal(`"${manifest.toString()}.raw"`);
    expect((await head.arrayBuffer()).byteLength).to.equal(0);
    const again = await get(`/ipfs/${manifest.toString()}?format=raw`, {
      "If-None-Match": `"${manifest.toString()}.raw"`,
    });
    expect(again.status).to.equal(304);
  });

  it("400 for a bad CID, an unknown codec, an unsupported format or a path; 404 for an unknown block", async () => {
    const cases: [string, number, string][] = [
      ["/ipfs/not-a-cid", 400, "IPFS_BAD_CID"],
      [`/ipfs/${CID.createV1(0x0200, manifest.multihash).toString()}`, 400, "IPFS_UNKNOWN_CODEC"],
      [`/ipfs/${manifest.toString()}?format=tar`, 400, "IPFS_BAD_REQUEST"],
      [`/ipfs/${manifest.toString()}?format=car&dag-scope=everything`, 400, "IPFS_BAD_REQUEST"],
      [`/ipfs/${manifest.toString()}/files/0`, 400, "IPFS_BAD_REQUEST"],
      [`/ipfs/${(await cidOfJson({ unknown: 1 })).toString()}?format=raw`, 404, "IPFS_NOT_FOUND"],
    ];
    for (const [p, status, code] of cases) {
      const res = await get(p);
      expect(res.status, p).to.equal(status);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code, p).to.equal(code);
      expect(body.error.message).to.be.a("string").and.not.equal("");
    }
  });

  it("a block whose stored bytes were tampered with is not served (500 IPFS_CID_MISMATCH)", async () => {
    const cid = await store.putJson({ will: "be tampered" });
    store.memory.blocks.set(cid.toString(), new TextEncoder().encode('{"will":"be forged"}'));
    const res = await get(`/ipfs/${cid.toString()}?format=raw`);
    expect(res.status).to.equal(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal("IPFS_CID_MISMATCH");
  });

  it("Helia's trustless-gateway client fetches and verifies blocks from the gateway", async () => {
    const helia = await heliaClient(base);
    try {
      const bytes = await collect(helia.blockstore.get(file, { signal: AbortSignal.timeout(10_000) }));
      expect(Buffer.from(bytes).toString()).to.equal("the file body");
    } finally {
      await helia.stop();
    }
  });

  it("Helia's client rejects a gateway that serves bytes not matching the CID", async () => {
    const liar = express();
    let asked = 0;
    liar.get("/ipfs/:cid", (_req, res) => {
      asked++;
      res.set("Content-Type", "application/vnd.ipld.raw").end(Buffer.from("forged body"));
    });
    const liarServer = liar.listen(0, "127.0.0.1");
    await new Promise((resolve) => liarServer.once("listening", resolve));
    const helia = await heliaClient(`http://127.0.0.1:${(liarServer.address() as AddressInfo).port}`);
    try {
      let failed = false;
      try {
        await collect(helia.blockstore.get(file, { signal: AbortSignal.timeout(3000) }));
      } catch {
        failed = true;
      }
      expect(asked, "the client did ask the lying gateway").to.be.greaterThan(0);
      expect(failed, "forged bytes must not be accepted").to.equal(true);
    } finally {
      await helia.stop();
      liarServer.closeAllConnections();
      await new Promise((resolve) => liarServer.close(resolve));
    }
  });

  it("the gateway of a closed store answers 503", async () => {
    const closed = createMemoryStore();
    const cid = await closed.putJson({ a: 1 });
    await closed.close();
    await expectCode(closed.get(cid), "IPFS_CLOSED");
    const app = express().use(closed.gateway());
    const s = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => s.once("listening", resolve));
    const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/ipfs/${cid.toString()}`);
    expect(res.status).to.equal(503);
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  });
});

/** A Helia node whose only way to get blocks is the trustless gateway at `url` (an auditor's setup). */
async function heliaClient(url: string) {
  await import("../../src/ipfs/polyfill.js");
  const { createHeliaLight } = await import("helia");
  const { trustlessGatewayBlockBroker } = await import("@helia/trustless-gateway-client");
  const { fallbackRouter } = await import("@helia/fallback-router");
  const helia = createHeliaLight({
    blockBrokers: [trustlessGatewayBlockBroker({ allowInsecure: true, allowLocal: true })],
    // An empty ordinary router goes first: with only a fallback router, helia 7.1.15's findProviders never
    // finishes its (empty) first pass and hangs, ignoring the signal.
    routers: [{ name: "none", findProviders: async function* () {} }, fallbackRouter({ gateways: [url] })],
  });
  await helia.start();
  return helia;
}

async function collect(src: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of src) parts.push(p);
  return Buffer.concat(parts);
}
