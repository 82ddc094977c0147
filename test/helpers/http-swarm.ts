/**
 * A swarm of n node apps on 127.0.0.1 without a chain: each a Member and a Coordinator behind createNodeApp,
 * peers over real HTTP (httpPeers), count rules, artifacts in memory unless given. For the gateway, overload and
 * openai-backend-against-the-gateway tests.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Address } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { createNodeApp } from "../../src/node/app.js";
import type { AccessOptions } from "../../src/node/openai/access.js";
import { RoundLimiter } from "../../src/node/limiter.js";
import { httpPeers } from "../../src/node/peers-http.js";
import { Coordinator, type CoordinatorOptions } from "../../src/round/coordinator.js";
import { Member } from "../../src/round/member.js";
import type { MemberLimits } from "../../src/round/member-checks.js";
import { createSigner } from "../../src/core/index.js";
import type { Artifacts, Mind, NodeEntry } from "../../src/round/ports.js";
import { countRules } from "../kit/count-rules.js";
import { MemoryArtifacts, directoryOf, makeSigners } from "../kit/memory-round.js";
import { TEST_DOMAIN as domain, TEST_RECORDS as records } from "../kit/memory-node.js";

export interface HttpSwarm {
  nodes: NodeEntry[];
  /** Node 0's URL: its gateway takes the test's queries. */
  base: string;
  close(): Promise<void>;
}

export async function startHttpSwarm(opts: {
  n: number;
  mind: (i: number) => Mind;
  round: CoordinatorOptions;
  limiter: (i: number) => RoundLimiter;
  bodyLimit?: string;
  /** Where transcripts go (default: in memory). */
  artifacts?: Artifacts;
  /** API keys and per-client limits of every node's gateway (default: open). */
  access?: AccessOptions;
}): Promise<HttpSwarm> {
  const servers: Server[] = [];
  const nodes: NodeEntry[] = [];
  const artifacts = opts.artifacts ?? new MemoryArtifacts();
  const directory = directoryOf(nodes);
  const peers = httpPeers({ allowPrivate: ["127.0.0.0/8"] }); // every test node is on loopback
  for (const [i, signer] of makeSigners(opts.n).entries()) {
    const member = new Member({ domain, signer, directory, artifacts, rules: countRules, records, mind: opts.mind(i) });
    const coordinator = new Coordinator(
      { domain, signer, directory, peers, artifacts, rules: countRules, records, settle: async () => {} },
      opts.round,
    );
    const limiter = opts.limiter(i);
    const app = createNodeApp({
      address: signer.address,
      member,
      gateway: {
        ask: (q, o) => limiter.run(() => coordinator.run(q, o)),
        settlementStatus: async () => "queued",
        bodyLimit: opts.bodyLimit,
        access: opts.access,
      },
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    servers.push(server);
    nodes.push({
      address: signer.address,
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      stake: 10n ** 20n,
      reputation: 500_000,
    });
  }
  return {
    nodes,
    base: nodes[0].endpoint,
    async close() {
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      peers.close();
    },
  };
}

/**
 * Member nodes as real processes (test/node/replay-node.ts, one per node, each with its own data directory
 * under one temporary folder), over the memory chain every process reads alike: the test's coordinator
 * drives them over HTTP. `kill(i)` stops process i by its PID (SIGKILL: a crash after its last reply),
 * `restart(i, chain)` starts it again on the same data directory, optionally reading a new chain state (a
 * coordinator's last closed sequence); `closeSequences` moves the chain on for the running processes. `close()`
 * stops every process it started, by PID, and removes the folder.
 */
export interface ProcessSwarm {
  /** Node i's address, URL (changes on restart) and PID (changes on restart). */
  nodes: { address: Address; url: string; pid: number }[];
  dataDirOf(i: number): string;
  kill(i: number): Promise<void>;
  restart(i: number, chain?: { closed?: Record<string, bigint> }): Promise<void>;
  /** The memory chain moves on: coordinators' sequences closed through new ones, as every running process reads it. */
  closeSequences(closed: Record<string, bigint>): Promise<void>;
  close(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

export async function startProcessSwarm(opts: {
  n: number;
  /** Staked nodes that run no process here (a test's coordinator), with their reputation. */
  extra: { address: Address; reputation: number }[];
  latestBlock: bigint;
  limits?: Partial<MemberLimits>;
  /** Each coordinator's last sequence closed on chain (settled or voided). */
  closed?: Record<string, bigint>;
}): Promise<ProcessSwarm> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-procs-"));
  const keys = Array.from({ length: opts.n }, () => generatePrivateKey());
  const addresses = keys.map((k) => createSigner(k).address);
  const entries = [
    ...addresses.map((address) => ({ address, stake: (10n ** 20n).toString(), reputation: 500_000 })),
    ...opts.extra.map((x) => ({ address: x.address, stake: (10n ** 20n).toString(), reputation: x.reputation })),
  ];
  const children: (ChildProcess | undefined)[] = [];
  const nodes: ProcessSwarm["nodes"] = [];
  let closed = { ...(opts.closed ?? {}) };
  const dataDirOf = (i: number) => path.join(dir, `node${i}`);
  const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
  const stop = (c: ChildProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (exited(c)) {
        resolve();
        return;
      }
      c.once("exit", () => resolve());
      process.kill(c.pid!, signal);
    });
  const spawn = async (i: number) => {
    const cfg = {
      key: keys[i],
      index: i,
      dataDir: dataDirOf(i),
      latestBlock: opts.latestBlock.toString(),
      closed: Object.fromEntries(Object.entries(closed).map(([c, s]) => [c, s.toString()])),
      entries,
      limits: opts.limits ?? {},
    };
    const child = fork(path.join(here, "../node/replay-node.ts"), [JSON.stringify(cfg)], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children[i] = child;
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`node process ${i} (pid ${child.pid}) did not report its URL within 60 s`)),
        60_000,
      );
      child.once("message", (m: { url?: string }) => {
        clearTimeout(timer);
        if (m.url) resolve(m.url);
        else reject(new Error(`node ${i}: unexpected message`));
      });
      child.once("exit", (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`node process ${i} (pid ${child.pid}) exited (${code ?? sig}) before it listened`));
      });
    });
    nodes[i] = { address: addresses[i], url, pid: child.pid! };
  };
  const close = async () => {
    await Promise.all(children.filter((c) => c !== undefined).map((c) => stop(c, "SIGKILL")));
    await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  try {
    await Promise.all(keys.map((_k, i) => spawn(i)));
  } catch (err) {
    await close();
    throw err;
  }
  return {
    nodes,
    dataDirOf,
    async kill(i) {
      await stop(children[i]!, "SIGKILL");
    },
    async restart(i, chain) {
      if (chain?.closed) closed = { ...closed, ...chain.closed };
      await stop(children[i]!, "SIGKILL");
      await spawn(i);
    },
    async closeSequences(update) {
      closed = { ...closed, ...update };
      const wire = Object.fromEntries(Object.entries(update).map(([c, seq]) => [c, seq.toString()]));
      await Promise.all(
        children.map(
          (c, i) =>
            new Promise<void>((resolve, reject) => {
              const timer = setTimeout(
                () => reject(new Error(`node process ${i} (pid ${c!.pid}) did not take the chain update within 10 s`)),
                10_000,
              );
              const onMessage = (m: { chainUpdated?: boolean }) => {
                if (!m.chainUpdated) return;
                clearTimeout(timer);
                c!.off("message", onMessage);
                resolve();
              };
              c!.on("message", onMessage);
              c!.send({ closed: wire });
            }),
        ),
      );
    },
    close,
  };
}
