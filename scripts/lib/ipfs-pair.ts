/**
 * A file moved between two networked Helia nodes on separate hosts' addresses: each node a process in its own
 * Linux network namespace (10.77.0.10 and 10.77.0.11 on a private bridge, scripts/lib/netns-net.ts) when
 * namespaces can be made here, else (said in `reason`) two processes on two loopback addresses, 127.0.0.1 and
 * 127.0.0.2. Node A stores the file (UnixFS, pinned); node B dials A's announced multiaddr and reads the file
 * over bitswap, every block verified. Every process is stopped by PID and the namespaces removed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createNetwork, netnsSupport, type Netns } from "./netns-net.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const NODE = path.join(ROOT, "scripts/lib/ipfs-pair-node.ts");

export interface PairResult {
  mode: "netns" | "loopback";
  /** Why namespaces were not used (loopback mode). */
  reason?: string;
  addresses: [string, string];
  cid: string;
  bytes: number;
  putMs: number;
  getMs: number;
  shaA: string;
  shaB: string;
  /** The address B's connection to A reached. */
  remoteAddr: string;
}

function lineOf(child: ChildProcess, prefix: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    let err = "";
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `no '${prefix}' line from process ${child.pid} within ${timeoutMs} ms; stderr: ${err.slice(-2000)}`,
          ),
        ),
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
    const onErr = (chunk: Buffer) => void (err += chunk.toString());
    const onExit = (code: number | null) =>
      finish(new Error(`process ${child.pid} exited with ${code} before '${prefix}'; stderr: ${err.slice(-2000)}`));
    const finish = (e?: Error, line?: string) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onErr);
      child.off("exit", onExit);
      if (e) reject(e);
      else resolve(line!);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onErr);
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
    child.stdin?.end();
    child.kill("SIGTERM");
  });
}

/** Moves `bytes` deterministic bytes from node A to node B; see the module comment. */
export async function transferBetweenHosts(
  bytes: number,
  opts: { timeoutMs?: number; forceLoopback?: boolean } = {},
): Promise<PairResult> {
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const reason = opts.forceLoopback ? "loopback forced" : await netnsSupport();
  let net: Netns | undefined;
  const children: ChildProcess[] = [];
  const dirs = [
    await mkdtemp(path.join(os.tmpdir(), "chorus-pair-a-")),
    await mkdtemp(path.join(os.tmpdir(), "chorus-pair-b-")),
  ];
  try {
    if (reason === null) net = await createNetwork(2);
    const addresses: [string, string] = net ? [net.addressOf(0), net.addressOf(1)] : ["127.0.0.1", "127.0.0.2"];
    const launch = (i: number, args: string[]) => {
      const argv = [process.execPath, "--import", "tsx", NODE, ...args];
      const child = net
        ? spawn("ip", net.execArgs(i, argv), { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] })
        : spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
      children.push(child);
      return child;
    };
    const a = launch(0, ["serve", dirs[0], `/ip4/${addresses[0]}/tcp/0`, String(bytes), "chorus-corpus"]);
    const [, cid, addr, putMs, shaA] = (await lineOf(a, "READY ", timeoutMs)).split(" ");
    const b = launch(1, ["fetch", dirs[1], `/ip4/${addresses[1]}/tcp/0`, addr, cid]);
    const [, shaB, got, getMs, remoteAddr] = (await lineOf(b, "GOT ", timeoutMs)).split(" ");
    return {
      mode: net ? "netns" : "loopback",
      ...(reason !== null ? { reason } : {}),
      addresses,
      cid,
      bytes: Number(got),
      putMs: Number(putMs),
      getMs: Number(getMs),
      shaA,
      shaB,
      remoteAddr,
    };
  } finally {
    for (const c of children) await stop(c);
    await net?.destroy();
    for (const d of dirs) await rm(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}
