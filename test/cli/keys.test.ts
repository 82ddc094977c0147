/**
 * Operator keys: `chorus key new|import|list` write standard encrypted JSON keystores, `--account NAME` signs
 * with one (password from CHORUS_KEYSTORE_PASSWORD), and `--key` on the command line is refused off the devnet
 * with the keystore command to use instead.
 */
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { decryptKeystoreJson } from "ethers";
import { parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { main } from "../../src/cli/main.js";
import { writeDeployments } from "../../deploy/index.js";
import { deployChorus } from "../kit/fixtures.js";
import { startRpcServer, type RpcServer } from "../helpers/rpc-server.js";

describe("chorus key (encrypted keystores) and --account", function () {
  this.timeout(120_000);
  let rpc: RpcServer;
  /** What before() started, closed by after(). */
  const closers: (() => Promise<unknown>)[] = [];
  let dir: string;
  let deploymentsFile: string;
  let f: Awaited<ReturnType<typeof deployChorus>>;
  const env = () => ({ CHORUS_KEYSTORE_DIR: path.join(dir, "keys"), CHORUS_KEYSTORE_PASSWORD: "correct horse" });
  const run = async (args: string[], e: Record<string, string> = env()) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["node", "chorus", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, e);
    return { code, out, err };
  };
  const chainArgs = () => ["--network", "custom", "--rpc-url", rpc.url, "--deployments", deploymentsFile];

  before(async () => {
    f = await deployChorus();
    rpc = await startRpcServer();
    closers.push(() => rpc.close());
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-keys-"));
    deploymentsFile = await writeDeployments(f.deployments, dir);
  });
  after(async () => {
    for (const close of closers.splice(0)) await close();
    await rm(dir, { recursive: true, force: true });
  });

  it("key new writes a standard keystore (mode 600) that ethers decrypts; key list shows it; names are unique", async () => {
    const r = await run(["key", "new", "operator", "--json"]);
    expect(r.code, r.err.join("\n")).to.equal(0);
    const made = JSON.parse(r.out.join("\n"));
    const json = await readFile(made.file, "utf8");
    expect(json).to.not.contain("correct horse");
    const k = await decryptKeystoreJson(json, "correct horse");
    expect(k.address).to.equal(made.address);
    expect((await stat(made.file)).mode & 0o777).to.equal(0o600);
    const list = await run(["key", "list"]);
    expect(list.out).to.deep.equal([`operator             ${made.address}`]);
    const again = await run(["key", "new", "operator"]);
    expect(again.err[0]).to.match(/^chorus: a key named 'operator' exists already/);
  });

  it("key import from a file, then --account signs a stake; a wrong password is one line", async () => {
    const key = generatePrivateKey();
    const me = privateKeyToAccount(key).address;
    await f.token.write.transfer([me, parseEther("500")]);
    await f.deployer.sendTransaction({ to: me, value: parseEther("5") });
    const file = path.join(dir, "raw.key");
    await writeFile(file, key + "\n");
    const imp = await run(["key", "import", "node1", "--from", file]);
    expect(imp.out[0]).to.equal(
      `key 'node1' ${me} imported, encrypted in ${path.join(dir, "keys", "node1.json")}; use it with --account node1`,
    );
    const st = await run([...chainArgs(), "--account", "node1", "stake", "150", "--endpoint", "http://127.0.0.1:7001"]);
    expect(st.code, st.err.join("\n")).to.equal(0);
    expect(await f.registry.read.stakeOf([me])).to.equal(parseEther("150"));
    const wrong = await run([...chainArgs(), "--account", "node1", "withdraw"], {
      ...env(),
      CHORUS_KEYSTORE_PASSWORD: "wrong",
    });
    expect(wrong.err).to.deep.equal(["chorus: wrong password for key 'node1'"]);
    const missing = await run([...chainArgs(), "--account", "nobody", "withdraw"]);
    expect(missing.err[0]).to.match(/^chorus: no key named 'nobody' in .* \(`chorus key list` shows them/);
    const none = await run([...chainArgs(), "--account", "node1", "withdraw"], {
      CHORUS_KEYSTORE_DIR: path.join(dir, "keys"),
    });
    expect(none.err).to.deep.equal([
      "chorus: key 'node1' needs its password: set CHORUS_KEYSTORE_PASSWORD (no terminal to prompt on)",
    ]);
    const both = await run([...chainArgs(), "--account", "node1", "--key", key, "nodes"]);
    expect(both.err).to.deep.equal(["chorus: --key and --account each name the signing key: give one"]);
  });

  it("--key is refused on a chain that is not the devnet, naming the keystore commands", async () => {
    // A stand-in RPC for Sepolia (chain 11155111), with a deployments file for it.
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        const { id } = JSON.parse(body);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ jsonrpc: "2.0", id, result: "0xaa36a7" }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const sepolia = path.join(dir, "11155111.json");
      await writeFile(
        sepolia,
        JSON.stringify({ ...f.deployments, chainId: 11155111 }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
      );
      const r = await run([
        "--network",
        "custom",
        "--rpc-url",
        url,
        "--deployments",
        sepolia,
        "--key",
        generatePrivateKey(),
        "nodes",
      ]);
      expect(r.code).to.equal(1);
      expect(r.err).to.deep.equal([
        "chorus: --key is only for the devnet (a key on the command line shows in `ps` and shell history); keep it encrypted: `chorus key import NAME --from FILE`, then pass --account NAME",
      ]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
