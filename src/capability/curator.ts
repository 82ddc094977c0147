/**
 * The curator's side of a calibration suite: turn a file of reference items (a question, the better answer and
 * a worse one) into the suite document with the better answer placed first or second by a fair coin (so the
 * key is uniform, as the contract's guessing bound assumes), publish it (IPFS + CapabilityRegistry), keep the
 * key and its salt in a private file, and reveal the key once the submission window has closed.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Hex } from "viem";
import { z } from "zod";
import { keyCommitment, minPassThreshold, newSalt, suiteStrongEnough, MAX_ITEMS } from "../chain/capability.js";
import { chainTime, getSuite, publishSuite, revealSuiteKey, type SuiteView } from "../chain/calibration.js";
import type { ChorusChain } from "../chain/contracts.js";
import { asError, ChorusError } from "../core/index.js";
import { cidToBytes32 } from "../ipfs/index.js";
import type { SuiteDocument } from "./calibrate.js";

const Item = z
  .object({
    question: z.string().min(1).max(8000),
    better: z.string().min(1).max(8000),
    worse: z.string().min(1).max(8000),
  })
  .strict();
const ItemsFile = z.union([
  z.array(Item).min(1).max(MAX_ITEMS),
  z.object({ title: z.string().min(1).max(200).optional(), items: z.array(Item).min(1).max(MAX_ITEMS) }).strict(),
]);

export type ReferenceItem = z.infer<typeof Item>;

/** Parses a reference items file (`[{question, better, worse}]` or `{title?, items}`); errors name the item and field. */
export function parseItemsFile(text: string, file: string): { title: string; items: ReferenceItem[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ChorusError("INPUT_INVALID", `${file} is not JSON: ${(err as Error).message}`);
  }
  const r = ItemsFile.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ChorusError(
      "INPUT_INVALID",
      `${file}: ${i.path.join(".") || "(top)"}: ${i.message} (expected [{"question","better","worse"}, ...] with 1..${MAX_ITEMS} items)`,
    );
  }
  const d = r.data;
  return Array.isArray(d)
    ? { title: "Chorus calibration suite", items: d }
    : { title: d.title ?? "Chorus calibration suite", items: d.items };
}

/** The suite document and its key: item i's better answer goes second (key bit i set) when coin i is 1. */
export function buildSuite(
  title: string,
  items: readonly ReferenceItem[],
  coins: Uint8Array = randomBytes(items.length),
): { suite: SuiteDocument; key: bigint } {
  let key = 0n;
  const out = items.map((it, i) => {
    const second = (coins[i] & 1) === 1;
    if (second) key |= 1n << BigInt(i);
    return second
      ? { question: it.question, answerA: it.worse, answerB: it.better }
      : { question: it.question, answerA: it.better, answerB: it.worse };
  });
  return { suite: { type: "chorus/calibration-suite@1", title, items: out }, key };
}

/** What the curator keeps private until the reveal: the key and its salt. */
export interface KeyFile {
  chainId: number;
  suiteId: number;
  itemsCid: string;
  key: string; // hex of the key bitmap
  keySalt: Hex;
}

const KeyFileSchema = z
  .object({
    chainId: z.number().int(),
    suiteId: z.number().int().min(1),
    itemsCid: z.string(),
    key: z.string().regex(/^0x[0-9a-f]+$/i),
    keySalt: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  })
  .strict();

export function keyFilePath(dataDir: string, chainId: number, suiteId: number): string {
  return path.join(dataDir, "curator", `${chainId}-suite-${suiteId}.key.json`);
}

export async function readKeyFile(file: string): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new ChorusError(
      "NOT_FOUND",
      `no key file ${file}: only the curator that published the suite (with this data directory) holds its key`,
    );
  }
  const r = KeyFileSchema.safeParse(JSON.parse(text));
  if (!r.success)
    throw new ChorusError("INPUT_INVALID", `${file} is not a suite key file: ${r.error.issues[0].message}`);
  return r.data as KeyFile;
}

export interface Windows {
  /** Seconds from now nodes may commit. */
  commit: number;
  /** Seconds after the commit window the curator has to reveal the key. */
  keyReveal: number;
  /** Seconds after the key-reveal window nodes have to reveal (they may reveal as soon as the key is out). */
  reveal: number;
  /** Seconds a pass stays valid. */
  validity: number;
}

export interface PublishedSuite {
  suiteId: number;
  itemsCid: string;
  itemCount: number;
  passThreshold: number;
  keyFile: string;
  hash: Hex;
  suite: SuiteView;
}

/**
 * Publishes `suite` (already built, with its key): the document on IPFS (`putJson`), then publishSuite with
 * windows from the chain's clock. The key and salt are written to a private file before the transaction, so
 * a crash after it cannot lose the key (which would void the suite).
 */
