/**
 * Operator keys in encrypted JSON keystores (the Web3 Secret Storage format ethers and geth write: scrypt +
 * AES-128-CTR), one file per name in the keystore directory (CHORUS_KEYSTORE_DIR, default ~/.chorus/keystore).
 * The password comes from CHORUS_KEYSTORE_PASSWORD or a hidden prompt on a terminal; never from a flag.
 */
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { decryptKeystoreJson, encryptKeystoreJson, isKeystoreJson } from "ethers";
import { getAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ChorusError } from "../core/index.js";

export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function keystoreDir(env: Record<string, string | undefined>): string {
  return env.CHORUS_KEYSTORE_DIR ?? path.join(os.homedir(), ".chorus", "keystore");
}

function fileOf(dir: string, name: string): string {
  if (!NAME.test(name))
    throw new ChorusError(
      "INPUT_INVALID",
      `key name '${name}' must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit)`,
    );
  return path.join(dir, `${name}.json`);
}

/** The password: CHORUS_KEYSTORE_PASSWORD, else a hidden prompt (twice when `confirm`), else an error. */
export async function password(
  env: Record<string, string | undefined>,
  opts: { confirm?: boolean; what: string },
): Promise<string> {
  const fromEnv = env.CHORUS_KEYSTORE_PASSWORD;
  if (fromEnv !== undefined) {
    if (fromEnv.length === 0) throw new ChorusError("INPUT_INVALID", "CHORUS_KEYSTORE_PASSWORD is empty");
    return fromEnv;
  }
  if (!process.stdin.isTTY)
    throw new ChorusError(
      "INPUT_INVALID",
      `${opts.what} needs its password: set CHORUS_KEYSTORE_PASSWORD (no terminal to prompt on)`,
    );
  const first = await hidden(`password for ${opts.what}: `);
  if (!first) throw new ChorusError("INPUT_INVALID", "an empty password is not accepted");
  if (opts.confirm && (await hidden("again: ")) !== first)
    throw new ChorusError("INPUT_INVALID", "the passwords differ");
  return first;
}

/** One line read from the terminal without echo. */
export function hidden(prompt: string): Promise<string> {
  let muted = false;
  const out = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write("\n");
      resolve(answer);
    });
    muted = true;
  });
}

export async function saveKey(
  dir: string,
  name: string,
  privateKey: Hex,
  pw: string,
): Promise<{ file: string; address: Address }> {
  const file = fileOf(dir, name);
  const address = privateKeyToAccount(privateKey).address;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const json = await encryptKeystoreJson({ address, privateKey }, pw);
  try {
    await writeFile(file, json, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new ChorusError("INPUT_INVALID", `a key named '${name}' exists already (${file}): choose another name`);
    throw err;
  }
  await chmod(file, 0o600);
  return { file, address };
}

/** Decrypts keystore `name`; a wrong password is one clear line. */
export async function loadKey(dir: string, name: string, pw: string): Promise<{ privateKey: Hex; address: Address }> {
  const file = fileOf(dir, name);
  let json: string;
  try {
    json = await readFile(file, "utf8");
  } catch {
    throw new ChorusError(
      "INPUT_INVALID",
      `no key named '${name}' in ${dir} (\`chorus key list\` shows them; \`chorus key new ${name}\` or \`chorus key import ${name}\` makes one)`,
    );
  }
  return decrypt(json, pw, `key '${name}'`);
}

export async function decrypt(json: string, pw: string, what: string): Promise<{ privateKey: Hex; address: Address }> {
  if (!isKeystoreJson(json)) throw new ChorusError("INPUT_INVALID", `${what} is not an encrypted JSON keystore`);
  try {
    const k = await decryptKeystoreJson(json, pw);
    return { privateKey: k.privateKey as Hex, address: getAddress(k.address) };
  } catch (err) {
    const msg = (err as Error).message;
    throw new ChorusError(
      "INPUT_INVALID",
      /password/i.test(msg) ? `wrong password for ${what}` : `cannot decrypt ${what}: ${msg}`,
    );
  }
}

export async function listKeys(dir: string): Promise<{ name: string; address: string }[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
  } catch {
    return [];
  }
  const out = [];
  for (const f of names) {
    try {
      const j = JSON.parse(await readFile(path.join(dir, f), "utf8")) as { address?: string };
      out.push({
        name: f.slice(0, -5),
        address: j.address ? getAddress(j.address.startsWith("0x") ? j.address : `0x${j.address}`) : "?",
      });
    } catch {
      out.push({ name: f.slice(0, -5), address: "? (not a keystore)" });
    }
  }
  return out;
}
