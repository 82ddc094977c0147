/**
 * Calibration from the CLI, end to end on the in-process chain: a curator publishes a suite
 * (`chorus suite publish`), a staked node takes it with its own model (`chorus calibrate`, here an
 * OpenAI-compatible test model that can add), the curator reveals the key (`chorus suite reveal`), the node is
 * graded and holds a pass (`chorus node info`), and from the next weight period on it is drawn into committees.
 */
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseEther } from "viem";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { main } from "../../src/cli/main.js";
import { writeDeployments } from "../../deploy/index.js";
import { attemptOf, ChainDirectory, getSuite, openChorusChain } from "../../src/chain/index.js";
import { readPeriodWeights } from "../../src/chain/directory.js";
import { loadConfig } from "../../src/config/index.js";
import { drawFromWeights } from "../../src/round/draw.js";
import { FENCE_CLOSE, FENCE_OPEN } from "../../src/inference/index.js";
import { deployChorus } from "../kit/fixtures.js";
import { startRpcServer, type RpcServer } from "../helpers/rpc-server.js";

interface Run {
  code: number;
  out: string[];
  err: string[];
}

/** The deployer (hardhat account 0) is the CapabilityRegistry curator. */
const CURATOR_KEY = `0x${Buffer.from(mnemonicToAccount("test test test test test test test test test test test junk", { addressIndex: 0 }).getHdKey().privateKey!).toString("hex")}`;

