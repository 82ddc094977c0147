import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

  it("remembers answered and signed rounds and each coordinator's high-water mark across a reopen (state database)", async () => {
    const file = path.join(dir, "state.db");
    const j = RoundJournal.open(file);
    await Promise.all([j.markAnswered(id(5n)), j.markAnswered(id(9n)), j.markSigned(id(5n))]);
    await j.close();
    const k = RoundJournal.open(file);
    expect(k.hasAnswered(id(5n)) && k.hasAnswered(id(9n)) && k.hasSigned(id(5n))).to.equal(true);
    expect(k.hasSigned(id(9n))).to.equal(false);
    expect(k.highWater(id(1n))).to.equal(BigInt(id(9n)));
    expect(k.entries()).to.deep.equal([`a ${id(5n)}`, `s ${id(5n)}`, `a ${id(9n)}`]);
    await k.close();
  });

  it("an old journal file is imported once: a last line cut by a crash is skipped, a malformed line is quarantined and named, the rest kept", async () => {
    const legacy = path.join(dir, "member", "rounds.journal");
    mkdirSync(path.dirname(legacy), { recursive: true });
    writeFileSync(legacy, `s ${id(7n)}\ngarbage\na ${id(8n)}\n` + `a ${id(9n)}`.slice(0, 30));
    const logs: string[] = [];
    const k = RoundJournal.open(path.join(dir, "state.db"), { legacyFile: legacy, log: (l) => logs.push(l) });
    expect(k.hasSigned(id(7n)) && k.hasAnswered(id(8n))).to.equal(true);
    expect(k.hasAnswered(id(9n)), "the cut entry was never acknowledged").to.equal(false);
    expect(k.highWater(id(1n))).to.equal(BigInt(id(8n)));
    expect(existsSync(legacy), "renamed once imported").to.equal(false);
    expect(readFileSync(`${legacy}.migrated`, "latin1")).to.match(/^s 0x1{40}0+7\ngarbage\n/);
    expect(k.db!.quarantine()).to.deep.equal([
      {
        source: "rounds.journal",
        key: `${legacy}:2`,
        reason:
          "line 2 is malformed (this member may no longer refuse that round by its id alone; its coordinator's high-water mark still applies)",
      },
    ]);
    expect(logs.some((l) => l.includes(`quarantined rounds.journal row ${legacy}:2`))).to.equal(true);
    expect(logs.some((l) => l.includes("skipped a last line cut by a crash"))).to.equal(true);
    await k.markAnswered(id(9n));
    await k.close();
    const again = RoundJournal.open(path.join(dir, "state.db"), { legacyFile: legacy });
    expect(again.entries()).to.deep.equal([`s ${id(7n)}`, `a ${id(8n)}`, `a ${id(9n)}`]);
    await again.close();
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
