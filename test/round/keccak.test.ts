import { expect } from "chai";
import fc from "fast-check";
import { keccak256 as viemKeccak, toHex } from "viem";
import { keccak256, keccakBytes } from "../../src/core/index.js";

describe("native keccak256", () => {
  it("equals viem's keccak256 on random bytes, hex and across reuse of the one native state", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
        const want = viemKeccak(bytes);
        expect(keccakBytes(bytes)).to.equal(want);
        expect(keccak256(toHex(bytes))).to.equal(want);
        expect(keccak256(bytes)).to.equal(want);
        // a second hash on the reused state is not polluted by the first
        expect(keccakBytes(bytes)).to.equal(want);
      }),
      { numRuns: 300 },
    );
  });

  it("gives the known digests of empty input and of a 200 KB buffer view at an offset", () => {
    expect(keccakBytes(new Uint8Array())).to.equal(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    const big = new Uint8Array(200_001).map((_, i) => i % 251);
    const view = big.subarray(1);
    expect(keccakBytes(view)).to.equal(viemKeccak(view));
  });

  it("refuses a string that is not hex instead of hashing something else", () => {
    expect(() => keccak256("hello" as `0x${string}`)).to.throw(TypeError, /not 0x-prefixed hex/);
  });
});
