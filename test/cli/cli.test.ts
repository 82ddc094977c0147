import { expect } from "chai";
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { main } from "../../src/cli/main.js";
import { writeDeployments } from "../../deploy/index.js";
import { deployChorus } from "../kit/fixtures.js";
import { startRpcServer, type RpcServer } from "../helpers/rpc-server.js";
import { time } from "@nomicfoundation/hardhat-network-helpers";

interface Run {
  code: number;
  out: string[];
  err: string[];
}

describe("chorus CLI", function () {
  let rpc: RpcServer;
  let dir: string;
  let deploymentsFile: string;
  let f: Awaited<ReturnType<typeof deployChorus>>;
  const key = generatePrivateKey();
  const me = privateKeyToAccount(key).address;

  const run = async (args: string[], env: Record<string, string> = {}): Promise<Run> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["node", "chorus", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
    return { code, out, err };
  };
  const chainArgs = () => ["--network", "custom", "--rpc-url", rpc.url, "--deployments", deploymentsFile];

  before(async () => {
    f = await deployChorus();
    rpc = await startRpcServer();
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-cli-"));
    deploymentsFile = await writeDeployments(f.deployments, dir);
    await f.token.write.transfer([me, parseEther("1000")]);
    await f.deployer.sendTransaction({ to: me, value: parseEther("10") });
  });
  after(async () => {
    await rpc.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("stake: joins the swarm, then adds stake", async () => {
    let r = await run([...chainArgs(), "--key", key, "stake", "250", "--endpoint", "http://127.0.0.1:7001"]);
    expect(r.err, r.err.join("\n")).to.deep.equal([]);
    expect(r.code).to.equal(0);
    expect(r.out[0]).to.match(/^joined the swarm with 250 CHR; staked now 250 CHR/);
    expect(await f.registry.read.stakeOf([me])).to.equal(parseEther("250"));
    r = await run([...chainArgs(), "--key", key, "stake", "12.5", "--endpoint", "http://127.0.0.1:7001"]);
    expect(r.out[0]).to.match(/^added 12.5 CHR; staked now 262.5 CHR/);
  });

  it("nodes and node info: list the active set and one node, with --json", async () => {
    let r = await run([...chainArgs(), "nodes", "--json"]);
    expect(r.code).to.equal(0);
    const nodes = JSON.parse(r.out.join("\n"));
    expect(nodes.map((n: { address: string }) => n.address)).to.deep.equal([me]);
    expect(nodes[0].staked).to.equal(parseEther("262.5").toString());
    r = await run([...chainArgs(), "node", "info", me]);
    expect(r.out.join("\n")).to.contain("status      active").and.contain("endpoint    http://127.0.0.1:7001");
    r = await run([...chainArgs(), "--key", key, "node", "info", "--json"]);
    expect(JSON.parse(r.out.join("\n")).address).to.equal(me);
  });

  it("unstake and withdraw: thaw, refuse early withdrawal, then pay out", async () => {
    let r = await run([...chainArgs(), "--key", key, "unstake", "200"]);
    expect(r.code).to.equal(0);
    expect(r.out[0]).to.match(/^thawing 200 CHR until .*; staked 62.5 CHR \(below the minimum: no longer active\)/);
    r = await run([...chainArgs(), "--key", key, "withdraw"]);
    expect(r.code).to.equal(1);
    expect(r.err).to.have.length(1);
    expect(r.err[0]).to.match(/^chorus: 200 CHR unlocks at .* \(in \d+ s\)$/);
    await time.increase(3601);
    const before = await f.token.read.balanceOf([me]);
    r = await run([...chainArgs(), "--key", key, "withdraw", "--json"]);
    expect(r.code).to.equal(0);
    expect((await f.token.read.balanceOf([me])) - before).to.equal(parseEther("200"));
  });

  const bad: [string, () => string[], RegExp][] = [
    [
      "an amount that is not a number",
      () => [...chainArgs(), "--key", key, "stake", "ten", "--endpoint", "http://a"],
      /^chorus: amount must be a number of CHR \(e\.g\. 250 or 12\.5\), got 'ten'$/,
    ],
    [
      "more than the balance",
      () => [...chainArgs(), "--key", key, "stake", "5000", "--endpoint", "http://a"],
      /^chorus: amount 5000 CHR exceeds the balance of 0x[0-9a-fA-F]{40}: 937.5 CHR$/,
    ],
    [
      "more than the stake",
      () => [...chainArgs(), "--key", key, "unstake", "100"],
      /^chorus: cannot unstake 100 CHR: .* has 62.5 CHR staked$/,
    ],
    [
      "an unknown network",
      () => ["--network", "mainnet-ish", "nodes"],
      /^chorus: invalid configuration: network: unknown network 'mainnet-ish'/,
    ],
    [
      "an unreachable chain",
      () => ["--network", "custom", "--rpc-url", "http://127.0.0.1:9", "nodes"],
      /^chorus: chain RPC http:\/\/127.0.0.1:9 is unreachable/,
    ],
    [
      "a missing key",
      () => [...chainArgs(), "withdraw"],
      /^chorus: this command signs a transaction: pass --account NAME \(an encrypted keystore: `chorus key new\|import NAME`\) or set CHORUS_PRIVATE_KEY/,
    ],
    [
      "a malformed key",
      () => [...chainArgs(), "--key", "0x1234", "withdraw"],
      /^chorus: invalid configuration: chain.privateKey: must be 0x followed by 64 hex digits \(from flag\)$/,
    ],
    [
      "a bad endpoint",
      () => [...chainArgs(), "--key", key, "stake", "1", "--endpoint", "ftp://x"],
      /^chorus: --endpoint must be an http\(s\) URL, got 'ftp:\/\/x'$/,
    ],
    [
      "a bad address",
      () => [...chainArgs(), "node", "info", "0xnope"],
      /^chorus: address must be an address \(0x \+ 40 hex digits\), got '0xnope'$/,
    ],
    [
      "no deployment for the chain",
      () => ["--network", "custom", "--rpc-url", rpc.url, "--deployments", "/nonexistent/x.json", "nodes"],
      /^chorus: no Chorus deployment for chain 31337/,
    ],
    [
      "--dev-account off the devnet",
      () => [...chainArgs(), "--dev-account", "1", "nodes"],
      /^chorus: --dev-account only works on the devnet/,
    ],
  ];
  for (const [what, args, message] of bad) {
    it(`bad input: ${what} gives one clear line and a non-zero exit`, async () => {
      const r = await run(args());
      expect(r.code).to.not.equal(0);
      expect(r.err, r.err.join("\n")).to.have.length(1);
      expect(r.err[0]).to.match(message);
      expect(r.err[0]).to.not.match(/\n\s+at /);
    });
  }

  it("bad input: unknown commands and options are refused by the parser with one chorus: line and exit 2", async () => {
    for (const args of [["bogus"], ["nodes", "--frobnicate"], ["stake", "1"], ["dispute", "open"]]) {
      const r = await run(args);
      expect(r.code).to.equal(2);
      expect(r.err, args.join(" ")).to.have.length(1);
      expect(r.err[0]).to.match(/^chorus: (unknown command|unknown option|required option|missing required argument)/);
    }
  });

  it("faucet: the devnet deployer funds a newcomer; refused off the devnet with the command to use instead", async () => {
    const newcomer = privateKeyToAccount(generatePrivateKey()).address;
    let r = await run([
      "--network",
      "devnet",
      "--rpc-url",
      rpc.url,
      "--deployments",
      deploymentsFile,
      "faucet",
      newcomer,
      "--amount",
      "300",
    ]);
    expect(r.err, r.err.join("\n")).to.deep.equal([]);
    expect(r.out[0]).to.match(
      new RegExp(`^faucet: sent 300 CHR to ${newcomer} \\(tx 0x[0-9a-f]{64}\\) and 1 ETH for gas; it holds 300 CHR$`),
    );
    expect(await f.token.read.balanceOf([newcomer])).to.equal(parseEther("300"));
    r = await run([...chainArgs(), "faucet", newcomer]);
    expect(r.code).to.equal(1);
    expect(r.err).to.deep.equal([
      "chorus: the faucet only works on the devnet (this is network 'custom'); on a public network CHR comes from its holders: ask an operator or the deployment's treasury, who sends it with `chorus transfer <your address> <amount>`",
    ]);
    r = await run([...chainArgs(), "--key", key, "transfer", newcomer, "12.5"]);
    expect(r.out[0]).to.match(new RegExp(`^sent 12.5 CHR to ${newcomer} \\(tx 0x[0-9a-f]{64}\\); it holds 312.5 CHR$`));
    r = await run([...chainArgs(), "--key", key, "transfer", newcomer, "0.5", "--eth", "--json"]);
    expect(JSON.parse(r.out.join("\n"))).to.include({
      to: newcomer,
      unit: "ETH",
      balance: parseEther("1.5").toString(),
    });
  });

  it("runs from any directory as an installed command would: bin from another cwd, deployments found in ./deployments there", async () => {
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "chorus-cwd-"));
    try {
      await writeDeployments(f.deployments, path.join(elsewhere, "deployments"));
      const bin = fileURLToPath(new URL("../../src/cli/chorus.mjs", import.meta.url));
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [bin, "--network", "custom", "--rpc-url", rpc.url, "node", "info", me, "--json"],
        { cwd: elsewhere, env: { PATH: process.env.PATH, HOME: elsewhere } },
      );
      expect(JSON.parse(stdout)).to.include({ address: me, registered: true });
      const missing = await promisify(execFile)(
        process.execPath,
        [bin, "--network", "custom", "--rpc-url", rpc.url, "--deployments", path.join(elsewhere, "none.json"), "nodes"],
        { cwd: elsewhere },
      ).catch((e) => e);
      expect(missing.code).to.equal(1);
      expect(missing.stderr.trim().split("\n")).to.have.length(1);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it("a closed pipe (chorus ... | head) ends quietly: no stack trace, exit 0", async () => {
    const bin = fileURLToPath(new URL("../../src/cli/chorus.mjs", import.meta.url));
    // The reader is gone before the command writes: its first write fails with EPIPE.
    const child = spawn(process.execPath, [bin, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const code = await new Promise((r) => child.once("close", r));
    expect(stderr).to.not.match(/EPIPE|\n\s+at /);
    expect(code).to.equal(0);
  });

  it("config: the environment supplies the RPC URL and key (CHORUS_*), flags win over it", async () => {
    const env = {
      CHORUS_NETWORK: "custom",
      CHORUS_RPC_URL: rpc.url,
      CHORUS_DEPLOYMENTS: deploymentsFile,
      CHORUS_PRIVATE_KEY: key,
    };
    let r = await run(["node", "info", "--json"], env);
    expect(JSON.parse(r.out.join("\n")).address).to.equal(me);
    r = await run(["--rpc-url", "http://127.0.0.1:9", "nodes"], env);
    expect(r.err[0]).to.match(/unreachable/);
    r = await run(["nodes"], { ...env, CHORUS_RPC_TIMEOUT_MS: "soon" });
    expect(r.err[0]).to.match(/chain.timeoutMs: .*\(from env CHORUS_RPC_TIMEOUT_MS\)/);
  });
});
