import { expect } from "chai";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Hex } from "viem";
import { RoundJournal } from "../../src/round/signed-rounds.js";

const coordinator = "0x1111111111111111111111111111111111111111";
const id = (seq: bigint) => `${coordinator}${seq.toString(16).padStart(24, "0")}` as Hex;

describe("round journal (member's durable memory of rounds)", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "chorus-journal-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("remembers answered and signed rounds and each coordinator's high-water mark across a reopen", async () => {
    const file = path.join(dir, "member", "rounds.journal");
    const j = RoundJournal.open(file);
    await Promise.all([j.markAnswered(id(5n)), j.markAnswered(id(9n)), j.markSigned(id(5n))]);
    await j.close();
    const k = RoundJournal.open(file);
    expect(k.hasAnswered(id(5n)) && k.hasAnswered(id(9n)) && k.hasSigned(id(5n))).to.equal(true);
    expect(k.hasSigned(id(9n))).to.equal(false);
    expect(k.highWater(id(1n))).to.equal(BigInt(id(9n)));
    await k.close();
  });

  it("a crash mid-append (truncated last line) is tolerated and cut off; a malformed complete line is corruption", async () => {
    const file = path.join(dir, "rounds.journal");
    const j = RoundJournal.open(file);
    await j.markSigned(id(7n));
    await j.close();
    appendFileSync(file, `a ${id(8n)}`.slice(0, 30));
    const k = RoundJournal.open(file);
    expect(k.hasSigned(id(7n))).to.equal(true);
    expect(k.hasAnswered(id(8n))).to.equal(false);
    await k.markAnswered(id(8n));
    await k.close();
    expect(readFileSync(file, "latin1").split("\n").filter(Boolean)).to.deep.equal([`s ${id(7n)}`, `a ${id(8n)}`]);
    writeFileSync(file, `s ${id(7n)}\ngarbage\na ${id(8n)}\n`);
    expect(() => RoundJournal.open(file)).to.throw(/line 2 is malformed/);
  });

  it("pruning forgets in memory only ids the high-water mark refuses anyway", async () => {
    const j = RoundJournal.memory();
    await j.markAnswered(id(1n));
    await j.markAnswered(id(1_000_000n));
    j.prune(1000n);
    expect(j.hasAnswered(id(1n))).to.equal(false);
    expect(j.hasAnswered(id(1_000_000n))).to.equal(true);
    expect(j.highWater(id(1n))).to.equal(BigInt(id(1_000_000n)));
  });
});
