import { expect } from "chai";
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { ROOT } from "../../deploy/index.js";
import { main } from "../../src/cli/main.js";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

describe("npm start (devnet)", function () {
  this.timeout(180_000);

  it("brings up the chain with 5 staked nodes, answers the CLI, and stops its children on Ctrl-C", async () => {
    const port = await freePort();
    const dataDir = path.join(ROOT, ".chorus", `devnet-test-${port}`);
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "devnet.ts")], {
      cwd: ROOT,
      env: { ...process.env, CHORUS_DEVNET_PORT: String(port), CHORUS_DEVNET_DEPLOYMENTS_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (output.includes("Press Ctrl-C to stop everything.")) (clearInterval(timer), resolve());
          if (child.exitCode !== null) (clearInterval(timer), reject(new Error(`devnet exited early:\n${output}`)));
        }, 200);
      });
      expect(output).to.contain(`chain        http://127.0.0.1:${port}`);
      expect(output).to.match(/nodes {8}5 staked:/);
      expect(output).to.contain("npx chorus nodes");

      const out: string[] = [];
      const err: string[] = [];
      const code = await main(
        ["node", "chorus", "--network", "custom", "--rpc-url", `http://127.0.0.1:${port}`, "--deployments", path.join(dataDir, "31337.json"), "nodes", "--json"],
        { out: (l) => out.push(l), err: (l) => err.push(l) },
        {},
      );
      expect(err).to.deep.equal([]);
      expect(code).to.equal(0);
      const nodes = JSON.parse(out.join("\n")) as { staked: string; endpoint: string }[];
      expect(nodes).to.have.length(5);
      expect(nodes.every((n) => n.staked === (500n * 10n ** 18n).toString())).to.equal(true);
    } finally {
      child.kill("SIGINT");
      await new Promise((r) => child.once("exit", r));
    }
    expect(output).to.contain("stopping everything the devnet started");
    expect(await listening(port), "the Hardhat node is still listening after Ctrl-C").to.equal(false);
  });
});
