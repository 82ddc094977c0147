/**
 * Private networks of Linux network namespaces for tests: one bridge in the root namespace on 10.77.0.1/24
 * and, per member, a namespace joined to the bridge by a veth pair, with its own address 10.77.0.(10 + i).
 * These addresses exist only on the test's bridge and namespaces: the one deliberate exception to "servers
 * bind 127.0.0.1 only", because the point is nodes on separate hosts' addresses. Needs root and iproute2;
 * `netnsSupport` says why it cannot run elsewhere. Every name carries the creating PID, and `destroy` removes
 * exactly what `createNetwork` made (deleting a namespace deletes its veth pair).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);
export const SUBNET = "10.77.0";
export const BRIDGE_ADDRESS = `${SUBNET}.1`;

async function ip(args: string[], signal?: AbortSignal): Promise<string> {
  const { stdout } = await run("ip", args, { signal, timeout: 10_000 });
  return stdout;
}

/** null when namespaces can be used here, else the reason they cannot. */
export async function netnsSupport(): Promise<string | null> {
  if (process.platform !== "linux") return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid !== "function" || process.getuid() !== 0)
    return "not running as root (creating network namespaces needs root)";
  if (!["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].some((p) => existsSync(p)))
    return "iproute2 (`ip`) is not installed";
  const probe = `chorus-probe-${process.pid}`;
  try {
    await ip(["netns", "add", probe]);
  } catch (err) {
    return `\`ip netns add\` is not permitted here (${String((err as { message?: unknown }).message).split("\n")[0]})`;
  }
  await ip(["netns", "del", probe]).catch(() => {});
  const routes = await ip(["route", "show"]).catch(() => "");
  if (routes.includes(`${SUBNET}.`)) return `the subnet ${SUBNET}.0/24 is already routed on this machine`;
  return null;
}

export interface Netns {
  names: string[];
  bridge: string;
  addressOf(i: number): string;
  /** argv that runs `command` inside member i's namespace (ip netns exec execs into it: same PID). */
  execArgs(i: number, command: string[]): string[];
  /** Takes member i's link down inside its namespace: it is cut off from everyone. */
  cut(i: number): Promise<void>;
  destroy(): Promise<void>;
}

export async function createNetwork(members: number, opts: { signal?: AbortSignal } = {}): Promise<Netns> {
  const tag = String(process.pid % 100_000);
  const bridge = `chbr${tag}`;
  const names = Array.from({ length: members }, (_, i) => `chorus-${tag}-${i}`);
  const inner = (i: number) => `chn${tag}i${i}`;
  const outer = (i: number) => `chv${tag}o${i}`;
  const made: string[] = [];
  let bridgeMade = false;
  const destroy = async () => {
    for (const n of made.splice(0)) await ip(["netns", "del", n]).catch(() => {});
    if (bridgeMade) await ip(["link", "del", bridge]).catch(() => {});
    bridgeMade = false;
  };
  try {
    await ip(["link", "add", bridge, "type", "bridge"], opts.signal);
    bridgeMade = true;
    await ip(["addr", "add", `${BRIDGE_ADDRESS}/24`, "dev", bridge], opts.signal);
    await ip(["link", "set", bridge, "up"], opts.signal);
    for (let i = 0; i < members; i++) {
      await ip(["netns", "add", names[i]], opts.signal);
      made.push(names[i]);
      await ip(["link", "add", outer(i), "type", "veth", "peer", "name", inner(i)], opts.signal);
      await ip(["link", "set", inner(i), "netns", names[i]], opts.signal);
      await ip(["link", "set", outer(i), "master", bridge], opts.signal);
      await ip(["link", "set", outer(i), "up"], opts.signal);
      const ns = ["netns", "exec", names[i], "ip"];
      await run("ip", [...ns, "link", "set", "lo", "up"], { signal: opts.signal });
      await run("ip", [...ns, "addr", "add", `${SUBNET}.${10 + i}/24`, "dev", inner(i)], { signal: opts.signal });
      await run("ip", [...ns, "link", "set", inner(i), "up"], { signal: opts.signal });
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    names,
    bridge,
    addressOf: (i) => `${SUBNET}.${10 + i}`,
    execArgs: (i, command) => ["netns", "exec", names[i], ...command],
    cut: async (i) => {
      await run("ip", ["netns", "exec", names[i], "ip", "link", "set", inner(i), "down"]);
    },
    destroy,
  };
}
