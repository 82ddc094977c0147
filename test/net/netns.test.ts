/**
 * Nodes on separate network addresses (issue #9 part 6): four real node processes, each in its own Linux
 * network namespace with its own private address (10.77.0.10-13, on a bridge whose 10.77.0.1 serves the
 * chain's JSON-RPC from this process: the one deliberate exception to binding 127.0.0.1, these addresses
 * exist only inside the test's namespaces). A query goes to node 0; node 3 commits and reveals, and when it
 * is asked to judge its link is taken down inside its namespace. The round must complete without it, with
 * node 3 recorded as excluded. Needs root and iproute2 with `ip netns` permitted; elsewhere it is skipped
 * with the reason. Namespaces, the bridge and the processes (by PID) are removed in `after`, also on failure.
 */
import { expect } from "chai";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names.js";
import { keccak256, toHex } from "viem";
import { ROOT, writeDeployments } from "../../deploy/index.js";
import { deploySwarm } from "../kit/chorus-fixture.js";
import { BRIDGE_ADDRESS, createNetwork, netnsSupport, type Netns } from "../../scripts/lib/netns-net.js";

const MEMBERS = 4;
const VICTIM = 3;
const PORT = 7000;

/** Resolves with the first line of `child`'s stdout that starts with `prefix`. */
function lineOf(child: ChildProcess, prefix: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(
      () => finish(new Error(`no '${prefix}' line from process ${child.pid} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let i; (i = buffer.indexOf("\n")) >= 0;) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (line.startsWith(prefix)) {
          finish(undefined, line);
          return;
        }
      }
    };
    const onExit = (code: number | null) =>
      finish(new Error(`process ${child.pid} exited with ${code} before '${prefix}'`));
    const finish = (err?: Error, line?: string) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve(line!);
    };
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

describe("nodes in separate network namespaces (root + iproute2 only)", function () {
  this.timeout(150_000);
  let net: Netns | undefined;
  let rpc: { close(): Promise<void> } | undefined;
  let dir: string | undefined;
  const children: ChildProcess[] = [];
  const logs: string[][] = [];

  before(async function () {
    const reason = await netnsSupport();
    if (reason) {
      console.log(`      skipped: nodes in network namespaces need root, iproute2 and \`ip netns\`: ${reason}`);
      this.skip();
    }
    net = await createNetwork(MEMBERS);
    const f = await deploySwarm({ nodes: MEMBERS });
    // committees weigh nodes as they were when the weight period began: start in the next period
    await time.increase(3600);
    const server = await hre.run(TASK_NODE_CREATE_SERVER, {
      hostname: BRIDGE_ADDRESS,
      port: 0,
      provider: hre.network.provider,
    });
    const { port: rpcPort } = (await server.listen()) as { port: number };
    rpc = server;
    const rpcUrl = `http://${BRIDGE_ADDRESS}:${rpcPort}`;
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-netns-"));
    const deploymentsFile = await writeDeployments(f.deployments, dir);
    for (let i = 0; i < MEMBERS; i++) {
      await (
        await f.as(f.nodes[i].wallet)
      ).registry.write.updateNode([`http://${net.addressOf(i)}:${PORT}`, keccak256(toHex(`meta-${i}`))]);
    }
    for (let i = 0; i < MEMBERS; i++) {
      const key = keccak256(toHex(`chorus-test-node-${i}`));
      const args = [
        net.addressOf(i),
        String(PORT),
        rpcUrl,
        deploymentsFile,
        key,
        String(i),
        ...(i === VICTIM ? ["--stall-judging"] : []),
      ];
      const child = spawn(
        "ip",
        net.execArgs(i, [process.execPath, "--import", "tsx", path.join(ROOT, "scripts/lib/netns-node.ts"), ...args]),
        {
          cwd: ROOT,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const log: string[] = [];
      logs.push(log);
      (child.stderr as NodeJS.ReadableStream | null)?.on("data", (c: Buffer) => log.push(c.toString()));
      children.push(child);
    }
    try {
      await Promise.all(children.map((c) => lineOf(c, "LISTENING", 60_000)));
    } catch (err) {
      throw new Error(
        `${(err as Error).message}\n${logs.map((l, i) => `node ${i}: ${l.join("").slice(-800)}`).join("\n")}`,
      );
    }
  });

  after(async () => {
    await Promise.all(children.map(stop));
    await rpc?.close().catch(() => {});
    await net?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });

  it("a member cut off mid-round (after its commit and reveal) is excluded and the round completes", async () => {
    const victim = keccak256(toHex(`chorus-test-node-${VICTIM}`));
    const judging = lineOf(children[VICTIM], "JUDGING", 60_000);
    const reply = fetch(`http://${net!.addressOf(0)}:${PORT}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "chorus-swarm",
        messages: [{ role: "user", content: "Who answers from another host?" }],
      }),
    });
    await judging;
    await net!.cut(VICTIM);
    // the victim's address is unreachable now
    const probe = await fetch(`http://${net!.addressOf(VICTIM)}:${PORT}/health`, {
      signal: AbortSignal.timeout(1500),
    }).then(
      () => "reachable",
      () => "unreachable",
    );
    expect(probe).to.equal("unreachable");
    const res = await reply;
    const body = (await res.json()) as {
      chorus: {
        committee_size: number;
        answered: number;
        excluded: { member: string; phase: string }[];
        winner: string;
      };
    };
    expect(res.status, JSON.stringify(body)).to.equal(200);
    expect(body.chorus.committee_size).to.equal(MEMBERS);
    expect(body.chorus.answered, "the victim committed and revealed before the cut").to.equal(MEMBERS);
    const victimAddress = (await import("viem/accounts")).privateKeyToAccount(victim).address.toLowerCase();
    const excluded = body.chorus.excluded.map((e) => e.member.toLowerCase());
    expect(excluded, "the cut member is excluded").to.include(victimAddress);
    // (it is excluded at judge, and again at sign: the coordinator records who did not sign the record)
    expect(new Set(excluded), "nobody else is").to.have.property("size", 1);
  });
});