/** An OpenAI-compatible "model" that can add: it judges "What is a + b?" items by the sum. */
async function startAddingModel(): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const fenced = (text: string, label: string) => {
    const start = text.indexOf(`${label}\n${FENCE_OPEN}\n`);
    const from = start + label.length + FENCE_OPEN.length + 2;
    return text.slice(from, text.indexOf(`\n${FENCE_CLOSE}`, from)).trim();
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      calls++;
      const messages = JSON.parse(body).messages as { role: string; content: string }[];
      const user = messages.filter((m) => m.role === "user").at(-1)!.content;
      const [a, b] = fenced(user, "Question:").match(/\d+/g)!.map(Number);
      const verdict = fenced(user, "Answer A:") === String(a + b) ? "A" : "B";
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          model: "adder",
          choices: [
            {
              message: { role: "assistant", content: `A: none. B: none.\nVERDICT: ${verdict}` },
              finish_reason: "stop",
            },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 5 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls: () => calls,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe("chorus suite / calibrate (CLI, end to end)", function () {
  this.timeout(180_000);
  let rpc: RpcServer;
  /** What before() started, closed by after() (only what was started when before() failed). */
  const closers: (() => Promise<unknown>)[] = [];
  let dir: string;
  let deploymentsFile: string;
  let model: Awaited<ReturnType<typeof startAddingModel>>;
  let f: Awaited<ReturnType<typeof deployChorus>>;
  const nodeKey = generatePrivateKey();
  const me = privateKeyToAccount(nodeKey).address;

  const run = async (args: string[], env: Record<string, string> = {}): Promise<Run> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["node", "chorus", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
    return { code, out, err };
  };
  const chainArgs = () => ["--network", "custom", "--rpc-url", rpc.url, "--deployments", deploymentsFile];
  const curatorEnv = () => ({ CHORUS_DATA_DIR: path.join(dir, "curator") });
  const nodeEnv = () => ({
    CHORUS_DATA_DIR: path.join(dir, "node"),
    CHORUS_OPENAI_URL: model.url,
    CHORUS_GATEWAY_URL: "http://127.0.0.1:9",
  });

  before(async () => {
    f = await deployChorus();
    rpc = await startRpcServer();
    closers.push(() => rpc.close());
    model = await startAddingModel();
    closers.push(() => model.close());
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-calibrate-"));
    deploymentsFile = await writeDeployments(f.deployments, dir);
    await f.token.write.transfer([me, parseEther("1000")]);
    await f.deployer.sendTransaction({ to: me, value: parseEther("10") });
    const r = await run([...chainArgs(), "--key", nodeKey, "stake", "250", "--endpoint", "http://127.0.0.1:7001"]);
    expect(r.code, r.err.join("\n")).to.equal(0);
  });
  after(async () => {
    for (const close of closers.splice(0)) await close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a staked node without a pass is told which command gets one, and is not a candidate", async () => {
    const r = await run([...chainArgs(), "node", "info", me]);
    expect(r.out.join("\n")).to.match(/capability {2}no pass: not drawn into committees; run `chorus calibrate`/);
    const cal = await run([...chainArgs(), "--key", nodeKey, "calibrate"], nodeEnv());
    expect(cal.code).to.equal(1);
    expect(cal.err).to.deep.equal([
      `chorus: no calibration suite is open for commits on chain 31337 (\`chorus suite list\` shows them all; a curator publishes one with \`chorus suite publish\`)`,
    ]);
    const chain = await openChorusChain(
      loadConfig({ env: {}, overrides: { network: "custom", chain: { rpcUrl: rpc.url, deploymentsFile } } }),
    );
    expect((await new ChainDirectory(chain).candidates()).map((c) => c.address)).to.not.include(me);
  });

  it("refuses a suite a guesser could pass, naming the contract's bar", async () => {
    const items = path.join(dir, "small.json");
    await writeFile(
      items,
      JSON.stringify(
        Array.from({ length: 90 }, (_, i) => ({
          question: `What is ${i} + 1?`,
          better: String(i + 1),
          worse: String(i + 2),
        })),
      ),
    );
    const r = await run(
      [...chainArgs(), "--key", CURATOR_KEY, "suite", "publish", "--items", items, "--pass", "50"],
      curatorEnv(),
    );
    expect(r.code).to.equal(1);
    expect(r.err).to.deep.equal([
      "chorus: a pass bar of 50 of 90 can be reached by guessing: the contract's lowest bar for 90 items is 89",
    ]);
    const bad = await run(
      [...chainArgs(), "--key", CURATOR_KEY, "suite", "publish", "--items", items, "--commit-window", "soon"],
      curatorEnv(),
    );
    expect(bad.err).to.deep.equal([
      "chorus: --commit-window must be seconds or a number with s, m, h or d (e.g. 600, 15m, 30d), got 'soon'",
    ]);
  });

  it("publish -> calibrate -> reveal -> pass -> the node is drawn", async () => {
    // 120 sums: the adding model gets them all right; the bar is 110 (the contract's lowest for 120 items, above 85%).
    const items = path.join(dir, "items.json");
    await writeFile(
      items,
      JSON.stringify({
        title: "sums",
        items: Array.from({ length: 120 }, (_, i) => ({
          question: `What is ${10 + i} + ${7 * i}?`,
          better: String(10 + 8 * i),
          worse: String(11 + 8 * i + (i % 3)),
        })),
      }),
    );
    const pub = await run(
      [...chainArgs(), "--key", CURATOR_KEY, "suite", "publish", "--items", items, "--commit-window", "10m", "--json"],
      curatorEnv(),
    );
    expect(pub.code, pub.err.join("\n")).to.equal(0);
    const published = JSON.parse(pub.out.join("\n"));
    expect(published).to.include({ suiteId: 1, itemCount: 120, passThreshold: 110 });

    const list = await run([...chainArgs(), "suite", "list"]);
    expect(list.out[0]).to.match(
      /^suite 1: open for commits until .*; 120 items, bar 110, passes valid 30 d; items bagu/,
    );

    // The node takes it, with the items file the curator handed out (checked against the CID on chain).
    const calibrating = run(
      [...chainArgs(), "--key", nodeKey, "calibrate", "--items", published.itemsFile, "--poll-ms", "100"],
      nodeEnv(),
    );
    const chain = await openChorusChain(
      loadConfig({ env: {}, overrides: { network: "custom", chain: { rpcUrl: rpc.url, deploymentsFile } } }),
    );
    for (let i = 0; (await attemptOf(chain, 1, me)).status !== "committed"; i++) {
      if (i > 600) throw new Error("the node never committed");
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(model.calls()).to.equal(120);
    // Revealing early waits for the window; --no-wait refuses instead.
    const early = await run([...chainArgs(), "--key", CURATOR_KEY, "suite", "reveal", "1", "--no-wait"], curatorEnv());
    expect(early.err[0]).to.match(/^chorus: suite 1 takes commitments until .*: reveal after that$/);
    await time.increaseTo((await getSuite(chain, 1)).commitEnd);
    const reveal = await run([...chainArgs(), "--key", CURATOR_KEY, "suite", "reveal"], curatorEnv());
    expect(reveal.code, reveal.err.join("\n")).to.equal(0);
    expect(reveal.out[0]).to.match(/^key of suite 1 revealed \(tx 0x[0-9a-f]{64}\)/);

    const cal = await calibrating;
    expect(cal.code, cal.err.join("\n")).to.equal(0);
    expect(cal.err.join("\n"))
      .to.contain("judged 120/120 [####################] 100%")
      .and.contain("waiting for the curator's key");
    expect(cal.out[0]).to.match(/^suite 1: 120\/120 \(bar 110\): PASSED \(tx 0x/);
    expect(cal.out[1]).to.match(/^pass valid until \d{4}-\d\d-\d\dT.*Z \(suite 1, score 120\)/);

    const info = await run([...chainArgs(), "node", "info", me, "--json"]);
    const view = JSON.parse(info.out.join("\n"));
    expect(view.pass).to.include({ suiteId: 1, score: 120, capable: true });
    const text = await run([...chainArgs(), "node", "info", me]);
    expect(text.out.join("\n"))
      .to.match(/capability {2}valid until .* \(suite 1, score 120\)/)
      .and.match(/reputation {2}0\.2500/);

    // Drawn: a capable candidate now, and in the next weight period it holds every seat of a committee.
    expect((await new ChainDirectory(chain).candidates()).map((c) => c.address)).to.include(me);
    const periodLength = Number(f.deployments.params.periodLength);
    const now = Number((await chain.publicClient.getBlock()).timestamp);
    const period = Math.floor(now / periodLength) + 1;
    await time.increaseTo(period * periodLength + 1);
    const weights = await readPeriodWeights(chain, period);
    expect(weights.candidates.find((c) => c.address === me)?.stake).to.equal(parseEther("250"));
    const committee = drawFromWeights(`0x${"01".repeat(32)}`, `0x${"02".repeat(32)}`, weights);
    expect(committee.members).to.include(me);
  });
});
