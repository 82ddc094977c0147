/**
 * A swarm for benches: n real nodes (startNode), each in its own process on 127.0.0.1 as they would be
 * deployed, with instant fake models. Everything but the model is production code.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generatePrivateKey } from "viem/accounts";

const here = path.dirname(fileURLToPath(import.meta.url));

export async function buildBenchSwarm(n: number) {
  const children: ChildProcess[] = [];
  const nodes: { url: string; address: string }[] = [];
  for (let i = 0; i < n; i++) {
    const child = fork(path.join(here, "bench-node.ts"), [generatePrivateKey(), String(i)], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children.push(child);
    nodes.push(
      await new Promise((resolve, reject) => {
        child.once("message", resolve as never);
        child.once("exit", (code) => reject(new Error(`bench node ${i} exited with ${code}`)));
      }),
    );
  }
  const entries = nodes.map((x) => ({ address: x.address, endpoint: x.url }));
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          c.once("message", resolve);
          c.send({ entries });
        }),
    ),
  );
  return {
    nodes,
    /** The fake models answer in microseconds: the whole round time is protocol overhead. */
    slowestAnswerMs: () => 0,
    resetSlowest: () => {},
    async close() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise((resolve) => {
              c.once("exit", resolve);
              c.send({ stop: true });
              setTimeout(() => c.kill("SIGKILL"), 5000).unref();
            }),
        ),
      );
    },
  };
}
