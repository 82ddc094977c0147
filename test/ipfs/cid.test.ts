import { expect } from "chai";
import { CID } from "multiformats/cid";
import { identity } from "multiformats/hashes/identity";
import { sha512 } from "multiformats/hashes/sha2";
import { CODEC, bytes32ToCid, cidOfJson, cidToBytes32, parseCid, rawBlock } from "../../src/ipfs/index.js";
import { expectCode } from "./helpers/util.js";

describe("ipfs / CID <-> bytes32", () => {
  it("maps a dag-json CID to its sha2-256 digest and back", async () => {
    const cid = await cidOfJson({ kind: "query", text: "why is the sky blue?" });
    const hex = cidToBytes32(cid);
    expect(hex).to.match(/^0x[0-9a-f]{64}$/);
    expect(Buffer.from(hex.slice(2), "hex")).to.deep.equal(Buffer.from(cid.multihash.digest));
    expect(bytes32ToCid(hex).equals(cid)).to.equal(true);
    expect(bytes32ToCid(hex.toUpperCase().replace("0X", "0x")).toString()).to.equal(cid.toString());
    expect(cidToBytes32(cid.toString())).to.equal(hex);
  });

  it("needs the codec to map back: raw CIDs round-trip with CODEC.raw", async () => {
    const { cid } = await rawBlock(new TextEncoder().encode("a corpus file"));
    const hex = cidToBytes32(cid);
    expect(bytes32ToCid(hex).equals(cid)).to.equal(false);
    expect(bytes32ToCid(hex, CODEC.raw).equals(cid)).to.equal(true);
  });

  it("maps a CIDv0 to the same digest (dag-pb)", () => {
    const v0 = parseCid("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
    expect(bytes32ToCid(cidToBytes32(v0), CODEC.dagPb).equals(v0.toV1())).to.equal(true);
  });

  it("rejects CIDs without a 32-byte sha2-256 digest", async () => {
    const bytes = new TextEncoder().encode("x");
    const sha512Cid = CID.createV1(0x55, await sha512.digest(bytes));
    const e1 = await expectCode(() => cidToBytes32(sha512Cid), "IPFS_BAD_BYTES32");
    expect(e1.details.hash).to.equal(0x13);
    await expectCode(() => cidToBytes32(CID.createV1(0x55, identity.digest(bytes))), "IPFS_BAD_BYTES32");
  });

  it("rejects malformed bytes32 and unknown codecs", async () => {
    for (const bad of ["", "0x", "0x1234", `0x${"g".repeat(64)}`, "a".repeat(64), `0x${"a".repeat(66)}`]) {
      await expectCode(() => bytes32ToCid(bad), "IPFS_BAD_BYTES32");
    }
    await expectCode(() => bytes32ToCid(`0x${"a".repeat(64)}`, 0x9999), "IPFS_UNKNOWN_CODEC");
  });

  it("rejects unparsable CIDs with IPFS_BAD_CID naming the input", async () => {
    for (const bad of ["", "hello", "bafy", "Qm123", "bafkreie!!"]) {
      const e = await expectCode(() => parseCid(bad), "IPFS_BAD_CID");
      expect(e.message).to.contain("is not a CID");
    }
    await expectCode(() => parseCid(42), "IPFS_BAD_CID");
    await expectCode(() => parseCid(null), "IPFS_BAD_CID");
    await expectCode(() => cidToBytes32("nope"), "IPFS_BAD_CID");
  });

  it("accepts CID instances from another copy of multiformats", async () => {
    const cid = await cidOfJson({ a: 1 });
    const foreign = { "/": cid.bytes, bytes: cid.bytes, version: 1, code: cid.code, multihash: cid.multihash };
    expect(parseCid(foreign).equals(cid)).to.equal(true);
  });
});
