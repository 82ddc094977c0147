/**
 * The `chorus` CLI run in process, as the tests drive it: `runCli(args)` collects what the command printed to
 * stdout and stderr (one entry per line) with its exit code; `swarmCliArgs(swarm)` are the flags that point the
 * CLI at a test chain swarm (its RPC server, deployments file and, unless told otherwise, node 0's gateway).
 */
import { main } from "../../src/cli/main.js";

export interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `chorus <args>` in process with `env` as its environment (nothing of the test process's own). */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["node", "chorus", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
  return { code, out, err };
}

/** The flags that point the CLI at a chain swarm: `--network custom --rpc-url … --deployments … [--gateway …]`. */
export function swarmCliArgs(
  swarm: { rpc: { url: string }; deploymentsFile: string; nodes: readonly { url: string }[] },
  opts: { gateway?: string | false } = {},
): string[] {
  const args = ["--network", "custom", "--rpc-url", swarm.rpc.url, "--deployments", swarm.deploymentsFile];
  const gateway = opts.gateway ?? swarm.nodes.at(0)?.url;
  return gateway === false || gateway === undefined ? args : [...args, "--gateway", gateway];
}
