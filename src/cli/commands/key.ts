/** `chorus key new|import|list`: operator keys in encrypted JSON keystores (see ../keystore.ts). */
import { readFile } from "node:fs/promises";
import { generatePrivateKey } from "viem/accounts";
import { z } from "zod";
import { ChorusError } from "../../core/index.js";
import type { CliContext } from "../context.js";
import { decrypt, hidden, keystoreDir, listKeys, password, saveKey } from "../keystore.js";
import { parseFlags } from "../parse.js";

export async function keyNewCommand(ctx: CliContext, name: string, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(z.object({ json: z.boolean().optional() }).strict(), raw);
  const pw = await password(ctx.env, { confirm: true, what: `new key '${name}'` });
  const r = await saveKey(keystoreDir(ctx.env), name, generatePrivateKey(), pw);
  if (f.json) {
    ctx.json({ name, ...r });
    return;
  }
  ctx.io.out(`key '${name}' ${r.address} saved encrypted in ${r.file}; use it with --account ${name}`);
}

/**
 * Imports a private key (read from a file, or typed at a hidden prompt; never from a flag) or an existing JSON
 * keystore (its own password decrypts it; it is re-encrypted with the new one).
 */
export async function keyImportCommand(ctx: CliContext, name: string, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(z.object({ from: z.string().min(1).optional(), json: z.boolean().optional() }).strict(), raw);
  let secret: string;
  if (f.from) {
    try {
      secret = (await readFile(f.from, "utf8")).trim();
    } catch {
      throw new ChorusError("INPUT_INVALID", `--from: cannot read ${f.from}`);
    }
  } else if (process.stdin.isTTY) secret = (await hidden("private key (0x + 64 hex): ")).trim();
  else
    throw new ChorusError(
      "INPUT_INVALID",
      "give the key's file with --from FILE (a 0x private key or a JSON keystore), or run in a terminal to type it",
    );
  let key: `0x${string}`;
  if (secret.startsWith("{")) {
    const old =
      ctx.env.CHORUS_KEYSTORE_IMPORT_PASSWORD ?? (await password(ctx.env, { what: `the keystore ${f.from}` }));
    key = (await decrypt(secret, old, `keystore ${f.from}`)).privateKey;
  } else if (/^(0x)?[0-9a-fA-F]{64}$/.test(secret))
    key = (secret.startsWith("0x") ? secret : `0x${secret}`) as `0x${string}`;
  else throw new ChorusError("INPUT_INVALID", "that is neither a private key (0x + 64 hex digits) nor a JSON keystore");
  const pw = await password(ctx.env, { confirm: true, what: `key '${name}'` });
  const r = await saveKey(keystoreDir(ctx.env), name, key, pw);
  if (f.json) {
    ctx.json({ name, ...r });
    return;
  }
  ctx.io.out(`key '${name}' ${r.address} imported, encrypted in ${r.file}; use it with --account ${name}`);
}

export async function keyListCommand(ctx: CliContext, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(z.object({ json: z.boolean().optional() }).strict(), raw);
  const dir = keystoreDir(ctx.env);
  const keys = await listKeys(dir);
  if (f.json) {
    ctx.json(keys);
    return;
  }
  if (keys.length === 0) {
    ctx.io.out(`no keys in ${dir} (\`chorus key new NAME\` makes one)`);
    return;
  }
  for (const k of keys) ctx.io.out(`${k.name.padEnd(20)} ${k.address}`);
}
