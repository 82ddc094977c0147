/**
 * The swarm of the load bench: n real node processes (load-node.ts) on 127.0.0.1, each with its own key,
 * data dir and artifact store, all knowing each other. Reads each process's resident set size over IPC and
 * stops every process it started, by its handle, on close.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generatePrivateKey } from "viem/accounts";

const here = path.dirname(fileURLToPath(import.meta.url));

export interface LoadSwarmOptions {
  nodes: number;
  concurrentRounds: number;
  queuedRounds: number;
  queueWaitMs: number;
  ipfs: "embedded" | "memory";
  /** The gateway's per-IP bucket in rounds/s; 0 = off. */
  perIpPerSecond?: number;
  signal?: AbortSignal;
  /** Each node's stderr (its JSON log lines), by node index; default: passed through to this process's stderr. */
  onStderr?: (index: number, chunk: Buffer) => void;
  /** Extra environment of the node processes (e.g. LOAD_NODE_LOG_LEVEL). */
  env?: Record<string, string>;
}

export interface LoadSwarm {
  urls: string[];
  pids: number[];
  /** Resident set size of each node process, in bytes (same order as `urls`). */
  rss(): Promise<number[]>;
  /** Stops every node (gracefully: `{ stop: true }` over IPC, SIGKILL after 10 s); resolves with their exit codes. */
  close(): Promise<(number | string | null)[]>;
}

function reply<T>(
  child: ChildProcess,
  pick: (m: Record<string, unknown>) => T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`node process ${child.pid} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (m: Record<string, unknown>) => {
      const v = pick(m);
      if (v !== undefined) done(undefined, v);
    };
    const onExit = (code: number | null) => done(new Error(`node process ${child.pid} exited with ${code}`));
    const done = (err?: Error, v?: T) => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve(v as T);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

export async function startLoadSwarm(opts: LoadSwarmOptions): Promise<LoadSwarm> {
  const children: ChildProcess[] = [];
  const close = () =>
    Promise.all(
      children.map(
        (c) =>
          new Promise<number | string | null>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null || !c.connected) {
              if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
              resolve(c.exitCode ?? c.signalCode ?? "SIGKILL");
              return;
            }
            const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
            c.once("exit", (code, sig) => {
              clearTimeout(timer);
              resolve(code ?? sig);
            });
            c.send({ stop: true });
          }),
      ),
    );
  try {
    const nodes: { url: string; address: string }[] = [];
    for (let i = 0; i < opts.nodes; i++) {
      opts.signal?.throwIfAborted();
      const args = [
        generatePrivateKey(),
        String(i),
        String(opts.concurrentRounds),
        String(opts.queuedRounds),
        opts.ipfs,
        String(opts.queueWaitMs),
        String(opts.perIpPerSecond ?? 0),
      ];
      const child = fork(path.join(here, "load-node.ts"), args, {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", opts.onStderr ? "pipe" : "inherit", "ipc"],
        env: { ...process.env, ...(opts.env ?? {}) },
      });
      children.push(child);
      if (opts.onStderr) child.stderr!.on("data", (chunk: Buffer) => opts.onStderr!(i, chunk));
      // a node that dies closes its IPC channel: report it instead of crashing on a send
      child.on("error", (err) => process.stderr.write(`load node ${i} (pid ${child.pid}): ${err.message}\n`));
      child.once("exit", (code, sig) =>
        process.stderr.write(`load node ${i} (pid ${child.pid}) exited (${code ?? sig})\n`),
      );
      nodes.push(
        await reply(child, (m) => (typeof m.url === "string" ? (m as { url: string; address: string }) : undefined)),
      );
    }
    const entries = nodes.map((x) => ({ address: x.address, endpoint: x.url }));
    await Promise.all(children.map((c) => (c.send({ entries }), reply(c, (m) => m.ready))));
    return {
      urls: nodes.map((x) => x.url),
      pids: children.map((c) => c.pid!),
      rss: () =>
        Promise.all(
          children.map((c, i) => {
            if (!c.connected) return Promise.reject(new Error(`load node ${i} (pid ${c.pid}) is gone`));
            c.send({ rss: true });
            return reply(c, (m) => (typeof m.rss === "number" ? m.rss : undefined));
          }),
        ),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
