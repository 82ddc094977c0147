/**
 * `npm start`: the whole devnet swarm on this machine, every server on 127.0.0.1. Starts a Hardhat node,
 * deploys the contracts with the real deploy scripts, funds and stakes five node identities, calibrates them
 * through the CapabilityRegistry with the node model, starts five node services (peers, OpenAI-compatible
 * gateway, /ipfs, /explorer) and one data source serving the sample corpus in scripts/devnet-corpus
 * (`chorus source start`, test account 6, registered in SourceRegistry), prints how to ask and how to add
 * another source, and stops everything it started (by PID) on Ctrl-C.
 *
 * The model: CHORUS_MODEL (a GGUF file), else CHORUS_OPENAI_URL, else a cached or downloaded default;
 * offline with none of these it stops with one message saying what to set.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { formatEther } from "viem";
import { z } from "zod";
import { ROOT } from "../deploy/index.js";
import { loadConfig } from "../src/config/index.js";
import { isChorusError } from "../src/core/index.js";
import { createInferenceBackend, mindFromBackend } from "../src/inference/index.js";
import { openArtifactStore } from "../src/ipfs/index.js";
import { chooseModel } from "../src/node/model-choice.js";
import { calibrateDevnet } from "./lib/devnet-calibration.js";
import { DEVNET_SETTLEMENT, deployDevnet, devAccount, enterNextPeriod, startHardhatNode } from "./lib/devnet-chain.js";
import { curatorDataDir, startCuratorLoop, type CuratorLoop } from "./lib/devnet-curator.js";
import { startProcess, stopAll } from "./lib/processes.js";

const NODE_COUNT = 5;
/** Test account of the sample data source (0 deploys, 1-5 are the nodes). */
const SOURCE_ACCOUNT = 6;
const SAMPLE_CORPUS = path.join(ROOT, "scripts", "devnet-corpus");
const DevnetEnv = z.object({
  CHORUS_DEVNET_PORT: z.coerce.number().int().min(1).max(65535).default(8545),
  CHORUS_DEVNET_NODE_PORT: z.coerce.number().int().min(1).max(65530).default(7001),
  CHORUS_DEVNET_SOURCE_PORT: z.coerce.number().int().min(1).max(65534).default(7101),
  CHORUS_DEVNET_DIR: z
    .string()
    .min(1)
    .default(path.join(ROOT, ".chorus", "devnet")),
  CHORUS_DEVNET_DEPLOYMENTS_DIR: z.string().min(1).optional(),
  CHORUS_DEVNET_PASS_THRESHOLD: z.coerce.number().int().min(201).max(256).default(218),
  CHORUS_DEVNET_CALIBRATION: z.enum(["reference", "model"]).default("reference"),
  /** Seconds per weight period (a node that passes is drawn from the next one on); the contract takes >= 60. */
  CHORUS_DEVNET_PERIOD: z.coerce.number().int().min(60).max(86_400).default(DEVNET_SETTLEMENT.periodLength),
  /** Seconds each newcomers' calibration suite takes commits, and seconds between two suites (curator loop). */
  CHORUS_DEVNET_SUITE_WINDOW: z.coerce.number().int().min(30).max(86_400).default(600),
  CHORUS_DEVNET_SUITE_EVERY: z.coerce.number().int().min(10).max(86_400).default(120),
});
const parsedEnv = DevnetEnv.safeParse(process.env);
if (!parsedEnv.success) {
  const issue = parsedEnv.error.issues[0];
  process.stderr.write(`[devnet] ${issue.path.join(".")}: ${issue.message}\n`);
  process.exit(1);
}
const env = parsedEnv.data;
if (env.CHORUS_DEVNET_SUITE_EVERY >= env.CHORUS_DEVNET_SUITE_WINDOW) {
  process.stderr.write("[devnet] CHORUS_DEVNET_SUITE_EVERY must be shorter than CHORUS_DEVNET_SUITE_WINDOW\n");
  process.exit(1);
}

const log = (line: string) => process.stdout.write(`[devnet] ${line}\n`);

