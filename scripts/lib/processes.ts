/**
 * Child processes the devnet starts: each is tracked by PID and stopped on exit, Ctrl-C or failure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";

const children = new Set<ChildProcess>();

export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {},
): ChildProcess {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let buffer = "";
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString();
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      opts.onLine?.(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  };
  // null when the caller let the child inherit them
  (child.stdout as NodeJS.ReadableStream | null)?.on("data", onData);
  (child.stderr as NodeJS.ReadableStream | null)?.on("data", onData);
  child.on("exit", () => children.delete(child));
  child.on("error", (err) => process.stderr.write(`${name}: ${err.message}\n`));
  return child;
}

/** Stops every started process (SIGTERM, then SIGKILL after a grace period). */
export async function stopAll(graceMs = 3000): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
}

/** True when something already listens on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Polls `probe` until it resolves true or `timeoutMs` passes. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}
