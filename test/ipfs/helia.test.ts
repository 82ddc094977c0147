import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect } from "chai";
import { CID } from "multiformats/cid";
import { ConfigSchema, type ChorusConfig } from "../../src/config/schema.js";
import { cidOfJson, openArtifactStore, openHeliaStore, type IpfsConfig } from "../../src/ipfs/index.js";
import { expectCode, removeTmpDirs, tmpDir } from "./helpers/util.js";

// The node config's ipfs section must stay assignable to what openArtifactStore takes (checked by tsc;
// exported, as a value only tsc reads).
export const _configFits: (c: ChorusConfig["ipfs"]) => IpfsConfig = (c) => c;

const here = path.dirname(fileURLToPath(import.meta.url));

describe("ipfs / embedded Helia store", function () {
  this.timeout(60_000);
  after(removeTmpDirs);

  it("survives a restart: blocks and pins are there after close + reopen", async () => {
    const dir = await tmpDir();
    const doc = { kind: "transcript", roundId: "0x01", result: { winner: "0xabc" } };
    let store = await openHeliaStore({ dir });
    expect(store.kind).to.equal("helia");
    const cid = await store.putJson(doc, { pin: true });
    const raw = await store.putBytes(new Uint8Array([9, 8, 7]));
    await store.close();
    await expectCode(store.get(cid), "IPFS_CLOSED");
    await store.close();

    store = await openHeliaStore({ dir });
    expect(await store.getJson(cid)).to.deep.equal(doc);
    expect([...(await store.get(raw))]).to.deep.equal([9, 8, 7]);
    expect(await store.isPinned(cid)).to.equal(true);
    expect(await store.isPinned(raw)).to.equal(false);
    await store.close();
  });

  it("reads, in this process, what another process stored and pinned in the same directory", async () => {
    const dir = await tmpDir();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", path.join(here, "helpers/helia-child.ts"), dir],
      {
        cwd: path.resolve(here, "../.."),
      },
    );
    const out = JSON.parse(stdout) as { file: string; manifest: string };
    const store = await openHeliaStore({ dir });
    try {
      const manifest = await store.getJson<{ files: CID[]; pid: string }>(out.manifest);
      expect(manifest.pid).to.equal("child");
      expect(CID.asCID(manifest.files[0])!.toString()).to.equal(out.file);
      expect(Buffer.from(await store.get(out.file)).toString()).to.equal("written by another process");
      expect(await store.isPinned(out.manifest)).to.equal(true);
    } finally {
      await store.close();
    }
  });

  it("an embedded store is offline: a miss fails at once, and it cannot dial", async () => {
    const store = await openHeliaStore({ dir: await tmpDir() });
    try {
      const t0 = Date.now();
      await expectCode(store.get(await cidOfJson({ absent: true })), "IPFS_NOT_FOUND");
      expect(Date.now() - t0).to.be.lessThan(1000);
      expect(store.multiaddrs()).to.deep.equal([]);
      expect(store.peerId).to.equal(undefined);
      await expectCode(
        store.dial("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWLBQKFU32GPKLRh2iTx11NUtYGAAXUXnPZGQmct1TGxiC"),
        "IPFS_CONFIG",
      );
    } finally {
      await store.close();
    }
  });

  it("openArtifactStore opens what the node config's ipfs section says (default: embedded under <dataDir>/ipfs)", async () => {
    const dataDir = await tmpDir();
    const store = await openArtifactStore(undefined, { dataDir });
    try {
      expect(store.kind).to.equal("helia");
      const cid = await store.putJson({ hello: "config" });
      expect(await store.has(cid)).to.equal(true);
    } finally {
      await store.close();
    }
    const fromConfig: ChorusConfig["ipfs"] = ConfigSchema.parse({}).ipfs;
    const again = await openArtifactStore(fromConfig, { dataDir });
    try {
      expect(again.maxBytes).to.equal(fromConfig.maxArtifactBytes);
      expect(await again.getJson(await again.cidOf({ hello: "config" }))).to.deep.equal({ hello: "config" });
    } finally {
      await again.close();
    }
    const mem = await openArtifactStore({ mode: "memory", maxArtifactBytes: 2048 });
    expect(mem.kind).to.equal("memory");
    expect(mem.maxBytes).to.equal(2048);
    await expectCode(openArtifactStore({ mode: "kubo" }), "IPFS_CONFIG");
    await expectCode(openArtifactStore({ mode: "ipfs-cluster" as never }), "IPFS_CONFIG");
  });
});
