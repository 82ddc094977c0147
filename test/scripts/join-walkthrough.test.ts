/**
 * The README's "Join the devnet as a node" walk-through, word for word, against `npm start`'s devnet: the devnet
 * starts as in test/scripts/devnet.test.ts (loopback ports, the tiny stories model for its five nodes), with
 * short suite windows and weight periods so the run fits in minutes; the README block runs under bash with only
 * its exported model URL (an OpenAI-compatible test model that can add), data directory and port replaced, and the
 * environment pointing the CLI at this devnet's chain and node 1's gateway. Then the test checks on its own that
 * the newcomer holds a pass and that the round the walk-through ended on drew it into its committee.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../../deploy/index.js";
import { main } from "../../src/cli/main.js";
import { readWalkthrough, runWalkthrough, substituteExports } from "../../scripts/lib/devnet-walkthrough.js";
import { startArithmeticModel, type ArithmeticModel } from "../helpers/arithmetic-model.js";
import { freePort, freeRange, listening } from "../helpers/ports.js";

/** The environment without the CHORUS_* settings of whoever runs the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CHORUS_")));
}

describe("README: join the devnet as a node (walk-through, word for word)", function () {
  // a loaded 2-core machine: the devnet takes minutes to come up, each `npx chorus` ~20 s
  this.timeout(45 * 60_000);

  it("extracts the block and refuses to substitute a variable the README does not export", async () => {
    const script = await readWalkthrough({});
    expect(script).to.match(/^npx chorus --account newcomer calibrate$/m);
    expect(() => substituteExports(script, { CHORUS_NOT_DOCUMENTED: "x" })).to.throw(
      "the walk-through must export CHORUS_NOT_DOCUMENTED exactly once (found 0)",
    );
    expect(substituteExports("export CHORUS_DATA_DIR=.chorus/x\n", { CHORUS_DATA_DIR: "/tmp/a b" })).to.equal(
      "export CHORUS_DATA_DIR='/tmp/a b'\n",
    );
  });

  it("fund, key, stake, calibrate with your model, start, and see it drawn", async () => {
    const port = await freePort();
    const nodeBase = await freeRange(12, [port]); // nodes nodeBase..+4, the source +10, the newcomer +11
    const sourcePort = nodeBase + 10;
    const newcomerPort = nodeBase + 11;
    const dataDir = path.join(ROOT, ".chorus", `join-test-${String(port)}`);
    const tmp = await mkdtemp(path.join(os.tmpdir(), "chorus-join-"));
    const newcomerDir = path.join(tmp, "newcomer");
    let model: ArithmeticModel | undefined;
    let walk: ReturnType<typeof runWalkthrough> | undefined;
    const devnet = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "devnet.ts")], {
      cwd: ROOT,
      env: {
        ...cleanEnv(),
        CHORUS_DEVNET_PORT: String(port),
        CHORUS_DEVNET_NODE_PORT: String(nodeBase),
        CHORUS_DEVNET_SOURCE_PORT: String(sourcePort),
        CHORUS_DEVNET_DEPLOYMENTS_DIR: dataDir,
        CHORUS_DEVNET_DIR: path.join(dataDir, "nodes"),
        CHORUS_MODEL: path.resolve(ROOT, "..", "shared", "models", "stories260K.gguf"),
        // short, so the run fits in minutes: the defaults are 600 s periods, 600 s windows, a suite every 120 s
        CHORUS_DEVNET_PERIOD: "120",
        CHORUS_DEVNET_SUITE_WINDOW: "150",
        CHORUS_DEVNET_SUITE_EVERY: "30",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let devnetOut = "";
    devnet.stdout.on("data", (d: Buffer) => (devnetOut += d.toString()));
    devnet.stderr.on("data", (d: Buffer) => (devnetOut += d.toString()));
    const walkLines: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (devnetOut.includes("Press Ctrl-C to stop everything.")) {
            clearInterval(timer);
            resolve();
          }
          if (devnet.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`devnet exited early:\n${devnetOut}`));
          }
        }, 200);
      });
      expect(devnetOut).to.contain(
        "Join as a node with your own model: README.md, section 'Join the devnet as a node'",
      );
      expect(devnetOut).to.match(/curator: suite \d+ open for newcomers until /);

      model = await startArithmeticModel();
      const script = await readWalkthrough({
        CHORUS_OPENAI_URL: model.url,
        CHORUS_DATA_DIR: newcomerDir,
        CHORUS_NODE_PORT: String(newcomerPort),
      });
      walk = runWalkthrough(script, {
        env: {
          ...cleanEnv(),
          // this devnet's chain and node 1's gateway instead of the defaults 127.0.0.1:8545 and :7001
          CHORUS_RPC_URL: `http://127.0.0.1:${String(port)}`,
          CHORUS_DEPLOYMENTS: path.join(dataDir, "31337.json"),
          CHORUS_GATEWAY_URL: `http://127.0.0.1:${String(nodeBase)}`,
          CHORUS_KEYSTORE_DIR: path.join(tmp, "keystore"),
        },
        onLine: (l) => {
          walkLines.push(l);
          if (process.env.CHORUS_TEST_VERBOSE) process.stdout.write(`[walk-through] ${l}\n`);
        },
      });
      const code = await Promise.race([
        walk.done,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("the walk-through did not finish within 35 minutes")), 35 * 60_000),
        ),
      ]);
      const transcript = walkLines.join("\n");
      expect(code, `the walk-through failed:\n${transcript}\n--- devnet ---\n${devnetOut}`).to.equal(0);

      // The newcomer's address, as the keystore holds it.
      const me = /key 'newcomer' (0x[0-9a-fA-F]{40}) saved encrypted/.exec(transcript)?.[1];
      expect(me, transcript).to.be.a("string");
      const address = (me ?? "").toLowerCase();
      expect(transcript).to.match(/suite \d+: \d+\/256 \(bar 218\): PASSED/);

      // It holds a pass: asked on its own, from the chain.
      const out: string[] = [];
      const err: string[] = [];
      const chainArgs = [
        "--rpc-url",
        `http://127.0.0.1:${String(port)}`,
        "--deployments",
        path.join(dataDir, "31337.json"),
      ];
      expect(
        await main(
          ["node", "chorus", ...chainArgs, "node", "info", address, "--json"],
          {
            out: (l) => out.push(l),
            err: (l) => err.push(l),
          },
          {},
        ),
      ).to.equal(0, err.join("\n"));
      const info = JSON.parse(out.join("\n")) as { pass: { capable: boolean; score: number } };
      expect(info.pass.capable).to.equal(true);
      expect(info.pass.score).to.be.at.least(218);

      // The round the walk-through ended on drew it: its transcript's committee (on IPFS, via node 1) names it.
      const round = JSON.parse(await readFile(path.join(newcomerDir, "round.json"), "utf8")) as {
        chorus: { round_id: string; transcript_cid: string };
      };
      const res = await fetch(`http://127.0.0.1:${String(nodeBase)}/ipfs/${round.chorus.transcript_cid}`);
      expect(res.status).to.equal(200);
      const doc = (await res.json()) as { committee: { members: string[]; candidates: unknown[] } };
      // drawn, not merely a candidate (the snapshot lists every candidate with its weight too)
      expect(doc.committee.members.map((m) => m.toLowerCase())).to.include(address);
      // ... and the walk-through's last command printed that round's line for it
      expect(transcript.toLowerCase()).to.match(new RegExp(`^ +(\\d+\\. |excluded )${address}`, "m"));
      expect(await listening(newcomerPort), "the newcomer's node serves").to.equal(true);
    } finally {
      await walk?.stop();
      await model?.close();
      if (devnet.exitCode === null && devnet.signalCode === null) {
        devnet.kill("SIGINT");
        await new Promise((r) => devnet.once("exit", r));
      }
      await rm(tmp, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
    expect(await listening(newcomerPort), "the newcomer's node still listening after the test").to.equal(false);
    expect(await listening(port), "the Hardhat node still listening after Ctrl-C").to.equal(false);
    for (let i = 0; i < 5; i++)
      expect(await listening(nodeBase + i), `node ${String(i + 1)} still listening after Ctrl-C`).to.equal(false);
  });
});
