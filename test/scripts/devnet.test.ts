import { expect } from "chai";
import { spawn } from "node:child_process";
import path from "node:path";
import { ROOT } from "../../deploy/index.js";
import { main } from "../../src/cli/main.js";
import { freePort, freeRange, listening } from "../helpers/ports.js";

describe("npm start (devnet)", function () {
  this.timeout(420_000);

  it("brings up the swarm (chain, 5 staked and calibrated nodes on the test model), answers an ask, and stops everything on Ctrl-C", async () => {
    const port = await freePort();
    // nodes on nodeBase..nodeBase+4, the sample source on nodeBase+10: all free and apart from the chain's port
    const nodeBase = await freeRange(11, [port]);
    const sourcePort = nodeBase + 10;
    const dataDir = path.join(ROOT, ".chorus", `devnet-test-${port}`);
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "devnet.ts")], {
      cwd: ROOT,
      env: {
        ...process.env,
        CHORUS_DEVNET_PORT: String(port),
        CHORUS_DEVNET_NODE_PORT: String(nodeBase),
        CHORUS_DEVNET_SOURCE_PORT: String(sourcePort),
        CHORUS_DEVNET_DEPLOYMENTS_DIR: dataDir,
        CHORUS_DEVNET_DIR: path.join(dataDir, "nodes"),
        CHORUS_MODEL: path.resolve(ROOT, "..", "shared", "models", "stories260K.gguf"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (output.includes("Press Ctrl-C to stop everything.")) {
            clearInterval(timer);
            resolve();
          }
          if (child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`devnet exited early:\n${output}`));
          }
        }, 200);
      });
      expect(output).to.contain(`chain        http://127.0.0.1:${port}`);
      expect(output).to.match(/nodes {8}5 staked, calibrated and serving:/);
      expect(output).to.match(/calibration scores: (\d+\/256, ){4}\d+\/256/);
      expect(output).to.contain(`curl -s http://127.0.0.1:${nodeBase}/v1/chat/completions`);
      // Calibration moved no clock: the chain stays with the wall clock, and time passes on it while idle.
      const block = async () =>
        (await (
          await fetch(`http://127.0.0.1:${port}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: ["latest", false] }),
          })
        ).json()) as { result: { timestamp: string; number: string } };
      const first = await block();
      expect(Math.abs(Number(first.result.timestamp) - Date.now() / 1000)).to.be.below(15);
      await new Promise((r) => setTimeout(r, 2500));
      expect(Number((await block()).result.number)).to.be.above(Number(first.result.number));

      const out: string[] = [];
      const err: string[] = [];
      const code = await main(
        [
          "node",
          "chorus",
          "--network",
          "custom",
          "--rpc-url",
          `http://127.0.0.1:${port}`,
          "--deployments",
          path.join(dataDir, "31337.json"),
          "nodes",
          "--json",
        ],
        { out: (l) => out.push(l), err: (l) => err.push(l) },
        {},
      );
      expect(err).to.deep.equal([]);
      expect(code).to.equal(0);
      const nodes = JSON.parse(out.join("\n")) as { staked: string; endpoint: string }[];
      expect(nodes).to.have.length(5);
      expect(nodes.every((n) => n.staked === (500n * 10n ** 18n).toString())).to.equal(true);

      // The sample data source is registered and serves; the one-command line to add another is printed.
      expect(output).to.match(
        new RegExp(`source {7}#6 0x[0-9a-fA-F]{40}  http://127\\.0\\.0\\.1:${sourcePort}  manifest bagu`),
      );
      expect(output).to.match(/npx chorus --dev-account 7 source start --corpus \S*scripts\/devnet-corpus --port \d+/);
      const srcOut: string[] = [];
      const srcCode = await main(
        [
          "node",
          "chorus",
          "--network",
          "custom",
          "--rpc-url",
          `http://127.0.0.1:${port}`,
          "--deployments",
          path.join(dataDir, "31337.json"),
          "sources",
          "--json",
        ],
        { out: (l) => srcOut.push(l), err: (l) => err.push(l) },
        {},
      );
      expect(srcCode).to.equal(0);
      const sources = JSON.parse(srcOut.join("\n")) as { endpoint: string; reliability: number; manifest: string }[];
      expect(sources.map((s) => s.endpoint)).to.deep.equal([`http://127.0.0.1:${sourcePort}`]);
      const health = await (await fetch(`http://127.0.0.1:${sourcePort}/health`)).json();
      expect(health).to.include({ ok: true, manifestCid: sources[0].manifest });

      // Ask the swarm as a user would: real inference on every node, a winner and its transcript.
      const askOut: string[] = [];
      const askErr: string[] = [];
      const askCode = await main(
        [
          "node",
          "chorus",
          "--gateway",
          `http://127.0.0.1:${nodeBase + 2}`,
          "ask",
          "Once upon a time",
          "--max-tokens",
          "24",
          "--json",
        ],
        { out: (l) => askOut.push(l), err: (l) => askErr.push(l) },
        {},
      );
      expect(askErr).to.deep.equal([]);
      expect(askCode).to.equal(0);
      const answer = JSON.parse(askOut.join("\n"));
      expect(answer.choices[0].message.content).to.be.a("string").and.not.equal("");
      expect(answer.chorus.committee_size).to.equal(5);
      expect(answer.chorus.transcript_cid).to.match(/^bagu/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGINT");
        await new Promise((r) => child.once("exit", r));
      }
    }
    expect(output).to.contain("stopping everything the devnet started");
    expect(await listening(port), "the Hardhat node is still listening after Ctrl-C").to.equal(false);
    for (let i = 0; i < 5; i++)
      expect(await listening(nodeBase + i), `node ${i + 1} still listening after Ctrl-C`).to.equal(false);
    expect(await listening(sourcePort), "the data source still listening after Ctrl-C").to.equal(false);
  });
});
