/**
 * `chorus`: the command-line client. Each command is thin and calls the modules of src/. Any failure prints
 * one line (`chorus: ...`) on stderr and exits non-zero; never a stack trace.
 */
import { Command, CommanderError } from "commander";
import { ChorusError } from "../core/index.js";
import { CliContext, type GlobalOptions, type Io } from "./context.js";
import { stakeCommand, unstakeCommand, withdrawCommand } from "./commands/node-ops.js";
import { nodeInfoCommand, nodesCommand } from "./commands/node-views.js";
import { askCommand } from "./commands/ask.js";
import { roundShowCommand } from "./commands/round-show.js";
import { evalCommand } from "./commands/eval.js";
import { auditGoldCommand } from "./commands/audit-gold.js";
import { auditCommand } from "./commands/audit.js";
import { epochFinalizeCommand, epochStatusCommand } from "./commands/epoch.js";
import { nodeStartCommand } from "./commands/node-start.js";
import { sourceInfoCommand, sourceLeaveCommand, sourcesCommand, sourceStartCommand } from "./commands/source.js";
import { runStdioMcp } from "../mcp/index.js";
import { suiteListCommand, suitePublishCommand, suiteRevealCommand } from "./commands/suite.js";
import { calibrateCommand } from "./commands/calibrate.js";
import { faucetCommand, transferCommand } from "./commands/funds.js";
import { keyImportCommand, keyListCommand, keyNewCommand } from "./commands/key.js";
import {
  disputeOpenCommand,
  disputeResolveCommand,
  disputeStatusCommand,
  proveEquivocationCommand,
} from "./commands/dispute.js";

const defaultIo: Io = { out: (l) => process.stdout.write(l + "\n"), err: (l) => process.stderr.write(l + "\n") };