export async function publishSuiteDocument(
  chain: ChorusChain,
  opts: {
    suite: SuiteDocument;
    key: bigint;
    passThreshold?: number;
    windows: Windows;
    dataDir: string;
    putJson: (doc: unknown) => Promise<string>;
  },
): Promise<PublishedSuite> {
  const n = opts.suite.items.length;
  const threshold = opts.passThreshold ?? Math.max(minPassThreshold(n), Math.ceil(n * 0.85));
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > n || !suiteStrongEnough(n, threshold)) {
    const min = minPassThreshold(n);
    throw new ChorusError(
      "INPUT_INVALID",
      min > n
        ? `a suite of ${n} items can be passed by guessing whatever the bar: the contract needs at least 84 items (256 items take a bar of 201)`
        : `a pass bar of ${threshold} of ${n} can be reached by guessing: the contract's lowest bar for ${n} items is ${min}`,
    );
  }
  const itemsCid = await opts.putJson(opts.suite);
  const keySalt = newSalt();
  const pending = path.join(opts.dataDir, "curator", `pending-${keySalt.slice(2, 18)}.key.json`);
  await mkdir(path.dirname(pending), { recursive: true, mode: 0o700 });
  const keyDoc = { chainId: chain.chainId, suiteId: 0, itemsCid, key: `0x${opts.key.toString(16)}`, keySalt };
  await writeFile(pending, JSON.stringify(keyDoc, null, 2), { mode: 0o600 });
  const now = await chainTime(chain);
  const commitEnd = now + opts.windows.commit;
  const keyRevealEnd = commitEnd + opts.windows.keyReveal;
  const { suiteId, hash } = await publishSuite(chain, {
    itemsCid: cidToBytes32(itemsCid),
    keyCommitment: keyCommitment(opts.key, keySalt),
    itemCount: n,
    passThreshold: threshold,
    commitEnd,
    keyRevealEnd,
    revealEnd: keyRevealEnd + opts.windows.reveal,
    validity: opts.windows.validity,
  });
  const keyFile = keyFilePath(opts.dataDir, chain.chainId, suiteId);
  await writeFile(pending, JSON.stringify({ ...keyDoc, suiteId }, null, 2), { mode: 0o600 });
  await rename(pending, keyFile);
  return {
    suiteId,
    itemsCid,
    itemCount: n,
    passThreshold: threshold,
    keyFile,
    hash,
    suite: await getSuite(chain, suiteId),
  };
}

/**
 * Reveals the key of `suiteId` from the curator's key file, first waiting (polling the chain's clock) until the
 * submission window has closed. `onWait` hears once how long it waits.
 */
export async function revealKeyWhenOpen(
  chain: ChorusChain,
  opts: {
    suiteId: number;
    keyFile: string;
    pollMs?: number;
    wait?: boolean;
    onWait?: (commitEnd: number, now: number) => void;
    signal?: AbortSignal;
  },
): Promise<{ hash: Hex; suite: SuiteView }> {
  const k = await readKeyFile(opts.keyFile);
  if (k.chainId !== chain.chainId || k.suiteId !== opts.suiteId) {
    throw new ChorusError(
      "INPUT_INVALID",
      `${opts.keyFile} holds the key of suite ${k.suiteId} on chain ${k.chainId}, not suite ${opts.suiteId} on chain ${chain.chainId}`,
    );
  }
  let s = await getSuite(chain, opts.suiteId);
  if (s.keyRevealed) throw new ChorusError("INPUT_INVALID", `the key of suite ${opts.suiteId} is already revealed`);
  let now = await chainTime(chain);
  if (now >= s.keyRevealEnd)
    throw new ChorusError(
      "INPUT_INVALID",
      `the key-reveal window of suite ${opts.suiteId} closed at ${iso(s.keyRevealEnd)}: the suite is void`,
    );
  if (now < s.commitEnd) {
    if (opts.wait === false)
      throw new ChorusError(
        "INPUT_INVALID",
        `suite ${opts.suiteId} takes commitments until ${iso(s.commitEnd)} (chain time now ${iso(now)}): reveal after that`,
      );
    opts.onWait?.(s.commitEnd, now);
    while (now < s.commitEnd) {
      await sleep(opts.pollMs ?? 2000, opts.signal);
      now = await chainTime(chain);
    }
  }
  const hash = await revealSuiteKey(chain, opts.suiteId, BigInt(k.key), k.keySalt);
  s = await getSuite(chain, opts.suiteId);
  return { hash, suite: s };
}

export const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(asError(signal.reason));
      return;
    }
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(asError(signal.reason));
      },
      { once: true },
    );
  });
}
