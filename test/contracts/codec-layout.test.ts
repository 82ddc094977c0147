/**
 * EpochCodec's Yul can only name literal constants, so its context layout is written out word by word. This keeps
 * that layout honest (issue 15): every CTX_/REC_ offset is a distinct word below CTX_WORDS * 32, matching the word
 * index its comment states; the Yul names every context offset and error code (no raw `add(c, 0x…)` or
 * `fail(c, <number>`); MAX_DELTA is FixedPoint's.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";

const source = (file: string) => readFileSync(path.join(process.cwd(), "contracts", file), "utf8");

describe("EpochCodec layout (issue 15)", () => {
  const codec = source("libraries/EpochCodec.sol");
  const constants = new Map<string, { value: number; word?: number }>();
  for (const m of codec.matchAll(/uint256 internal constant (\w+) = (0x[0-9a-f]+|[\d_]+);(?:\s*\/\/\s*(\d+))?/g)) {
    constants.set(m[1], {
      value: Number(m[2].replace(/_/g, "")),
      word: (m[3] as string | undefined) === undefined ? undefined : Number(m[3]),
    });
  }

  it("every context offset is its own word, in range, at the index its comment states", () => {
    const words = constants.get("CTX_WORDS")!.value;
    const offsets = [...constants].filter(([k]) => (k.startsWith("CTX_") && k !== "CTX_WORDS") || k.startsWith("REC_"));
    expect(offsets.length, "every word of the context is named").to.equal(words);
    const seen = new Set<number>();
    for (const [name, { value, word }] of offsets) {
      expect(value % 32, name).to.equal(0);
      expect(value / 32, `${name}: word index`).to.equal(word);
      expect(value < words * 32, `${name} within the context`).to.equal(true);
      expect(seen.has(value), `${name} shares a word`).to.equal(false);
      seen.add(value);
    }
  });

  it("the Yul uses names, not raw offsets or error codes, and MAX_DELTA is FixedPoint's", () => {
    const yul = codec.slice(codec.indexOf("assembly"));
    expect(yul.match(/add\(c, 0x[0-9a-f]+\)/g) ?? []).to.deep.equal([]);
    expect(yul.match(/fail\(c, \d+/g) ?? []).to.deep.equal([]);
    expect(yul.match(/\b(50000|100000|250000|1000000)\b/g) ?? []).to.deep.equal([]);
    const fixed = source("libraries/FixedPoint.sol");
    const maxDelta = Number(/int256 internal constant MAX_DELTA = ([\d_]+);/.exec(fixed)![1].replace(/_/g, ""));
    expect(constants.get("MAX_DELTA")!.value).to.equal(maxDelta);
    expect(constants.get("DELTA_SPAN")!.value).to.equal(2 * maxDelta);
    const errors = [...constants].filter(([k]) => k.startsWith("ERR_")).map(([, v]) => v.value);
    expect(new Set(errors).size, "error codes are distinct").to.equal(errors.length);
  });
});
