/**
 * `chorus suite publish|reveal|list`: a curator's calibration suites (CapabilityRegistry). `publish` puts the
 * items on IPFS (the configured store, so the curator's node serves them at /ipfs) and writes the document to a
 * file too, for nodes that take it with `chorus calibrate --items FILE`; the key and its salt stay in a private
 * file under the data directory until `reveal`.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import {
  buildSuite,
  iso,
  keyFilePath,
  parseItemsFile,
  publishSuiteDocument,
  revealKeyWhenOpen,
} from "../../capability/index.js";
import { chainTime, listSuites, suitePhase, type SuiteView } from "../../chain/calibration.js";
import { ChorusError } from "../../core/index.js";
import { bytes32ToCid, openArtifactStore } from "../../ipfs/index.js";
import type { CliContext } from "../context.js";
import { durationFlag, parseFlags, wholeFlag } from "../parse.js";

const PublishFlags = z
  .object({
    items: z.string().min(1, "give the reference items file"),
    pass: wholeFlag(1, 256).optional(),
    commitWindow: durationFlag(10, 30 * 86400).default(3600),
    keyWindow: durationFlag(10, 30 * 86400).default(3600),
    revealWindow: durationFlag(10, 30 * 86400).default(3600),
    validity: durationFlag(60, 365 * 86400).default(30 * 86400),
    json: z.boolean().optional(),
  })
  .strict();

export async function suitePublishCommand(ctx: CliContext, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(PublishFlags, raw);
  let text: string;
  try {
    text = await readFile(f.items, "utf8");
  } catch {
    throw new ChorusError("INPUT_INVALID", `--items: cannot read ${f.items}`);
  }
  const { title, items } = parseItemsFile(text, f.items);
  const chain = await ctx.openChain();
  const { suite, key } = buildSuite(title, items);
  const dataDir = path.resolve(ctx.config.dataDir);
  const store = await openArtifactStore({ ...ctx.config.ipfs }, { dataDir });
  let published;
  try {
    published = await publishSuiteDocument(chain, {
      suite,
      key,
      passThreshold: f.pass,
      windows: { commit: f.commitWindow, keyReveal: f.keyWindow, reveal: f.revealWindow, validity: f.validity },
      dataDir,
      putJson: async (doc) => (await store.putJson(doc, { pin: true })).toString(),
    });
  } finally {
    await store.close();
  }
  const itemsFile = keyFilePath(dataDir, chain.chainId, published.suiteId).replace(/\.key\.json$/, ".items.json");
  await writeFile(itemsFile, JSON.stringify(suite));
  const s = published.suite;
  if (f.json) {
    ctx.json({
      ...published,
      suite: undefined,
      itemsFile,
      commitEnd: s.commitEnd,
      keyRevealEnd: s.keyRevealEnd,
      revealEnd: s.revealEnd,
      validity: s.validity,
    });
    return;
  }
  ctx.io.out(`suite ${published.suiteId} published (tx ${published.hash})`);
  ctx.io.out(`  items     ${published.itemCount} at ipfs ${published.itemsCid} (also ${itemsFile})`);
  ctx.io.out(`  pass bar  ${published.passThreshold} of ${published.itemCount}`);
  ctx.io.out(
    `  commits   until ${iso(s.commitEnd)}; key reveal until ${iso(s.keyRevealEnd)}; node reveals until ${iso(s.revealEnd)}`,
  );
  ctx.io.out(`  key       ${published.keyFile} (private: keep it until \`chorus suite reveal ${published.suiteId}\`)`);
  ctx.io.out(`nodes take it with: chorus calibrate --suite ${published.suiteId}`);
}

const RevealFlags = z
  .object({
    keyFile: z.string().min(1).optional(),
    wait: z.boolean().default(true),
    pollMs: wholeFlag(50, 600_000).default(2000),
    json: z.boolean().optional(),
  })
  .strict();

export async function suiteRevealCommand(
  ctx: CliContext,
  idRaw: string | undefined,
  raw: Record<string, unknown>,
): Promise<void> {
  const f = parseFlags(RevealFlags, raw);
  const chain = await ctx.openChain();
  const dataDir = path.resolve(ctx.config.dataDir);
  let id: number;
  if (idRaw !== undefined)
    id = parseFlags(z.object({ suite: wholeFlag(1, Number.MAX_SAFE_INTEGER) }), { suite: idRaw }).suite;
  else {
    const now = await chainTime(chain);
    const mine = (await listSuites(chain)).filter((s) => !s.keyRevealed && now < s.keyRevealEnd);
    const found = [];
    for (const s of mine) if (await readable(keyFilePath(dataDir, chain.chainId, s.id))) found.push(s.id);
    if (found.length !== 1) {
      throw new ChorusError(
        "INPUT_INVALID",
        found.length === 0
          ? `no suite awaiting a key has its key file under ${dataDir}/curator: give the suite id (and --key-file)`
          : `suites ${found.join(", ")} await their keys: give one id`,
      );
    }
    id = found[0];
  }
  const keyFile = f.keyFile ?? keyFilePath(dataDir, chain.chainId, id);
  const r = await revealKeyWhenOpen(chain, {
    suiteId: id,
    keyFile,
    wait: f.wait,
    pollMs: f.pollMs,
    onWait: (end, now) =>
      ctx.io.err(
        `chorus: waiting until the submission window of suite ${id} closes at ${iso(end)} (chain time ${iso(now)})…`,
      ),
  });
  if (f.json) {
    ctx.json({ suiteId: id, txHash: r.hash, revealEnd: r.suite.revealEnd });
    return;
  }
  ctx.io.out(`key of suite ${id} revealed (tx ${r.hash}); nodes reveal and are graded until ${iso(r.suite.revealEnd)}`);
}

async function readable(file: string): Promise<boolean> {
  try {
    await readFile(file);
    return true;
  } catch {
    return false;
  }
}

const PHASE_TEXT: Record<ReturnType<typeof suitePhase>, string> = {
  commit: "open for commits",
  "awaiting-key": "awaiting the curator's key",
  reveal: "key out: nodes reveal",
  closed: "closed",
  void: "void (key never revealed)",
};

export function describeSuite(s: SuiteView, now: number): string {
  const phase = suitePhase(s, now);
  const until =
    phase === "commit"
      ? ` until ${iso(s.commitEnd)}`
      : phase === "awaiting-key"
        ? ` until ${iso(s.keyRevealEnd)}`
        : phase === "reveal"
          ? ` until ${iso(s.revealEnd)}`
          : "";
  return `suite ${s.id}: ${PHASE_TEXT[phase]}${until}; ${s.itemCount} items, bar ${s.passThreshold}, passes valid ${Math.round(s.validity / 86400)} d; items ${bytes32ToCid(s.itemsCid).toString()}`;
}

export async function suiteListCommand(ctx: CliContext, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(z.object({ json: z.boolean().optional() }).strict(), raw);
  const chain = await ctx.openChain();
  const [suites, now] = await Promise.all([listSuites(chain), chainTime(chain)]);
  if (f.json) {
    ctx.json(suites.map((s) => ({ ...s, itemsCid: bytes32ToCid(s.itemsCid).toString(), phase: suitePhase(s, now) })));
    return;
  }
  if (suites.length === 0) {
    ctx.io.out(
      `no calibration suite on chain ${chain.chainId} yet (a curator publishes one with \`chorus suite publish --items FILE\`)`,
    );
    return;
  }
  for (const s of suites) ctx.io.out(describeSuite(s, now));
}
