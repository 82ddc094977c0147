/**
 * Files of any size through @helia/unixfs on every store: chunked into 256 KiB raw leaves under dag-pb nodes
 * (Kubo's `ipfs add --cid-version 1` defaults), every block verified on the way out (a tampered leaf is
 * refused), one-chunk files keep the raw CID `putBytes` gives, JSON artifacts keep their dag-json CIDs, and
 * pinned artifacts are pushed to and pinned on a remote Kubo RPC in the background.
 */
import { createHash, randomBytes } from "node:crypto";
import { expect } from "chai";
import * as dagPb from "@ipld/dag-pb";
import {
  cidOfJson,
  createMemoryStore,
  FILE_CHUNK_BYTES,
  openArtifactStore,
  openHeliaStore,
} from "../../src/ipfs/index.js";
import { startFakeKubo } from "./helpers/fake-kubo.js";
import { expectCode, removeTmpDirs, tmpDir } from "./helpers/util.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("ipfs / UnixFS files of any size, remote pins", function () {
  this.timeout(60_000);
  after(removeTmpDirs);

  it("a 5 MiB file becomes a dag-pb DAG of 256 KiB raw leaves (over the 4 MiB block limit), read back verified", async () => {
    const store = createMemoryStore();
    const bytes = randomBytes(5 * 1024 * 1024 + 123);
    const cid = await store.putFile(bytes);
    expect(cid.version).to.equal(1);
    expect(cid.code).to.equal(dagPb.code);
    const root = dagPb.decode(await store.get(cid));
    expect(root.Links).to.have.length(Math.ceil(bytes.length / FILE_CHUNK_BYTES));
    expect(root.Links.every((l) => l.Hash.code === 0x55)).to.equal(true);
    expect(sha(await store.getFile(cid))).to.equal(sha(bytes));
    // a streamed file gives the same CID as the same bytes in one buffer
    const chunks = Array.from({ length: 10 }, (_, i) =>
      bytes.subarray(i * 530_000, Math.min(bytes.length, (i + 1) * 530_000)),
    );
    expect((await store.putFile(chunks)).toString()).to.equal(cid.toString());
    await expectCode(store.getFile(cid, { maxFileBytes: 1024 * 1024 }), "IPFS_TOO_LARGE");
  });

  it("a tampered leaf is refused with IPFS_CID_MISMATCH", async () => {
    const store = createMemoryStore();
    const bytes = randomBytes(3 * FILE_CHUNK_BYTES);
    const cid = await store.putFile(bytes);
    const leaf = dagPb.decode(await store.get(cid)).Links[1].Hash;
    const key = leaf.toString();
    const original = store.memory.blocks.get(key);
    expect(original, `leaf ${key} in the memory blockstore`).to.not.equal(undefined);
    const evil = Uint8Array.from(original!);
    evil[0] ^= 0xff;
    store.memory.blocks.set(key, evil);
    await expectCode(store.getFile(cid), "IPFS_CID_MISMATCH");
  });

  it("a one-chunk file keeps its raw-block CID; JSON artifacts keep their dag-json CIDs", async () => {
    const store = createMemoryStore();
    const small = new TextEncoder().encode("a short corpus file\n");
    expect((await store.putFile(small)).toString()).to.equal((await store.putBytes(small)).toString());
    const exact = randomBytes(FILE_CHUNK_BYTES);
    expect((await store.putFile(exact)).toString()).to.equal((await store.putBytes(exact)).toString());
    const doc = { type: "chorus/query@1", n: 1 };
    expect((await store.putJson(doc)).toString()).to.equal((await cidOfJson(doc)).toString());
    expect((await store.putJson(doc)).toString()).to.match(/^bagu/);
  });

  it("works on the embedded Helia store, pinned recursively, and survives a restart", async () => {
    const dir = await tmpDir();
    let h = await openHeliaStore({ dir });
    const bytes = randomBytes(2 * 1024 * 1024);
    const cid = await h.putFile(bytes, { pin: true });
    expect(await h.isPinned(cid)).to.equal(true);
    await h.close();
    h = await openHeliaStore({ dir });
    expect(sha(await h.getFile(cid, { offline: true }))).to.equal(sha(bytes));
    await h.close();
  });

  it("pins pinned artifacts (JSON and files) on a remote Kubo RPC, blocks pushed first; a dead remote is logged, not fatal", async () => {
    const kubo = await startFakeKubo(await tmpDir());
    const lines: string[] = [];
    try {
      const store = await openArtifactStore(
        { mode: "memory", remotePin: { url: kubo.url } },
        { log: (l) => lines.push(l) },
      );
      const doc = await store.putJson({ transcript: "round 1" }, { pin: true });
      const unpinned = await store.putJson({ scratch: true });
      const file = await store.putFile(randomBytes(600_000), { pin: true });
      await store.flush();
      expect(kubo.pins.has(doc.toString())).to.equal(true);
      expect(kubo.pins.has(file.toString())).to.equal(true);
      expect(kubo.pins.has(unpinned.toString())).to.equal(false);
      expect(await kubo.blockstore.has(doc)).to.equal(true);
      for (const l of dagPb.decode(await store.get(file)).Links)
        expect(await kubo.blockstore.has(l.Hash)).to.equal(true);
      expect(kubo.params.get("block/put")?.get("cid-codec")).to.be.oneOf(["raw", "dag-pb"]);
      expect(lines).to.deep.equal([]);
      await store.close();

      const dead = await openArtifactStore(
        { mode: "memory", remotePin: { url: "http://127.0.0.1:1", timeoutMs: 2000 } },
        { log: (l) => lines.push(l) },
      );
      const cid = await dead.putJson({ still: "stored" }, { pin: true });
      await dead.flush();
      expect(await dead.isPinned(cid)).to.equal(true);
      const all = lines.join("\n");
      expect(all, all).to.match(/remote pin of \S+ on http:\/\/127\.0\.0\.1:1\/? failed/);
      await dead.close();
    } finally {
      await kubo.close();
    }
  });
});
