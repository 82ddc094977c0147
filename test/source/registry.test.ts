/**
 * A data source on the in-process chain: registration and manifest updates reach SourceRegistry and read
 * back through listSources / sourceOf; reverts decode to the contract's custom error; and the real CLI
 * (`chorus source start` in a child process over JSON-RPC) registers, serves, lists and stops on SIGTERM.
 */
import { expect } from "chai";
import hre from "hardhat";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { custom, keccak256, parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { writeDeployments } from "../../deploy/index.js";
import {
  connectChain,
  ensureSource,
  leaveSource,
  listSources,
  registerSource,
  sourceOf,
  type ChorusChain,
} from "../../src/chain/index.js";
import { main } from "../../src/cli/main.js";
import { ChorusError } from "../../src/core/index.js";
import { createMemoryStore } from "../../src/ipfs/index.js";
import { startSource } from "../../src/source/index.js";
import { deployChorus } from "../kit/fixtures.js";
import { startRpcServer, type RpcServer } from "../helpers/rpc-server.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("source / SourceRegistry and the CLI", function () {
  this.timeout(120_000);
  let f: Awaited<ReturnType<typeof deployChorus>>;
  let dir: string;
  const key = keccak256(toHex("chorus-test-source-registry"));
  const account = privateKeyToAccount(key);
  let chain: ChorusChain;

  before(async () => {
    f = await deployChorus();
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-source-reg-"));
    await hre.network.provider.send("hardhat_setBalance", [account.address, toHex(parseEther("100"))]);
    await f.token.write.transfer([account.address, parseEther("1000")]); // registering pulls a bond
    const clients = await connectChain({
      rpcUrl: "hardhat-in-process",
      transport: custom(hre.network.provider),
      account,
    });
    chain = { ...clients, deployments: f.deployments };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("registers on start, leaves the chain alone on an unchanged restart, updates when the corpus changes", async () => {
    const corpus = path.join(dir, "corpus");
    await mkdir(corpus, { recursive: true });
    await writeFile(path.join(corpus, "a.md"), "# Owls\n\nOwls hunt at night.");
    const store = createMemoryStore();
    const start = () =>
      startSource({ corpusDir: corpus, account, store, chain, embedder: null, endpoint: "http://127.0.0.1:7101" });

    let s = await start();
    expect(s.registration?.action).to.equal("registered");
    expect(s.registration?.hash).to.match(/^0x[0-9a-f]{64}$/);
    const listed = await listSources(chain);
    expect(listed.map((x) => x.address)).to.deep.equal([account.address]);
    expect(listed[0]).to.include({
      endpoint: "http://127.0.0.1:7101",
      reliability: 500_000,
      usefulness: 500_000,
      active: true,
      manifest: s.manifestCid,
    });
    const first = s.manifestCid;
    await s.close();

    s = await start();
    expect(s.registration).to.deep.equal({ action: "unchanged", hash: undefined });
    expect(s.manifestCid).to.equal(first);
    await s.close();

    await writeFile(path.join(corpus, "b.txt"), "Bats also fly at night.");
    s = await start();
    expect(s.registration?.action).to.equal("updated");
    expect(s.manifestCid).to.not.equal(first);
    expect((await sourceOf(chain, account.address)).manifest).to.equal(s.manifestCid);
    await s.close();
    await store.close();
  });

  it("decodes reverts to the registry's custom error, leaves, and comes back with its scores", async () => {
    const manifest = (await sourceOf(chain, account.address)).manifest!;
    const err = await registerSource(chain, { endpoint: "http://127.0.0.1:7101", manifestCid: manifest }).then(
      () => undefined,
      (e) => e,
    );
    expect(err).to.be.instanceOf(ChorusError);
    expect(err.code).to.equal("CHAIN_REVERTED");
    expect(err.message).to.contain("SourceRegistryAlreadyActive").and.contain(account.address);
    const bond = await f.token.read.balanceOf([f.deployments.contracts.SourceRegistry.address]);
    expect(bond).to.equal(parseEther("100")); // the bond registering pulled
    await leaveSource(chain);
    expect(await listSources(chain)).to.deep.equal([]);
    expect(
      (
        await leaveSource(chain).then(
          () => undefined,
          (e) => e,
        )
      ).code,
    ).to.equal("NOT_REGISTERED");
    const back = await ensureSource(chain, { endpoint: "http://127.0.0.1:7102", manifestCid: manifest });
    expect(back.action).to.equal("reactivated");
    // coming back re-locks the same bond: nothing more pulled
    expect(await f.token.read.balanceOf([f.deployments.contracts.SourceRegistry.address])).to.equal(bond);
    expect(back.source).to.include({ active: true, endpoint: "http://127.0.0.1:7102", reliability: 500_000 });
  });

  describe("the CLI", () => {
    let rpc: RpcServer;
    let deploymentsFile: string;
    let corpus: string;
    const cliKey = keccak256(toHex("chorus-test-source-cli"));
    const cliAddress = privateKeyToAccount(cliKey).address;
    const chainArgs = () => ["--network", "custom", "--rpc-url", rpc.url, "--deployments", deploymentsFile];
    const run = async (args: string[], env: Record<string, string> = {}) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(["node", "chorus", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
      return { code, out, err };
    };

    before(async () => {
      rpc = await startRpcServer();
      deploymentsFile = await writeDeployments(f.deployments, dir);
      corpus = path.join(dir, "cli-corpus");
      await mkdir(corpus, { recursive: true });
      await writeFile(
        path.join(corpus, "facts.jsonl"),
        '{"id":"sun","text":"The Sun is a star at the centre of the solar system."}\n',
      );
      await hre.network.provider.send("hardhat_setBalance", [cliAddress, toHex(parseEther("100"))]);
      await f.token.write.transfer([cliAddress, parseEther("1000")]); // registering pulls a bond
    });
    after(async () => {
      await rpc.close();
    });

    it("refuses bad flags and bad corpora with one chorus: line", async () => {
      let r = await run([...chainArgs(), "--key", cliKey, "source", "start"]);
      expect(r.code).to.equal(1);
      expect(r.err).to.deep.equal(["chorus: give the corpus directory: --corpus <dir> (or CHORUS_SOURCE_CORPUS)"]);
      r = await run([...chainArgs(), "--key", cliKey, "source", "start", "--corpus", corpus, "--port", "http"]);
      expect(r.err).to.deep.equal(["chorus: --port must be 0..65535, got 'http'"]);
      r = await run([...chainArgs(), "source", "start", "--corpus", corpus]);
      expect(r.err[0]).to.match(/^chorus: a source signs what it serves/);
      r = await run([...chainArgs(), "--key", cliKey, "source", "start", "--corpus", corpus, "--endpoint", "ftp://x"]);
      expect(r.err).to.deep.equal(["chorus: --endpoint must be an http(s) URL, got 'ftp://x'"]);
      const bad = path.join(dir, "bad-corpus");
      await mkdir(bad, { recursive: true });
      await writeFile(path.join(bad, "ok.txt"), "fine");
      await writeFile(path.join(bad, "broken.jsonl"), "{\n");
      r = await run([...chainArgs(), "--key", cliKey, "source", "start", "--corpus", bad, "--bm25-only"], {
        CHORUS_DATA_DIR: path.join(dir, "data-bad"),
      });
      expect(r.code).to.equal(1);
      expect(r.err.at(-1)).to.match(/^chorus: broken\.jsonl:1: not valid JSON/);
      r = await run([...chainArgs(), "sources", "--bogus"]);
      expect(r.code).to.equal(2);
    });

    it("source start registers and serves; sources lists it; SIGTERM by PID stops it", async () => {
      const child: ChildProcess = spawn(
        process.execPath,
        [
          "src/cli/chorus.mjs",
          ...chainArgs(),
          "--key",
          cliKey,
          "source",
          "start",
          "--corpus",
          corpus,
          "--port",
          "0",
          "--bm25-only",
        ],
        {
          cwd: ROOT,
          env: { ...process.env, CHORUS_DATA_DIR: path.join(dir, "data") },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const stderr: string[] = [];
      createInterface({ input: child.stderr! }).on("line", (l) => stderr.push(l));
      const out: string[] = [];
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout! }).on("line", (l) => {
            out.push(l);
            const m = /^ready (http:\/\/127\.0\.0\.1:\d+)$/.exec(l);
            if (m) resolve(m[1]);
          });
          void exited.then((code) =>
            reject(new Error(`chorus source start exited with ${code}: ${stderr.join("\n")}`)),
          );
        });
        expect(out[0]).to.equal(`source    ${cliAddress}`);
        expect(out.find((l) => l.startsWith("registry"))).to.match(/^registry {2}registered tx 0x[0-9a-f]{64}$/);
        const manifestCid = /^manifest {2}(\S+) \(1 files, 1 chunks, 0 skipped\)$/.exec(
          out.find((l) => l.startsWith("manifest"))!,
        )![1];
        const health = await (await fetch(`${url}/health`)).json();
        expect(health).to.include({ ok: true, address: cliAddress, manifestCid });

        const r = await run([...chainArgs(), "sources", "--json"]);
        expect(r.code).to.equal(0);
        const mine = JSON.parse(r.out.join("\n")).find((s: { address: string }) => s.address === cliAddress);
        expect(mine).to.include({ endpoint: url, manifest: manifestCid, reliability: 500_000, usefulness: 500_000 });
        const text = await run([...chainArgs(), "sources"]);
        expect(text.out.join("\n")).to.contain(`${cliAddress}  0.500000  0.500000  ${url}  ${manifestCid}`);
        const info = await run([...chainArgs(), "source", "info", cliAddress]);
        expect(info.out.join("\n")).to.contain("status       active").and.contain(`manifest     ${manifestCid}`);
      } finally {
        child.kill("SIGTERM");
      }
      expect(await exited).to.equal(0);
      expect(stderr.join("\n")).to.contain("[source] stopping");
    });
  });
});
