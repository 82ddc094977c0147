/** `chorus node start`: runs a node until Ctrl-C (or SIGTERM), then settles what it can and stops. */
import { startConfiguredNode } from "../../node/assemble.js";
import { ChorusError } from "../../core/index.js";
import type { CliContext } from "../context.js";

export async function nodeStartCommand(ctx: CliContext, opts: { port?: string; host?: string }): Promise<void> {
  await ctx.resolveKey();
  const config = ctx.config;
  if (ctx.opts.key !== undefined && config.network !== "devnet") {
    throw new ChorusError("INPUT_INVALID", "--key is only for the devnet (a key on the command line shows in `ps` and shell history); keep it encrypted: `chorus key import NAME --from FILE`, then pass --account NAME");
  }
  if (opts.port !== undefined) {
    if (!/^\d+$/.test(opts.port) || Number(opts.port) > 65535) throw new ChorusError("INPUT_INVALID", `--port must be 0..65535, got '${opts.port}'`);
    config.node.port = Number(opts.port);
  }
  if (opts.host !== undefined) config.node.host = opts.host;
  if (!config.chain.privateKey && ctx.devKey) config.chain.privateKey = ctx.devKey;
  const running = await startConfiguredNode(config, { log: (l) => ctx.io.err(`[node] ${l}`) });
  for (const w of running.warnings) ctx.io.err(`[node] warning: ${w}`);
  ctx.io.out(`ready ${running.node.url}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  ctx.io.err("[node] stopping: settling pending rounds, closing store and model…");
  await running.close();
}
