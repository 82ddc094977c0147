import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect } from "chai";
import { CID } from "multiformats/cid";
import { cidOfJson, decodeJson, encodeJson, jsonBlock, rawBlock, verifyBlock } from "../../src/ipfs/index.js";
import { expectCode } from "./helpers/util.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

// Golden values checked independently: the dag-json bytes equal Python's
// json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False), whose sha256 is GOLDEN_BYTES32.
const GOLDEN_CID = "baguqeerar6gcelqmrimaklhcfawkcacqhp5evjhnllbw5waehrco6tglzcwa";
const GOLDEN_BYTES32 = "0x8f8c222e0c8a18052ce2282ca100503bfa4aa4ed5ac36ed8043c44ef4ccbc8ac";
const GOLDEN_RAW = "bafkreidhstrftplf6k7qirghpnhlbzvaja5jigpr5m3phacc4kay5ntrke";

describe("ipfs / canonical encoding", () => {
  it("gives the same CID in separate processes, whatever the key insertion order", async function () {
    this.timeout(60_000);
    const run = promisify(execFile);
    const outs = await Promise.all(
      [0, 1, 2, 5].map(async (order) => {
        const { stdout } = await run(
          process.execPath,
          ["--import", "tsx", path.join(here, "helpers/cid-of.ts"), String(order)],
          { cwd: root },
        );
        return JSON.parse(stdout) as { cid: string; bytes32: string; raw: string };
      }),
    );
    for (const o of outs) expect(o).to.deep.equal({ cid: GOLDEN_CID, bytes32: GOLDEN_BYTES32, raw: GOLDEN_RAW });
  });

  it("encodes as sorted, whitespace-free JSON (so any JSON tool can recompute the hash)", async () => {
    const doc = { b: 1, a: [true, null, "x"], c: { z: "é", y: -3 } };
    const bytes = encodeJson(doc);
    expect(new TextDecoder().decode(bytes)).to.equal('{"a":[true,null,"x"],"b":1,"c":{"y":-3,"z":"é"}}');
    const { cid } = await jsonBlock(doc);
    expect(Buffer.from(cid.multihash.digest).toString("hex")).to.equal(
      createHash("sha256").update(bytes).digest("hex"),
    );
    expect(cid.version).to.equal(1);
    expect(cid.code).to.equal(0x0129);
    expect(decodeJson(cid, bytes)).to.deep.equal(doc);
  });

  it("stores CIDs inside documents as IPLD links", async () => {
    const file = await rawBlock(new Uint8Array([1, 2, 3]));
    const manifest = { kind: "corpus", files: [file.cid] };
    const { cid, bytes } = await jsonBlock(manifest);
    expect(new TextDecoder().decode(bytes)).to.equal(`{"files":[{"/":"${file.cid.toString()}"}],"kind":"corpus"}`);
    const back = decodeJson<{ files: CID[] }>(cid, bytes);
    expect(CID.asCID(back.files[0])?.equals(file.cid)).to.equal(true);
  });

  const bad: [string, unknown, string][] = [
    ["a float", { score: 0.5 }, "$.score"],
    ["NaN", { x: [1, Number.NaN] }, "$.x[1]"],
    ["Infinity", { x: Infinity }, "$.x"],
    ["an unsafe integer", { wei: 2 ** 60 }, "$.wei"],
    ["a bigint", { stake: 10n }, "$.stake"],
    ["undefined", { a: { b: undefined } }, "$.a.b"],
    ["a function", { f: () => 1 }, "$.f"],
    ["bytes", { blob: new Uint8Array(2) }, "$.blob"],
    ["a Date", { at: new Date(0) }, "$.at"],
    ["a Map", { m: new Map() }, "$.m"],
    ["the '/' key", { "/": "bafy" }, '$["/"]'],
    ["a lone surrogate", { s: "\ud800" }, "$.s"],
    ["a sparse array", { xs: Object.assign(new Array<number>(3), { 0: 1, 2: 3 }) }, "$.xs[1]"], // index 1 a hole
    ["a top-level bigint", 5n, "$"],
  ];
  for (const [what, value, at] of bad) {
    it(`rejects ${what} with IPFS_INVALID_VALUE naming ${at}`, async () => {
      const e = await expectCode(() => encodeJson(value), "IPFS_INVALID_VALUE");
      expect(e.details.path).to.equal(at);
      await expectCode(cidOfJson(value), "IPFS_INVALID_VALUE");
    });
  }

  it("stores -0 as 0, as JSON does (an integer, not a float)", () => {
    expect(new TextDecoder().decode(encodeJson({ x: -0 }))).to.equal('{"x":0}');
  });

  it("rejects reference cycles but allows shared (acyclic) references", async () => {
    const shared = { x: 1 };
    expect(() => encodeJson({ a: shared, b: shared })).not.to.throw();
    const cyc: Record<string, unknown> = {};
    cyc.self = { back: cyc };
    await expectCode(() => encodeJson(cyc), "IPFS_INVALID_VALUE");
  });

  it("enforces the size limit on encode with the size and the limit in details", async () => {
    const e = await expectCode(jsonBlock({ text: "x".repeat(2000) }, 1024), "IPFS_TOO_LARGE");
    expect(e.details).to.include({ limit: 1024 });
    expect(e.details.size).to.be.greaterThan(2000);
    await expectCode(rawBlock(new Uint8Array(1025), 1024), "IPFS_TOO_LARGE");
  });

  it("verifyBlock accepts the right bytes and rejects tampered ones, unknown codecs and hashes", async () => {
    const { cid, bytes } = await jsonBlock({ answer: "42" });
    await verifyBlock(cid, bytes);
    const tampered = Uint8Array.from(bytes);
    tampered[tampered.length - 3] ^= 1;
    const e = await expectCode(verifyBlock(cid, tampered), "IPFS_CID_MISMATCH");
    expect(e.details.cid).to.equal(cid.toString());
    await expectCode(verifyBlock(CID.createV1(0x9999, cid.multihash), bytes), "IPFS_UNKNOWN_CODEC");
    const md5ish = CID.decode(Uint8Array.from([1, 0x55, 0xd5, 0x01, 16, ...new Uint8Array(16)]));
    await expectCode(verifyBlock(md5ish, bytes), "IPFS_UNKNOWN_HASH");
  });

  it("decodeJson refuses raw blocks and corrupt dag-json", async () => {
    const raw = await rawBlock(new TextEncoder().encode("{}"));
    await expectCode(() => decodeJson(raw.cid, raw.bytes), "IPFS_DECODE");
    const junk = new TextEncoder().encode("{not json");
    const { cid } = await jsonBlock({});
    await expectCode(() => decodeJson(cid, junk), "IPFS_DECODE");
  });
});
