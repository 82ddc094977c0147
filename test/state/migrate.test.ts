/**
 * Issue 19 item 1: a data directory in the old format (one JSON file per queued round, rounds.jsonl, the member's
 * journal file) starts a real node, and its pending, settled and failed records, its rounds and its signed rounds
 * are all there, in the state database; the damage the issue found in the old files (a truncated pending file, a
 * truncated last line of rounds.jsonl) is quarantined and named instead of killing the node. Retention prunes
 * settled records and old rounds only.
 */
import { expect } from "chai";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RunningNode } from "../../src/node/service.js";
import {
  coordinatorId,
  outcomeOf,
  recordOf,
  roundIdOf,
  startStateNode,
  summaryOf,
  writeOldFormat,
} from "../helpers/state-node.js";

describe("state database: moving an old-format data directory in on first start", function () {
  this.timeout(60_000);
  let dir: string;
  let node: RunningNode | undefined;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "chorus-migrate-"))));
  afterEach(async () => {
    await node?.close({ flush: false });
    node = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("pending, settled and failed records, rounds and signed rounds are all there after the move; damaged files are quarantined and named", async () => {
    const old = writeOldFormat(dir, 24);
    // The damage: a pending file cut by a full disk, a rounds.jsonl line cut by a crash.
    const cutId = roundIdOf("cut");
    writeFileSync(path.join(dir, "settlement", "pending", `${cutId}.json`), `{"roundId":"${cutId}","queuedAt":17000`);
    appendFileSync(path.join(dir, "rounds.jsonl"), JSON.stringify(summaryOf(cutId, 99)).slice(0, 40));
    const logs: string[] = [];
    node = await startStateNode(dir, (l) => logs.push(l));

    const pending = await node.queue.list();
    expect(pending.map((p) => p.roundId)).to.deep.equal(old.pending);
    for (const p of pending) expect(p.record).to.deep.equal(recordOf(old.rounds.indexOf(p.roundId)));
    expect(pending[0].record).to.have.property("delta").that.is.a("bigint");
    for (const id of old.settled)
      expect(await node.queue.get(id)).to.deep.include({ status: "settled", txHash: "0x" + "cd".repeat(32), epoch: 3 });
    for (const id of old.failed)
      expect(await node.queue.get(id)).to.deep.include({ status: "failed", reason: "reverted alone" });
    expect(old.pending.length + old.settled.length + old.failed.length).to.equal(24);
    expect(old.settled.length > 0 && old.failed.length > 0).to.equal(true);

    const res = await fetch(`${node.url}/chorus/v1/rounds?limit=500`);
    expect(res.status).to.equal(200);
    const { rounds } = (await res.json()) as { rounds: { roundId: string }[] };
    expect(rounds.map((r) => r.roundId)).to.deep.equal([...old.rounds].reverse());
    const one = (await (await fetch(`${node.url}/chorus/v1/rounds/${old.settled[0]}`)).json()) as {
      settlement: string;
      winner: string;
    };
    expect(one).to.deep.include({ settlement: "settled", winner: "0xaa" });

    const j = node.state.journal;
    for (const id of old.answered) expect(j.hasAnswered(id), id).to.equal(true);
    for (const id of old.signed) expect(j.hasSigned(id), id).to.equal(true);
    expect(j.size).to.deep.equal({ answered: 24, signed: 12 });
    expect(j.highWater(coordinatorId(1n))).to.equal(BigInt(coordinatorId(24n)));

    // The old files were renamed, the damaged ones moved to quarantine/ and named in the log.
    for (const p of [
      "settlement/pending",
      "settlement/settled",
      "settlement/failed",
      "rounds.jsonl",
      "member/rounds.journal",
    ]) {
      expect(existsSync(path.join(dir, p)), p).to.equal(false);
      expect(existsSync(path.join(dir, `${p}.migrated`)), `${p}.migrated`).to.equal(true);
    }
    expect(readdirSync(path.join(dir, "quarantine"))).to.deep.equal([`settlement-pending-${cutId}.json`]);
    expect(node.state.db.quarantine().map((q) => q.source)).to.deep.equal(["settlement-pending", "rounds.jsonl"]);
    expect(logs.some((l) => l.includes(`${cutId}.json`) && l.includes("does not parse"))).to.equal(true);
    expect(logs.some((l) => l.includes("rounds.jsonl") && l.includes("line 25"))).to.equal(true);

    // The node carries on: a new round is indexed and queued, and the index still answers (it gave 500 before).
    const fresh = roundIdOf("new");
    await node.index.add(outcomeOf(fresh, 100));
    await node.queue.add(fresh, recordOf(100) as never);
    expect((await fetch(`${node.url}/chorus/v1/rounds/${fresh}`)).status).to.equal(200);

    // A second start imports nothing again and loses nothing.
    await node.close({ flush: false });
    node = await startStateNode(dir);
    expect((await node.queue.list()).map((p) => p.roundId)).to.deep.equal([...old.pending, fresh]);
    expect(node.state.db.quarantine()).to.have.length(2);
    expect((await node.index.recent(500)).length).to.equal(25);
    expect(node.state.journal.size).to.deep.equal({ answered: 24, signed: 12 });
  });

  it("retention drops settled records after settledRecordDays and rounds after roundDays; pending and failed stay", async () => {
    writeOldFormat(dir, 0);
    node = await startStateNode(dir);
    const q = node.queue;
    const ids = [0, 1, 2, 3].map((i) => roundIdOf(`keep-${i}`));
    for (const [i, id] of ids.entries()) {
      await q.add(id, recordOf(i) as never, 1000 + i);
      await node.index.add(outcomeOf(id, i));
    }
    await q.markSettled([ids[0], ids[1]], { txHash: "0x01" });
    await q.markFailed(ids[2], "refused");
    const day = 86_400_000;
    expect(node.state.prune(Date.now() + 1 * day)).to.deep.equal({ records: 0, settled: 0, rounds: 0 });
    expect(node.state.prune(Date.now() + 8 * day)).to.deep.equal({ records: 2, settled: 0, rounds: 0 });
    expect(await q.get(ids[0])).to.deep.include({ status: "settled", txHash: "0x01", record: undefined });
    expect((await q.get(ids[2]))?.record).to.deep.equal(recordOf(2));
    expect((await q.get(ids[3]))?.record).to.deep.equal(recordOf(3));
    expect(await node.index.get(ids[0])).to.not.equal(undefined);
    expect(node.state.prune(Date.now() + 91 * day)).to.deep.equal({ records: 0, settled: 2, rounds: 4 });
    expect(await q.status(ids[0])).to.equal("unknown");
    expect(await q.status(ids[2])).to.equal("failed");
    expect((await q.list()).map((p) => p.roundId)).to.deep.equal([ids[3]]);
    expect(await node.index.recent(10)).to.deep.equal([]);
  });
});
