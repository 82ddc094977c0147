/**
 * `chorus node start`: runs a node until Ctrl-C (or SIGTERM), then stops gracefully: new rounds are refused,
 * rounds in flight finish (node.shutdownMs), pending records are settled, stores and model close; a second
 * signal stops at once. Logs are JSON lines on stderr (node.logLevel, CHORUS_LOG_LEVEL, --log-level), or
 * human-readable with --pretty when stderr is a terminal. An unhandled rejection or uncaught exception is
 * logged with its cause and the node keeps serving.
 */
import { startConfiguredNode } from "../../node/assemble.js";
import { ChorusError } from "../../core/index.js";
import { createLogger, installProcessGuards, LOG_LEVELS, type LogLevel } from "../../obs/index.js";
import type { CliContext } from "../context.js";

export async function nodeStartCommand(
  ctx: CliContext,
  opts: { port?: string; host?: string; pretty?: boolean; logLevel?: string },
): Promise<void> {
  await ctx.resolveKey();
  const config = ctx.config;
  if (ctx.opts.key !== undefined && config.network !== "devnet") {
    throw new ChorusError(
      "INPUT_INVALID",
      "--key is only for the devnet (a key on the command line shows in `ps` and shell history); keep it encrypted: `chorus key import NAME --from FILE`, then pass --account NAME",
    );
  }
  if (opts.port !== undefined) {
    if (!/^\d+$/.test(opts.port) || Number(opts.port) > 65535)
      throw new ChorusError("INPUT_INVALID", `--port must be 0..65535, got '${opts.port}'`);
    config.node.port = Number(opts.port);
  }
  if (opts.host !== undefined) config.node.host = opts.host;
  if (opts.logLevel !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(opts.logLevel))
      throw new ChorusError(
        "INPUT_INVALID",
        `--log-level must be one of ${LOG_LEVELS.join(", ")}, got '${opts.logLevel}'`,
      );
    config.node.logLevel = opts.logLevel as LogLevel;
  }
  if (!config.chain.privateKey && ctx.devKey) config.chain.privateKey = ctx.devKey;
  const logger = createLogger({
    level: config.node.logLevel,
    pretty: opts.pretty === true && process.stderr.isTTY === true,
  });
  let running: Awaited<ReturnType<typeof startConfiguredNode>> | undefined;
  const unguard = installProcessGuards(logger, (kind) => running?.node.metrics.faults.inc({ kind }));
  try {
    running = await startConfiguredNode(config, { logger });
    for (const w of running.warnings) logger.warn(w);
    ctx.io.out(`ready ${running.node.url}`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    const hard = () => {
      logger.warn("second signal: stopping at once");
      process.exit(130);
    };
    process.once("SIGINT", hard);
    process.once("SIGTERM", hard);
    logger.info(
      { shutdownMs: config.node.shutdownMs },
      "stopping: refusing new rounds, finishing rounds in flight, settling pending records",
    );
    await running.close();
    logger.info("stopped");
  } finally {
    unguard();
  }
}