export function buildProgram(
  io: Io,
  env: Record<string, string | undefined>,
  status: { code: number } = { code: 0 },
): Command {
  const program = new Command("chorus")
    .description("Chorus: ask a staked swarm of models, ranked by its peers")
    .option("--network <name>", "devnet (default) or custom (with --rpc-url)")
    .option("--rpc-url <url>", "EVM JSON-RPC URL (env CHORUS_RPC_URL)")
    .option(
      "--account <name>",
      "sign with this encrypted keystore (`chorus key list`); password from CHORUS_KEYSTORE_PASSWORD or a prompt",
    )
    .option(
      "--key <hex>",
      "devnet only: private key that signs transactions (elsewhere use --account, or env CHORUS_PRIVATE_KEY)",
    )
    .option("--dev-account <n>", "devnet only: use well-known test account n")
    .option("--deployments <file>", "deployments file (default deployments/<chainId>.json)")
    .option("--config <file>", "JSON config file (env CHORUS_CONFIG)")
    .option("--gateway <url>", "a node's gateway for ask / round show (env CHORUS_GATEWAY_URL)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      // commander's own errors (unknown command or option, missing argument) in the CLI's one-line form
      outputError: (s, write) =>
        write(
          `chorus: ${s
            .trim()
            .replace(/^error: /, "")
            .split("\n")
            .join("; ")}\n`,
        ),
    })
    .showSuggestionAfterError(true);

  const ctx = () => new CliContext(program.opts<GlobalOptions>(), io, env);
  /** A command whose result is the exit code (audit: 3 on a mismatch). */
  const exitWith = async (code: Promise<number>) => {
    status.code = await code;
  };

  program
    .command("stake")
    .description("join the swarm (or add stake) with <amount> CHR")
    .argument("<amount>", "CHR to stake, e.g. 250 or 12.5")
    .requiredOption("--endpoint <url>", "URL where this node serves its peers")
    .option("--metadata <bytes32>", "metadata document digest (IPFS CID as bytes32)")
    .option("--json", "machine-readable output")
    .action((amount: string, opts: Record<string, unknown>) => stakeCommand(ctx(), amount, opts));

  program
    .command("unstake")
    .description("start thawing <amount> CHR of your stake")
    .argument("<amount>", "CHR to unstake")
    .option("--json", "machine-readable output")
    .action((amount: string, opts: Record<string, unknown>) => unstakeCommand(ctx(), amount, opts));

  program
    .command("withdraw")
    .description("withdraw stake whose thawing period is over")
    .option("--json", "machine-readable output")
    .action((opts: Record<string, unknown>) => withdrawCommand(ctx(), opts));

  program
    .command("transfer")
    .description("send <amount> CHR (or ETH for gas with --eth) to <address>")
    .argument("<address>", "recipient")
    .argument("<amount>", "amount, e.g. 250 or 12.5")
    .option("--eth", "send the chain's native currency (gas money) instead of CHR")
    .option("--json", "machine-readable output")
    .action((to: string, amount: string, opts: Record<string, unknown>) => transferCommand(ctx(), to, amount, opts));
  program
    .command("faucet")
    .description("devnet only: CHR (default 1000) and gas for [address] (default: your own account)")
    .argument("[address]", "account to fund")
    .option("--amount <chr>", "CHR to send (default 1000, at most 100000)")
    .option("--json", "machine-readable output")
    .action((address: string | undefined, opts: Record<string, unknown>) => faucetCommand(ctx(), address, opts));

  const key = program
    .command("key")
    .description("signing keys in encrypted JSON keystores (CHORUS_KEYSTORE_DIR, default ~/.chorus/keystore)");
  key
    .command("new")
    .description("make a new key, encrypted with a password")
    .argument("<name>", "its name (use it with --account NAME)")
    .option("--json", "machine-readable output")
    .action((name: string, opts: Record<string, unknown>) => keyNewCommand(ctx(), name, opts));
  key
    .command("import")
    .description("import a private key or a JSON keystore from a file (--from) or a hidden prompt")
    .argument("<name>", "its name")
    .option(
      "--from <file>",
      "file holding a 0x private key or a JSON keystore (CHORUS_KEYSTORE_IMPORT_PASSWORD opens the latter)",
    )
    .option("--json", "machine-readable output")
    .action((name: string, opts: Record<string, unknown>) => keyImportCommand(ctx(), name, opts));
  key
    .command("list")
    .description("the keys and their addresses")
    .option("--json", "machine-readable output")
    .action((opts: Record<string, unknown>) => keyListCommand(ctx(), opts));

  const node = program.command("node").description("one node");
  node
    .command("info")
    .description("stake, status and endpoint of a node (yours by default)")
    .argument("[address]", "node address")
    .option("--json", "machine-readable output")
    .action((address: string | undefined, opts: Record<string, unknown>) => nodeInfoCommand(ctx(), address, opts));

  node
    .command("start")
    .description("run a node: serve peers, the OpenAI-compatible gateway, /ipfs and /explorer")
    .option("--port <n>", "port (env CHORUS_NODE_PORT, default 7001)")
    .option("--host <addr>", "address to bind (env CHORUS_NODE_HOST, default 127.0.0.1)")
    .option("--pretty", "human-readable logs on a terminal (default: JSON lines on stderr)")
    .option(
      "--log-level <level>",
      "fatal, error, warn, info, debug, trace or silent (env CHORUS_LOG_LEVEL, default info)",
    )
    .action((opts: Record<string, unknown>) => nodeStartCommand(ctx(), opts));

  program
    .command("nodes")
    .description("the active set")
    .option("--json", "machine-readable output")
    .action((opts: Record<string, unknown>) => nodesCommand(ctx(), opts));

  const source = program.command("source").description("a data source for retrieval-augmented rounds");
  source
    .command("start")
    .description(
      "serve a corpus: chunk and index it, publish its manifest on IPFS, register in SourceRegistry, answer POST /retrieve",
    )
    .option(
      "--corpus <dir>",
      "directory of .txt, .md/.markdown and .jsonl files, read recursively (env CHORUS_SOURCE_CORPUS)",
    )
    .option("--port <n>", "port (env CHORUS_SOURCE_PORT, default 7101)")
    .option("--host <addr>", "address to bind (env CHORUS_SOURCE_HOST, default 127.0.0.1)")
    .option("--endpoint <url>", "public URL registered on chain (env CHORUS_SOURCE_ENDPOINT, default http://host:port)")
    .option(
      "--skip-bad",
      "skip files it cannot parse (each named in a warning and in the manifest) instead of refusing to start",
    )
    .option("--bm25-only", "rank by BM25 alone, without the sentence-embedding model")
    .action((opts: Record<string, unknown>) => sourceStartCommand(ctx(), opts));
  source
    .command("info")
    .description("scores, endpoint and manifest of a source (yours by default)")
    .argument("[address]", "source address")
    .option("--json", "machine-readable output")
    .action((address: string | undefined, opts: Record<string, unknown>) => sourceInfoCommand(ctx(), address, opts));
  source
    .command("leave")
    .description("leave the source registry (scores are kept)")
    .option("--json", "machine-readable output")
    .action((opts: Record<string, unknown>) => sourceLeaveCommand(ctx(), opts));
  program
    .command("sources")
    .description("the active data sources with their reliability and usefulness")
    .option("--json", "machine-readable output")
    .action((opts: Record<string, unknown>) => sourcesCommand(ctx(), opts));

  program
    .command("ask")
    .description("ask the swarm; prints the winning answer, its round and transcript")
    .argument("<question>", "the question")
    .option("--rag", "let the committee retrieve from data sources")
    .option("--max-tokens <n>", "longest answer, in tokens")
    .option("--json", "the full OpenAI-format response with its chorus object")
    .option("--fallback-gateway <urls>", "comma-separated gateways to try in turn when the first cannot run the round")
    .action((question: string, opts: Record<string, unknown>) => askCommand(ctx(), question, opts, env.CHORUS_API_KEY));

  program
    .command("eval")
    .description(
      "run a multiple-choice data set (JSONL: question, choices, answer) through the gateway: swarm vs majority vs single nodes, 95% bootstrap intervals",
    )
    .requiredOption("--dataset <file>", "JSONL data set, one { question, choices, answer } per line")
    .option(
      "--nodes <urls>",
      "comma-separated OpenAI-compatible backends (base URL .../v1, or model@url) also asked directly",
    )
    .option("--limit <n>", "only the first n questions")
    .option("--max-tokens <n>", "longest answer, in tokens (default 1024)")
    .option("--resamples <n>", "bootstrap resamples (default 2000)")
    .option("--seed <text>", "seed of the bootstrap (default chorus-eval)")
    .option("--json", "every question's result and the summary as JSON")
    .action((opts: Record<string, unknown>) => evalCommand(ctx(), opts, env.CHORUS_API_KEY));

  program
    .command("mcp")
    .description(
      "an MCP server on stdio for AI agents (tools ask, audit_round, node_info, sources) over the configured gateway; key in CHORUS_API_KEY",
    )
    .action(async () => {
      const c = ctx();
      await runStdioMcp({
        gatewayUrl: c.config.gateway.url,
        apiKey: env.CHORUS_API_KEY,
        timeoutMs: c.config.gateway.timeoutMs,
        log: (l) => io.err(l),
      });
    });

  const suite = program
    .command("suite")
    .description("calibration suites (proof of capability): a curator publishes them, nodes take them");
  suite
    .command("publish")
    .description("curator: put the items on IPFS, commit to the answer key on chain, open the windows")
    .requiredOption(
      "--items <file>",
      'JSON reference items: [{"question","better","worse"}, ...] (84..256 items; placed first or second by a fair coin)',
    )
    .option(
      "--pass <n>",
      "correct choices needed to pass (default: 85% or the contract's lowest bar, whichever is higher)",
    )
    .option("--commit-window <duration>", "how long nodes may commit (seconds or 90s/15m/2h/30d; default 1h)")
    .option("--key-window <duration>", "how long after that the curator has to reveal the key (default 1h)")
    .option("--reveal-window <duration>", "how long after that nodes have to reveal (default 1h)")
    .option("--validity <duration>", "how long a pass stays valid (default 30d)")
    .option("--json", "machine-readable output")
    .action((opts: Record<string, unknown>) => suitePublishCommand(ctx(), opts));
  suite
    .command("reveal")
    .description("curator: reveal a suite's key once its submission window has closed (waits for it)")
    .argument("[id]", "suite id (default: the one suite awaiting a key whose key file is here)")
    .option("--key-file <file>", "the key file `suite publish` wrote (default under the data directory)")
    .option("--no-wait", "refuse instead of waiting while commits are still open")
    .option("--poll-ms <n>", "how often to check the chain's clock while waiting (default 2000)")
    .option("--json", "machine-readable output")
    .action((id: string | undefined, opts: Record<string, unknown>) => suiteRevealCommand(ctx(), id, opts));
  suite
    .command("list")
    .description("the suites, newest first, with their phase")
    .option("--json", "machine-readable output")
    .action((opts: Record<string, unknown>) => suiteListCommand(ctx(), opts));

  program
    .command("calibrate")
    .description(
      "node: take the open calibration suite with this node's model (judge, commit, wait for the key, reveal); prints the grade and the pass's expiry",
    )
    .option("--suite <id>", "a suite id (default: the newest one open for commits)")
    .option(
      "--items <file>",
      "the suite's items document (checked against its CID on chain) instead of fetching it over IPFS gateways",
    )
    .option("--poll-ms <n>", "how often to check the chain while waiting for the key (default 5000)")
    .option("--json", "machine-readable grade")
    .action((opts: Record<string, unknown>) => calibrateCommand(ctx(), opts));

  const dispute = program
    .command("dispute")
    .description("contest a settled round (deposit; the arbitrator upholds or rejects)");
  dispute
    .command("open")
    .description("dispute the settled record of a round: deposits, locks each named signer's share of stake")
    .argument("<round>", "round id (0x + 64 hex)")
    .option("--signers <addresses>", "comma-separated signers to hold (default: every signer of the record)")
    .option("--evidence <cid>", "evidence document (CID or bytes32; default: the round's transcript)")
    .option("--json", "machine-readable output")
    .action((id: string, opts: Record<string, unknown>) => disputeOpenCommand(ctx(), id, opts));
  dispute
    .command("status")
    .description("one dispute, or every dispute of a round")
    .argument("<id|round>", "dispute number, or a round id")
    .option("--json", "machine-readable output")
    .action((id: string, opts: Record<string, unknown>) => disputeStatusCommand(ctx(), id, opts));
  for (const [action, what] of [
    ["uphold", "arbitrator: uphold a dispute (voids the round's deltas, slashes the locked stake)"],
    ["reject", "arbitrator: reject a dispute (the deposit goes to the treasury)"],
    ["reclaim", "anyone, after an unresolved dispute's deadline: its deposit goes back to the disputer"],
  ] as const) {
    dispute
      .command(action)
      .description(what)
      .argument("<id>", "dispute number")
      .option("--json", "machine-readable output")
      .action((id: string, opts: Record<string, unknown>) => disputeResolveCommand(ctx(), action, id, opts));
  }
  program
    .command("prove-equivocation")
    .description(
      "prove that a signer of a settled round also signed a conflicting record of it (commits first, so the prover earns the reward)",
    )
    .argument("<round>", "round id of the settled record")
    .requiredOption(
      "--record <file>",
      'JSON {"record": {...}, "signature": "0x..."}: the other record and the signer\'s signature over it',
    )
    .option("--json", "machine-readable output")
    .action((id: string, opts: Record<string, unknown>) => proveEquivocationCommand(ctx(), id, opts));

  const round = program.command("round").description("rounds");
  round
    .command("show")
    .description(
      "result, transcript and settlement of a round (from the gateway that coordinated it, else from the chain and IPFS)",
    )
    .argument("<id>", "round id (0x + 64 hex)")
    .option("--json", "machine-readable output")
    .action((id: string, opts: Record<string, unknown>) => roundShowCommand(ctx(), id, opts));

  const epoch = program
    .command("epoch")
    .description("settled epochs: pending until no round can be voided, then final");
  epoch
    .command("status")
    .description("whether an epoch is final, from when it can be, and the deltas still pending")
    .argument("<n>", "epoch number")
    .option("--json", "machine-readable output")
    .action((n: string, opts: Record<string, unknown>) => epochStatusCommand(ctx(), n, opts));
  epoch
    .command("finalize")
    .description("make an epoch final (anyone may; without <n>: every pending epoch that is due)")
    .argument("[n]", "epoch number")
    .option("--json", "machine-readable output")
    .action((n: string | undefined, opts: Record<string, unknown>) => epochFinalizeCommand(ctx(), n, opts));

  const audit = program
    .command("audit")
    .description(
      "re-derive rounds from chain + IPFS and compare with what the contracts recorded (exit 3 on any mismatch)",
    );
  audit
    .command("round")
    .argument("<id>", "round id (0x + 64 hex)")
    .option("--json", "machine-readable report")
    .action((id: string, opts: Record<string, unknown>) => exitWith(auditCommand(ctx(), "round", id, opts)));
  audit
    .command("epoch")
    .argument("<n>", "epoch number")
    .option("--json", "machine-readable report")
    .action((n: string, opts: Record<string, unknown>) => exitWith(auditCommand(ctx(), "epoch", n, opts)));
  audit
    .command("gold")
    .description("which settled rounds a gold set graded, and each member's grade against the revealed key")
    .argument("<setId>", "GoldRegistry set id")
    .option("--json", "machine-readable report")
    .action((id: string, opts: Record<string, unknown>) => exitWith(auditGoldCommand(ctx(), id, opts)));

  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(
  argv: string[],
  io: Io = defaultIo,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const status = { code: 0 };
  const program = buildProgram(io, env, status);
  try {
    await program.parseAsync(argv);
    return status.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its one line (or the help text).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ChorusError) {
      io.err(`chorus: ${err.message}`);
      return 1;
    }
    io.err(`chorus: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
