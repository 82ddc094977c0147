/**
 * The behaviour every ArtifactStore must have, as one mocha suite run against each backend (memory, embedded
 * Helia, Kubo RPC). `open` gives a fresh store with maxBytes 64 KiB and a way to corrupt a stored block.
 */
import { expect } from "chai";
import { CID } from "multiformats/cid";
import type { ArtifactStore } from "../../../src/ipfs/index.js";
import { cidOfJson, rawBlock } from "../../../src/ipfs/index.js";
import { expectCode } from "./util.js";
import { closeStarted } from "../../helpers/close.js";

export interface ContractFixture {
  store: ArtifactStore;
  /** Replaces the stored bytes of `cid` with different bytes, behind the store's back. */
  tamper(cid: CID): Promise<void>;
  close(): Promise<void>;
}

export const CONTRACT_MAX_BYTES = 64 * 1024;

export function describeStoreContract(name: string, open: () => Promise<ContractFixture>): void {
  describe(`ipfs / ArtifactStore contract: ${name}`, function () {
    this.timeout(30_000);
    let f: ContractFixture;
    before(async () => {
      f = await open();
    });
    after(async () => {
      await closeStarted(f);
    });

    it("putJson / getJson round-trips and returns the canonical CID", async () => {
      const doc = { kind: "query", messages: [{ role: "user", content: "2+2?" }], maxTokens: 64 };
      const cid = await f.store.putJson(doc);
      expect(cid.toString()).to.equal((await cidOfJson(doc)).toString());
      expect((await f.store.cidOf(doc)).equals(cid)).to.equal(true);
      expect(await f.store.getJson(cid)).to.deep.equal(doc);
      expect(await f.store.getJson(cid.toString())).to.deep.equal(doc);
      expect((await f.store.putJson({ maxTokens: 64, messages: doc.messages, kind: "query" })).equals(cid)).to.equal(
        true,
      );
    });

    it("put() picks dag-json for values and raw for bytes", async () => {
      const bytes = new TextEncoder().encode("some corpus text");
      const raw = await f.store.put(bytes);
      expect(raw.code).to.equal(0x55);
      expect(Buffer.from(await f.store.get(raw)).toString()).to.equal("some corpus text");
      const json = await f.store.put({ n: 1 });
      expect(json.code).to.equal(0x0129);
      expect(await f.store.has(raw)).to.equal(true);
    });

    it("unknown CIDs are IPFS_NOT_FOUND; has() is false", async () => {
      const cid = await cidOfJson({ never: "stored", nonce: Math.random().toString() });
      expect(await f.store.has(cid)).to.equal(false);
      await expectCode(f.store.get(cid, { offline: true, timeoutMs: 5000 }), "IPFS_NOT_FOUND");
    });

    it("bad CIDs, unknown codecs and unknown hashes are typed errors", async () => {
      await expectCode(f.store.get("not-a-cid"), "IPFS_BAD_CID");
      const known = await cidOfJson({ a: 1 });
      await expectCode(f.store.get(CID.createV1(0x0200, known.multihash)), "IPFS_UNKNOWN_CODEC");
      await expectCode(f.store.pin(CID.createV1(0x0200, known.multihash)), "IPFS_UNKNOWN_CODEC");
    });

    it("artifacts over maxBytes are IPFS_TOO_LARGE, naming size and limit", async () => {
      expect(f.store.maxBytes).to.equal(CONTRACT_MAX_BYTES);
      const e = await expectCode(f.store.putBytes(new Uint8Array(CONTRACT_MAX_BYTES + 1)), "IPFS_TOO_LARGE");
      expect(e.details).to.deep.include({ size: CONTRACT_MAX_BYTES + 1, limit: CONTRACT_MAX_BYTES });
      await expectCode(f.store.putJson({ text: "y".repeat(CONTRACT_MAX_BYTES) }), "IPFS_TOO_LARGE");
      await f.store.putBytes(new Uint8Array(CONTRACT_MAX_BYTES));
    });

    it("values outside the data model are IPFS_INVALID_VALUE", async () => {
      await expectCode(f.store.putJson({ price: 1.5 }), "IPFS_INVALID_VALUE");
      await expectCode(f.store.putJson({ stake: 10n }), "IPFS_INVALID_VALUE");
    });

    it("tampered content is rejected with IPFS_CID_MISMATCH", async () => {
      const cid = await f.store.putJson({ verdict: "GOOD", judge: "0xabc" });
      await f.tamper(cid);
      const e = await expectCode(f.store.get(cid), "IPFS_CID_MISMATCH");
      expect(e.details.cid).to.equal(cid.toString());
      await expectCode(f.store.getJson(cid), "IPFS_CID_MISMATCH");
    });

    it("putBlock verifies a block received from elsewhere before storing it", async () => {
      const block = await rawBlock(new TextEncoder().encode("from a peer"));
      await expectCode(f.store.putBlock(block.cid, new TextEncoder().encode("from a liar")), "IPFS_CID_MISMATCH");
      expect(await f.store.has(block.cid)).to.equal(false);
      expect((await f.store.putBlock(block.cid.toString(), block.bytes)).equals(block.cid)).to.equal(true);
      expect(await f.store.has(block.cid)).to.equal(true);
    });

    it("getJson of a raw block is IPFS_DECODE", async () => {
      const cid = await f.store.putBytes(new TextEncoder().encode('{"looks":"like json"}'));
      await expectCode(f.store.getJson(cid), "IPFS_DECODE");
    });

    it("pins a manifest and the file it links to; a missing link is IPFS_NOT_FOUND", async () => {
      const file = await f.store.putBytes(new TextEncoder().encode("chapter one"));
      const manifest = await f.store.putJson({ kind: "corpus", files: [file] });
      expect(await f.store.isPinned(manifest)).to.equal(false);
      await f.store.pin(manifest);
      expect(await f.store.isPinned(manifest)).to.equal(true);
      await f.store.pin(manifest);
      const ghost = (await rawBlock(new TextEncoder().encode(`never stored ${Math.random()}`))).cid;
      const dangling = await f.store.putJson({ kind: "corpus", files: [ghost] });
      await expectCode(f.store.pin(dangling, { timeoutMs: 3000 }), "IPFS_NOT_FOUND");
      const pinnedOnPut = await f.store.putJson({ pinned: "on put" }, { pin: true });
      expect(await f.store.isPinned(pinnedOnPut)).to.equal(true);
    });

    it("an aborted signal is IPFS_ABORTED", async () => {
      const cid = await f.store.putJson({ x: "abort me" });
      const ac = new AbortController();
      ac.abort();
      await expectCode(f.store.get(cid, { signal: ac.signal }), "IPFS_ABORTED");
      await expectCode(f.store.putJson({ y: 1 }, { signal: ac.signal }), "IPFS_ABORTED");
    });
  });
}
