/**
 * `chorus`: the command-line client. Each command is thin and calls the modules of src/. Any failure prints
 * one line (`chorus: ...`) on stderr and exits non-zero; never a stack trace.
 */
import { Command, CommanderError } from "commander";
import { ChorusError } from "../core/index.js";
import { CliContext, type GlobalOptions, type Io } from "./context.js";
import { stakeCommand, unstakeCommand, withdrawCommand } from "./commands/node-ops.js";
import { nodeInfoCommand, nodesCommand } from "./commands/node-views.js";
import { askCommand, roundShowCommand } from "./commands/ask.js";
import { auditCommand } from "./commands/audit.js";
import { epochFinalizeCommand, epochStatusCommand } from "./commands/epoch.js";
import { nodeStartCommand } from "./commands/node-start.js";
import { sourceInfoCommand, sourceLeaveCommand, sourcesCommand, sourceStartCommand } from "./commands/source.js";
import { runStdioMcp } from "../mcp/index.js";

const defaultIo: Io = { out: (l) => process.stdout.write(l + "\n"), err: (l) => process.stderr.write(l + "\n") };

export function buildProgram(io: Io, env: Record<string, string | undefined>, status: { code: number } = { code: 0 }): Command {
  const program = new Command("chorus")
    .description("Chorus: ask a staked swarm of models, ranked by its peers")
    .option("--network <name>", "devnet (default) or custom (with --rpc-url)")
    .option("--rpc-url <url>", "EVM JSON-RPC URL (env CHORUS_RPC_URL)")
    .option("--key <hex>", "private key that signs transactions (env CHORUS_PRIVATE_KEY)")
    .option("--dev-account <n>", "devnet only: use well-known test account n")
    .option("--deployments <file>", "deployments file (default deployments/<chainId>.json)")
    .option("--config <file>", "JSON config file (env CHORUS_CONFIG)")
    .option("--gateway <url>", "a node's gateway for ask / round show (env CHORUS_GATEWAY_URL)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showSuggestionAfterError(true);

  const ctx = () => new CliContext(program.opts<GlobalOptions>(), io, env);

  program
    .command("stake")
    .description("join the swarm (or add stake) with <amount> CHR")
    .argument("<amount>", "CHR to stake, e.g. 250 or 12.5")
    .requiredOption("--endpoint <url>", "URL where this node serves its peers")
    .option("--metadata <bytes32>", "metadata document digest (IPFS CID as bytes32)")
    .option("--json", "machine-readable output")
    .action((amount, opts) => stakeCommand(ctx(), amount, opts));

  program
    .command("unstake")
    .description("start thawing <amount> CHR of your stake")
    .argument("<amount>", "CHR to unstake")
    .option("--json", "machine-readable output")
    .action((amount, opts) => unstakeCommand(ctx(), amount, opts));

  program
    .command("withdraw")
    .description("withdraw stake whose thawing period is over")
    .option("--json", "machine-readable output")
    .action((opts) => withdrawCommand(ctx(), opts));

  const node = program.command("node").description("one node");
  node
    .command("info")
    .description("stake, status and endpoint of a node (yours by default)")
    .argument("[address]", "node address")
    .option("--json", "machine-readable output")
    .action((address, opts) => nodeInfoCommand(ctx(), address, opts));

  node
    .command("start")
    .description("run a node: serve peers, the OpenAI-compatible gateway, /ipfs and /explorer")
    .option("--port <n>", "port (env CHORUS_NODE_PORT, default 7001)")
    .option("--host <addr>", "address to bind (env CHORUS_NODE_HOST, default 127.0.0.1)")
    .option("--pretty", "human-readable logs on a terminal (default: JSON lines on stderr)")
    .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent (env CHORUS_LOG_LEVEL, default info)")
    .action((opts) => nodeStartCommand(ctx(), opts));

  program
    .command("nodes")
    .description("the active set")
    .option("--json", "machine-readable output")
    .action((opts) => nodesCommand(ctx(), opts));

  const source = program.command("source").description("a data source for retrieval-augmented rounds");
  source
    .command("start")
    .description("serve a corpus: chunk and index it, publish its manifest on IPFS, register in SourceRegistry, answer POST /retrieve")
    .option("--corpus <dir>", "directory of .txt, .md/.markdown and .jsonl files, read recursively (env CHORUS_SOURCE_CORPUS)")
    .option("--port <n>", "port (env CHORUS_SOURCE_PORT, default 7101)")
    .option("--host <addr>", "address to bind (env CHORUS_SOURCE_HOST, default 127.0.0.1)")
    .option("--endpoint <url>", "public URL registered on chain (env CHORUS_SOURCE_ENDPOINT, default http://host:port)")
    .option("--skip-bad", "skip files it cannot parse (each named in a warning and in the manifest) instead of refusing to start")
    .option("--bm25-only", "rank by BM25 alone, without the sentence-embedding model")
    .action((opts) => sourceStartCommand(ctx(), opts));
  source
    .command("info")
    .description("scores, endpoint and manifest of a source (yours by default)")
    .argument("[address]", "source address")
    .option("--json", "machine-readable output")
    .action((address, opts) => sourceInfoCommand(ctx(), address, opts));
  source
    .command("leave")
    .description("leave the source registry (scores are kept)")
    .option("--json", "machine-readable output")
    .action((opts) => sourceLeaveCommand(ctx(), opts));
  program
    .command("sources")
    .description("the active data sources with their reliability and usefulness")
    .option("--json", "machine-readable output")
    .action((opts) => sourcesCommand(ctx(), opts));

  program
    .command("ask")
    .description("ask the swarm; prints the winning answer, its round and transcript")
    .argument("<question>", "the question")
    .option("--rag", "let the committee retrieve from data sources")
    .option("--max-tokens <n>", "longest answer, in tokens")
    .option("--json", "the full OpenAI-format response with its chorus object")
    .option("--fallback-gateway <urls>", "comma-separated gateways to try in turn when the first cannot run the round")
    .action((question, opts) => askCommand(ctx(), question, { ...opts, apiKey: env.CHORUS_API_KEY }));

  program
    .command("mcp")
    .description("an MCP server on stdio for AI agents (tools ask, audit_round, node_info, sources) over the configured gateway; key in CHORUS_API_KEY")
    .action(async () => {
      const c = ctx();
      await runStdioMcp({ gatewayUrl: c.config.gateway.url, apiKey: env.CHORUS_API_KEY, timeoutMs: c.config.gateway.timeoutMs, log: (l) => io.err(l) });
    });

  const round = program.command("round").description("rounds");
  round
    .command("show")
    .description("result, transcript and settlement of a round")
    .argument("<id>", "round id (0x + 64 hex)")
    .option("--json", "machine-readable output")
    .action((id, opts) => roundShowCommand(ctx(), id, opts));

  const epoch = program.command("epoch").description("settled epochs: pending until no round can be voided, then final");
  epoch
    .command("status")
    .description("whether an epoch is final, from when it can be, and the deltas still pending")
    .argument("<n>", "epoch number")
    .option("--json", "machine-readable output")
    .action((n, opts) => epochStatusCommand(ctx(), n, opts));
  epoch
    .command("finalize")
    .description("make an epoch final (anyone may; without <n>: every pending epoch that is due)")
    .argument("[n]", "epoch number")
    .option("--json", "machine-readable output")
    .action((n, opts) => epochFinalizeCommand(ctx(), n, opts));

  const audit = program.command("audit").description("re-derive rounds from chain + IPFS and compare with what the contracts recorded (exit 3 on any mismatch)");
  audit
    .command("round")
    .argument("<id>", "round id (0x + 64 hex)")
    .option("--json", "machine-readable report")
    .action(async (id, opts) => void (status.code = await auditCommand(ctx(), "round", id, opts)));
  audit
    .command("epoch")
    .argument("<n>", "epoch number")
    .option("--json", "machine-readable report")
    .action(async (n, opts) => void (status.code = await auditCommand(ctx(), "epoch", n, opts)));

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
    io.err(`chorus: unexpected error: ${(err as Error)?.message ?? String(err)}`);
    return 1;
  }
}
