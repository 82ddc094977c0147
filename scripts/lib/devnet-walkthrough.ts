/**
 * The README's "Join the devnet as a node" walk-through as a script: the one ```sh join-walkthrough block is taken
 * from README.md word for word, only the values of its `export NAME=value` lines may be replaced (the model URL,
 * the data directory, the port), and it runs under `bash` with `set -euo pipefail`, so any command that fails
 * fails the run. The shell runs in its own process group: `stop` ends it and whatever it left in the background
 * (the newcomer's `chorus node start`) by that group's id, the shell's PID.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "../../deploy/index.js";

export const WALKTHROUGH_MARKER = "```sh join-walkthrough";

/** The body of the README's one join-walkthrough block. */
export function extractWalkthrough(readme: string): string {
  const parts = readme.split(WALKTHROUGH_MARKER);
  if (parts.length !== 2) throw new Error(`README.md must hold exactly one ${WALKTHROUGH_MARKER} block`);
  const end = parts[1].indexOf("\n```");
  if (end < 0) throw new Error(`the ${WALKTHROUGH_MARKER} block is not closed`);
  return parts[1].slice(0, end).replace(/^\n/, "") + "\n";
}

/**
 * Replaces the value of `export NAME=...` for each given name. A name without exactly one such line is an error,
 * so a README that stops documenting a variable fails the test instead of silently running with its default.
 */
export function substituteExports(block: string, values: Record<string, string>): string {
  let out = block;
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^export ${name}=.*$`, "gm");
    const found = out.match(line)?.length ?? 0;
    if (found !== 1) throw new Error(`the walk-through must export ${name} exactly once (found ${String(found)})`);
    out = out.replace(line, `export ${name}=${shellQuote(value)}`);
  }
  return out;
}

const shellQuote = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

export async function readWalkthrough(values: Record<string, string>): Promise<string> {
  return substituteExports(extractWalkthrough(await readFile(path.join(ROOT, "README.md"), "utf8")), values);
}

export interface WalkthroughRun {
  child: ChildProcess;
  /** Resolves with the shell's exit code when it ends (the commands it backgrounded may still run). */
  done: Promise<number | null>;
  /** Ends the shell's process group (SIGTERM, then SIGKILL after graceMs). */
  stop(graceMs?: number): Promise<void>;
}

/** Runs `script` under bash from the checkout (as a reader would, in a second terminal), every line echoed. */
export function runWalkthrough(
  script: string,
  opts: { env: NodeJS.ProcessEnv; onLine: (line: string) => void; cwd?: string },
): WalkthroughRun {
  const child = spawn("bash", ["-c", `set -euo pipefail\nset -x\n${script}`], {
    cwd: opts.cwd ?? ROOT,
    env: { ...opts.env, PS4: "+ " },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so what it backgrounds can be stopped with it
  });
  let buffer = "";
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString();
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      opts.onLine(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const done = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const pgid = child.pid;
  const groupAlive = () => {
    if (pgid === undefined) return false;
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    child,
    done,
    async stop(graceMs = 15_000) {
      if (pgid === undefined || !groupAlive()) return;
      process.kill(-pgid, "SIGTERM");
      const deadline = Date.now() + graceMs;
      while (groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      if (groupAlive()) process.kill(-pgid, "SIGKILL");
    },
  };
}