let stopping = false;
let curator: CuratorLoop | undefined;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log("stopping everything the devnet started…");
    await curator?.stop();
    await stopAll(8000);
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function run(): Promise<void> {
  // The model first: without one there is no swarm, and the user should learn that before anything starts.
  const config = loadConfig();
  const choice = await chooseModel(config.inference, { log });
  log(`model: ${choice.kind === "gguf" ? choice.path : `${choice.baseUrl} (${choice.model ?? "default model"})`}`);

  log("compiling contracts…");
  execFileSync(path.join(ROOT, "node_modules", ".bin", "hardhat"), ["compile", "--quiet"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  log(`starting the chain (Hardhat node) on 127.0.0.1:${env.CHORUS_DEVNET_PORT}…`);
  const rpcUrl = await startHardhatNode(env.CHORUS_DEVNET_PORT, log, env.CHORUS_DEVNET_PERIOD);
  log("deploying contracts and staking the node identities…");
  const nodeUrl = (i: number) => `http://127.0.0.1:${env.CHORUS_DEVNET_NODE_PORT + i - 1}`;
  const devnet = await deployDevnet({
    rpcUrl,
    nodeCount: NODE_COUNT,
    nodeEndpoint: nodeUrl,
    deploymentsDir: env.CHORUS_DEVNET_DEPLOYMENTS_DIR,
    periodLength: env.CHORUS_DEVNET_PERIOD,
    log,
  });

  // Fresh node state for a fresh chain.
  await rm(env.CHORUS_DEVNET_DIR, { recursive: true, force: true });
  const nodeDir = (i: number) => path.join(env.CHORUS_DEVNET_DIR, `node-${i}`);

  log("calibrating the nodes (proof of capability, graded on chain)…");
  const backend = createInferenceBackend(choice, {
    threads: config.inference.threads,
    gpu: config.inference.gpu,
    contextSize: config.inference.contextSize,
  });
  const store = await openArtifactStore({ mode: "embedded" }, { dataDir: nodeDir(1) });
  try {
    const cal = await calibrateDevnet({
      rpcUrl,
      deployments: devnet.deployments,
      curator: devAccount(0),
      nodes: devnet.nodes.map((n) => n.account),
      mind: mindFromBackend(backend),
      putJson: async (doc) => (await store.putJson(doc, { pin: true })).toString(),
      passThreshold: env.CHORUS_DEVNET_PASS_THRESHOLD,
      answers: env.CHORUS_DEVNET_CALIBRATION,
      dataDir: env.CHORUS_DEVNET_DIR,
      log,
    });
    log(
      `calibration scores: ${cal.scores.map((s) => `${s}/256`).join(", ")} (bar ${env.CHORUS_DEVNET_PASS_THRESHOLD}/256; ` +
        (env.CHORUS_DEVNET_CALIBRATION === "reference"
          ? "devnet shortcut: the nodes committed the suite's reference answers, the bundled test model tells stories and cannot judge; CHORUS_DEVNET_CALIBRATION=model uses the model)"
          : "answers from the node model)"),
    );
  } finally {
    await backend.close();
    await store.close();
  }

  await enterNextPeriod(rpcUrl, devnet.deployments, log);

  log("starting the node services…");
  const children: ChildProcess[] = [];
  const ready = devnet.nodes.map(
    (n) =>
      new Promise<string>((resolve, reject) => {
        const recent: string[] = []; // its last lines, to say why it stopped if it exits before it is ready
        const child = startProcess(
          `node ${n.index}`,
          process.execPath,
          [path.join(ROOT, "src", "cli", "chorus.mjs"), "--dev-account", String(n.index), "node", "start"],
          {
            cwd: ROOT,
            env: {
              ...process.env,
              CHORUS_NETWORK: "devnet",
              CHORUS_RPC_URL: rpcUrl,
              CHORUS_DEPLOYMENTS: devnet.deploymentsFile,
              CHORUS_DATA_DIR: nodeDir(n.index),
              CHORUS_NODE_PORT: String(env.CHORUS_DEVNET_NODE_PORT + n.index - 1),
              CHORUS_EPOCH_ROUNDS: process.env.CHORUS_EPOCH_ROUNDS ?? "5",
              // one model on five nodes: each samples with its own seed, so their answers differ and rounds are not ties
              CHORUS_TEMPERATURE: process.env.CHORUS_TEMPERATURE ?? "0.8",
              CHORUS_EPOCH_INTERVAL_MS: process.env.CHORUS_EPOCH_INTERVAL_MS ?? "10000",
              // every devnet node and source listens on 127.0.0.1: the operator allows loopback
              CHORUS_NET_ALLOW_PRIVATE: process.env.CHORUS_NET_ALLOW_PRIVATE ?? "127.0.0.0/8",
            },
            onLine: (l) => {
              recent.push(l);
              if (recent.length > 5) recent.shift();
              if (l.startsWith("ready ")) resolve(l.slice(6));
              else if (/error|warning|failed|excluded|settle/i.test(l))
                process.stdout.write(`[node ${n.index}] ${l}\n`);
            },
          },
        );
        children.push(child);
        child.once("close", (code) =>
          reject(
            new Error(
              `node ${n.index} exited with code ${code} before it was ready${recent.length ? `: ${recent.join(" | ")}` : ""}`,
            ),
          ),
        );
      }),
  );
  const chorusEnv = {
    ...process.env,
    CHORUS_NETWORK: "devnet",
    CHORUS_RPC_URL: rpcUrl,
    CHORUS_DEPLOYMENTS: devnet.deploymentsFile,
  };
  const sourceLines: string[] = [];
  const sourceReady = new Promise<{ url: string; lines: string[] }>((resolve, reject) => {
    const child = startProcess(
      `source ${SOURCE_ACCOUNT}`,
      process.execPath,
      [
        path.join(ROOT, "src", "cli", "chorus.mjs"),
        "--dev-account",
        String(SOURCE_ACCOUNT),
        "source",
        "start",
        "--corpus",
        SAMPLE_CORPUS,
        "--port",
        String(env.CHORUS_DEVNET_SOURCE_PORT),
      ],
      {
        cwd: ROOT,
        env: { ...chorusEnv, CHORUS_DATA_DIR: path.join(env.CHORUS_DEVNET_DIR, `source-${SOURCE_ACCOUNT}`) },
        onLine: (l) => {
          if (l.startsWith("ready ")) resolve({ url: l.slice(6), lines: sourceLines });
          else if (/^(source|manifest|registry) /.test(l)) sourceLines.push(l);
          else if (/error|warning|skipped|failed/i.test(l)) process.stdout.write(`[source ${SOURCE_ACCOUNT}] ${l}\n`);
        },
      },
    );
    children.push(child);
    child.once("exit", (code) =>
      reject(new Error(`the sample data source exited with code ${code} before it was ready`)),
    );
  });
  sourceReady.catch(() => {}); // awaited below; a failure before then must not count as unhandled
  const urls = await Promise.all(ready);
  const source = await sourceReady;
  const sourceField = (name: string) =>
    source.lines
      .find((l) => l.startsWith(name))
      ?.slice(name.length)
      .trim() ?? "?";

  // Newcomers need a suite open for commits: the curator loop keeps one open from now on.
  log(
    `curator loop: a newcomers' calibration suite every ${env.CHORUS_DEVNET_SUITE_EVERY} s, each open for commits ${env.CHORUS_DEVNET_SUITE_WINDOW} s; keys revealed when the commits close`,
  );
  curator = await startCuratorLoop({
    rpcUrl,
    deployments: devnet.deployments,
    curator: devAccount(0),
    dataDir: curatorDataDir(env.CHORUS_DEVNET_DIR),
    ipfsDir: nodeDir(1),
    passThreshold: env.CHORUS_DEVNET_PASS_THRESHOLD,
    commitWindow: env.CHORUS_DEVNET_SUITE_WINDOW,
    every: env.CHORUS_DEVNET_SUITE_EVERY,
    log,
  });

  const gateway = urls[0];
  const lines = [
    "",
    "Chorus devnet swarm is up.",
    `  chain        ${rpcUrl} (chain id 31337); deployments ${path.relative(process.cwd(), devnet.deploymentsFile)}`,
    ...Object.entries(devnet.deployments.contracts).map(([name, c]) => `  ${name.padEnd(18)} ${c.address}`),
    `  nodes        ${devnet.nodes.length} staked, calibrated and serving:`,
    ...devnet.nodes.map((n, i) => `    #${n.index} ${n.account.address}  ${formatEther(n.staked)} CHR  ${urls[i]}`),
    `  source       #${SOURCE_ACCOUNT} ${sourceField("source")}  ${source.url}  manifest ${sourceField("manifest")}`,
    `  explorer     ${gateway}/explorer`,
    "",
    "Ask it (any node's gateway works; OpenAI clients too, base URL " + `${gateway}/v1):`,
    `  curl -s ${gateway}/v1/chat/completions -H 'content-type: application/json' \\`,
    `    -d '{"model":"chorus-swarm","messages":[{"role":"user","content":"Tell me a story about a brave fox."}]}'`,
    `  npx chorus ask "Tell me a story about a brave fox."`,
    "  npx chorus round show <round id>        npx chorus audit round <round id>   (after its epoch settles)",
    "  npx chorus nodes                       npx chorus sources",
    `  npx chorus ask --rag "What does a fox eat?"   (members retrieve from the data sources)`,
    "",
    "Add a data source with one command (a directory of .md, .txt or .jsonl files; any free test account and port):",
    `  npx chorus --dev-account ${SOURCE_ACCOUNT + 1} source start --corpus ${path.relative(process.cwd(), SAMPLE_CORPUS) || "."} --port ${env.CHORUS_DEVNET_SOURCE_PORT + 1}`,
    "",
    "Join as a node with your own model: README.md, section 'Join the devnet as a node' (faucet, key, stake,",
    `  calibrate, start, see it drawn). A calibration suite is open for newcomers at any time (a new one every ${env.CHORUS_DEVNET_SUITE_EVERY} s,`,
    `  ${env.CHORUS_DEVNET_SUITE_WINDOW} s of commits each); a node that passes is drawn from the next weight period (${env.CHORUS_DEVNET_PERIOD} s) on.`,
    "",
    "Press Ctrl-C to stop everything.",
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

run().catch(async (err) => {
  process.stderr.write(`[devnet] ${isChorusError(err) ? "" : "failed: "}${(err as Error).message}\n`);
  await shutdown(1);
});
