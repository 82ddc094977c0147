/**
 * Issue 19, "crash between any two steps of settlement": rounds run on the 7-node chain swarm (real epochs on the
 * in-process chain, served over JSON-RPC on 127.0.0.1) leave their records in the gateway node's state database;
 * that node then settles them as a separate process (test/state/settle-node.ts: startNode with the real chain
 * settlement path, epochs of 1 record: 6 epoch transactions) that is killed with SIGKILL, by its PID, over and over: by itself exactly
 * between two steps of settlement (before/after asking the chain which rounds it holds, before/after an epoch
 * transaction is mined) and by the test at seeded random times; it is restarted on the same data directory each
 * time. At the end every record is settled on chain exactly once (one RoundSettled event each) and marked settled
 * in the database: no record lost, none settled twice, none set aside as failed.
 */
import { expect } from "chai";
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { keccak256, toHex, type Hex } from "viem";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import type { ChainSwarm } from "../helpers/crash-faults.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { closeStarted } from "../helpers/close.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = 6;
const SEED = 0x5e771e;

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type KillAt = { step: "before-check" | "after-check" | "before-submit" | "after-submit"; nth: number };

describe("settlement survives SIGKILL between any two of its steps (a node process against the chain)", function () {
  this.timeout(600_000);
  let swarm: ChainSwarm;
  const children = new Set<ChildProcess>();

  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
      timeoutMs: 3000,
      // Node 0 leaves its records queued: the child process settles them.
      epochRounds: 200,
      epochIntervalMs: 3_600_000,
    });
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid!, "SIGKILL");
    await closeStarted(swarm);
  });

  it(`${ROUNDS} records, the settling node killed by SIGKILL at each step kind and at seeded random times: each settled on chain exactly once, none lost`, async () => {
    const ids: Hex[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: `Tell me about the sea, ${r}.` }] }),
      });
      const body = (await res.json()) as { chorus: { round_id: Hex; settlement: string } };
      expect(res.status, JSON.stringify(body)).to.equal(200);
      expect(body.chorus.settlement).to.equal("pending");
      ids.push(body.chorus.round_id);
    }
    await swarm.kill(0);
    const dataDir = swarm.dataDirOf(0);
    const statuses = () => {
      const db = new Database(path.join(dataDir, "state.db"), { readonly: true, fileMustExist: true });
      try {
        return db.prepare("SELECT round_id, status FROM settlement").all() as { round_id: string; status: string }[];
      } finally {
        db.close();
      }
    };
    expect(statuses().filter((s) => s.status === "pending")).to.have.length(ROUNDS);

    const rnd = prng(SEED);
    // Kills at a step first (each is reached while records remain: deterministic), then at random times.
    const plans: (KillAt | { afterMs: number } | null)[] = [
      { step: "after-submit", nth: 1 },
      { step: "before-submit", nth: 1 },
      { step: "after-check", nth: 1 },
      { step: "before-check", nth: 2 },
      { step: "after-submit", nth: 1 },
      { afterMs: Math.floor(rnd() * 4000) },
      { afterMs: Math.floor(rnd() * 4000) },
      { afterMs: Math.floor(rnd() * 4000) },
      { afterMs: Math.floor(rnd() * 4000) },
      null,
    ];
    const logs: string[] = [];
    let kills = 0;
    for (const [run, plan] of plans.entries()) {
      const killAt = plan && "step" in plan ? plan : undefined;
      const cfg = {
        dataDir,
        rpcUrl: swarm.rpc.url,
        key: keccak256(toHex("chorus-test-node-0")),
        deploymentsFile: swarm.deploymentsFile,
        maxRounds: 1,
        killAt,
      };
      const child = fork(path.join(here, "settle-node.ts"), [JSON.stringify(cfg)], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      children.add(child);
      const exited = new Promise<string>((resolve) => child.once("exit", (code, sig) => resolve(String(sig ?? code))));
      child.on("message", (m: { log?: string; started?: string }) => {
        if (m.log) logs.push(`run ${run}: ${m.log}`);
        if (m.started && plan && "afterMs" in plan)
          setTimeout(
            () => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, "SIGKILL"),
            plan.afterMs,
          );
      });
      const done = async () => {
        const until = Date.now() + 90_000;
        for (;;) {
          if (Date.now() > until) throw new Error(`run ${run} neither settled nor died in 90 s:\n${logs.join("\n")}`);
          if (child.exitCode !== null || child.signalCode !== null) return false;
          if (statuses().every((s) => s.status !== "pending")) return true;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const finished = await Promise.race([done(), exited.then(() => false)]);
      if (finished) {
        child.send({ stop: true });
        const how = await exited;
        if (plan === null) expect(how, "the last run stops cleanly").to.equal("0");
        else if (how === "SIGKILL") kills++;
        // Every record settled before this run's kill came: no more runs are needed.
        break;
      }
      expect(await exited, `run ${run} (${JSON.stringify(plan)}) ended by SIGKILL`).to.equal("SIGKILL");
      kills++;
    }
    expect(kills, logs.join("\n")).to.be.at.least(5);

    const settled = statuses();
    expect(
      settled.map((s) => s.status),
      logs.join("\n"),
    ).to.deep.equal(Array(ROUNDS).fill("settled"));
    for (const id of ids) {
      expect(await swarm.f.settlement.read.isClosed([id])).to.equal(true);
      const events = await swarm.f.settlement.getEvents.RoundSettled({ roundId: id }, { fromBlock: 0n });
      expect(events, `RoundSettled events of ${id}`).to.have.length(1);
    }
    console.log(`      (${kills} SIGKILLs; settlement log:\n${logs.map((l) => `        ${l}`).join("\n")})`);
  });
});
