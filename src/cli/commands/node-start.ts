/**
 * `chorus node start`: runs a node until Ctrl-C (or SIGTERM), then stops gracefully: new rounds are refused,
 * rounds in flight finish (node.shutdownMs), pending records are settled, stores and model close; a second
 * signal stops at once. Logs are JSON lines on stderr (node.logLevel, CHORUS_LOG_LEVEL, --log-level), or
 * human-readable with --pretty when stderr is a terminal. An unhandled rejection or uncaught exception is
 * logged with its cause and the node keeps serving.
 */
import { z } from "zod";
import { startConfiguredNode } from "../../node/assemble.js";
import { ChorusError } from "../../core/index.js";
import { createLogger, installProcessGuards, LOG_LEVELS } from "../../obs/index.js";
import type { CliContext } from "../context.js";
import { hostFlag, parseFlags, portFlag, switchFlag } from "../parse.js";

const Flags = z
  .object({
    port: portFlag.optional(),
    host: hostFlag.optional(),
    pretty: switchFlag,
    logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).optional(),
  })
  .strict();

export async function nodeStartCommand(ctx: CliContext, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(Flags, raw);
  await ctx.resolveKey();
  const config = ctx.config;
  if (ctx.opts.key !== undefined && config.network !== "devnet") {
    throw new ChorusError(
      "INPUT_INVALID",
      "--key is only for the devnet (a key on the command line shows in `ps` and shell history); keep it encrypted: `chorus key import NAME --from FILE`, then pass --account NAME",
    );
  }
  if (f.port !== undefined) config.node.port = f.port;
  if (f.host !== undefined) config.node.host = f.host;
  if (f.logLevel !== undefined) config.node.logLevel = f.logLevel;
  if (!config.chain.privateKey && ctx.devKey) config.chain.privateKey = ctx.devKey;
  const logger = createLogger({
    level: config.node.logLevel,
    pretty: f.pretty === true && process.stderr.isTTY,
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
