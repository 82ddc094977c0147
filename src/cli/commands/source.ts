/**
 * `chorus source start`: runs a data source (loads, chunks and indexes the corpus, publishes its manifest
 * on IPFS, registers or updates it in SourceRegistry, serves signed retrieval) until Ctrl-C / SIGTERM.
 * `chorus sources`, `chorus source info [address]`, `chorus source leave`: the registry's view and exit.
 */
import path from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { formatEther, type Address, type Hex } from "viem";
import { z } from "zod";
import { leaveSource, listSources, requireWallet, sourceBondOf, sourceOf, type SourceView } from "../../chain/index.js";
import { ChorusError } from "../../core/index.js";
import { openArtifactStore } from "../../ipfs/index.js";
import { startSource } from "../../source/index.js";
import type { CliContext } from "../context.js";
import { addressValue, hostFlag, httpUrl, parseArg, parseFlags, portFlag, switchFlag } from "../parse.js";

const StartFlags = z
  .object({
    corpus: z.string().min(1, "must name a directory").optional(),
    port: portFlag.optional(),
    host: hostFlag.optional(),
    endpoint: httpUrl.optional(),
    skipBad: switchFlag,
    bm25Only: switchFlag,
  })
  .strict();

const JsonFlags = z.object({ json: switchFlag }).strict();

export async function sourceStartCommand(ctx: CliContext, raw: Record<string, unknown>): Promise<void> {
  const flags = parseFlags(StartFlags, raw);
  await ctx.resolveKey();
  const config = ctx.config;
  const s = config.source;
  if (flags.corpus !== undefined) s.corpus = flags.corpus;
  if (flags.port !== undefined) s.port = flags.port;
  if (flags.host !== undefined) s.host = flags.host;
  if (flags.endpoint !== undefined) s.endpoint = flags.endpoint;
  if (flags.skipBad) s.skipBad = true;
  if (flags.bm25Only) s.alpha = 0;
  if (!s.corpus)
    throw new ChorusError("INPUT_INVALID", "give the corpus directory: --corpus <dir> (or CHORUS_SOURCE_CORPUS)");
  const key = (config.chain.privateKey ?? ctx.devKey) as Hex | undefined;
  if (!key) {
    throw new ChorusError(
      "KEY_MISSING",
      "a source signs what it serves and registers on chain: set CHORUS_PRIVATE_KEY or pass --key (on the devnet, --dev-account <n>)",
    );
  }
  const account = privateKeyToAccount(key);
  const chain = await ctx.openChain();
  if (requireWallet(chain).account.address !== account.address) {
    throw new ChorusError("INPUT_INVALID", "--key and --dev-account name different accounts: give one");
  }
  const log = (l: string) => ctx.io.err(`[source] ${l}`);
  const dataDir = path.resolve(config.dataDir);
  const store = await openArtifactStore(
    { ...config.ipfs, dir: path.join(dataDir, "sources", account.address.toLowerCase(), "ipfs") },
    { dataDir, log },
  );
  let running;
  try {
    running = await startSource({
      corpusDir: s.corpus,
      skipBad: s.skipBad,
      chunk: { maxChars: s.chunkChars, overlap: s.chunkOverlap },
      account,
      store,
      chain,
      embedder: s.alpha === 0 ? null : undefined,
      alpha: s.alpha === 0 ? undefined : s.alpha,
      host: s.host,
      port: s.port,
      endpoint: s.endpoint,
      bodyLimit: s.bodyLimit,
      maxConcurrent: s.maxConcurrent,
      log,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const r = running.registration;
  ctx.io.out(`source    ${running.address}`);
  ctx.io.out(`url       ${running.url}`);
  ctx.io.out(`endpoint  ${running.endpoint}`);
  ctx.io.out(
    `manifest  ${running.manifestCid} (${running.manifest.files.length} files, ${running.manifest.chunkCount} chunks, ${running.skipped.length} skipped)`,
  );
  ctx.io.out(`registry  ${r?.action ?? "not registered"}${r?.hash ? ` tx ${r.hash}` : ""}`);
  ctx.io.out(`ready ${running.url}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  log("stopping (the source stays registered; `chorus source leave` leaves the registry)");
  await running.close();
  await store.close();
}

export async function sourcesCommand(ctx: CliContext, raw: Record<string, unknown>): Promise<void> {
  const opts = parseFlags(JsonFlags, raw);
  const chain = await ctx.openChain();
  const sources = await listSources(chain);
  if (opts.json) {
    ctx.json(sources);
    return;
  }
  if (sources.length === 0) {
    ctx.io.out("no active sources");
    return;
  }
  ctx.io.out(
    `${sources.length} active source${sources.length === 1 ? "" : "s"}:  address  reliability  usefulness  endpoint  manifest`,
  );
  for (const s of sources)
    ctx.io.out(`  ${s.address}  ${score(s.reliability)}  ${score(s.usefulness)}  ${s.endpoint}  ${s.manifest}`);
}

export async function sourceInfoCommand(
  ctx: CliContext,
  addressRaw: string | undefined,
  raw: Record<string, unknown>,
): Promise<void> {
  const opts = parseFlags(JsonFlags, raw);
  const address = addressRaw === undefined ? undefined : parseArg(addressValue, addressRaw, "address");
  const chain = await ctx.openChain();
  let who: Address;
  if (address) who = address;
  else if (chain.walletClient) who = requireWallet(chain).account.address;
  else
    throw new ChorusError(
      "INPUT_INVALID",
      "give an address, or a key (CHORUS_PRIVATE_KEY / --key) to show your own source",
    );
  const s = await sourceOf(chain, who);
  if (opts.json) ctx.json(s);
  else if (!s.registered) ctx.io.out(`${who}: not a registered source`);
  else ctx.io.out(describe(s));
}

export async function sourceLeaveCommand(ctx: CliContext, raw: Record<string, unknown>): Promise<void> {
  const opts = parseFlags(JsonFlags, raw);
  const chain = await ctx.openChain();
  const { hash } = await leaveSource(chain);
  const me = requireWallet(chain).account.address;
  const bond = await sourceBondOf(chain, me);
  if (opts.json) {
    ctx.json({ left: me, tx: hash, bond: bond.amount.toString(), bondUnlocksAt: bond.unlocksAt });
    return;
  }
  ctx.io.out(
    `left the source registry (scores kept); tx ${hash}; bond ${formatEther(bond.amount)} CHR unlocks ${new Date(bond.unlocksAt * 1000).toISOString()}`,
  );
}

const score = (v: number) => (v / 1_000_000).toFixed(6);

function describe(s: SourceView): string {
  return [
    `source       ${s.address}`,
    `status       ${s.active ? "active" : "left"}`,
    `reliability  ${score(s.reliability)}`,
    `usefulness   ${score(s.usefulness)}`,
    `endpoint     ${s.endpoint}`,
    `manifest     ${s.manifest}`,
    `registered   ${new Date(s.registeredAt * 1000).toISOString()}`,
    `scored       ${s.updatedAt ? new Date(s.updatedAt * 1000).toISOString() : "never"}`,
  ].join("\n");
}
