/**
 * A node takes a calibration suite (`chorus calibrate`, and the devnet through the same functions):
 *
 *   1. `loadSuiteDocument`: the items from IPFS (or a file), checked against the CID the suite names on chain;
 *   2. `judgeSuite`: the node's own model judges every item (progress reported), giving the choices bitmap;
 *   3. `commitAttempt`: the choices and a fresh salt are saved to a private state file, the attempt bond is
 *      posted if needed, and the commitment is sent before the submission window closes;
 *   4. `revealWhenKeyIsOut`: waits (polling the chain) for the curator's key, reveals, and reads the grade.
 *
 * The state file makes the flow resumable: a node that stops after committing runs `chorus calibrate` again
 * and continues at step 4 with the same salt.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Address, Hex } from "viem";
import { z } from "zod";
import { choicesCommitment, newSalt } from "../chain/capability.js";
import {
  attemptOf,
  chainTime,
  commitChoices,
  ensureAttemptBond,
  getSuite,
  passOf,
  revealChoices,
  suitePhase,
  type PassView,
  type SuiteView,
} from "../chain/calibration.js";
import { requireWallet } from "../chain/clients.js";
import type { ChorusChain } from "../chain/contracts.js";
import { ChorusError } from "../core/index.js";
import { bytes32ToCid, cidOfJson } from "../ipfs/index.js";
import type { Mind } from "../round/ports.js";
import { assertSuite, type SuiteDocument } from "./calibrate.js";
import { iso, sleep } from "./curator.js";

/** Fetches the suite's items document: `getJson(cid)` must verify the block against the CID (IPFS stores and gateways do). */
export async function loadSuiteDocument(
  suite: SuiteView,
  sources: { name: string; getJson?: (cid: string) => Promise<unknown>; doc?: unknown }[],
): Promise<{ doc: SuiteDocument; from: string }> {
  const cid = bytes32ToCid(suite.itemsCid).toString();
  const failures: string[] = [];
  for (const s of sources) {
    try {
      let doc: unknown;
      if (s.doc !== undefined) {
        doc = s.doc;
        const got = (await cidOfJson(doc)).toString();
        if (got !== cid)
          throw new ChorusError("CAPABILITY_BAD_SUITE", `its CID is ${got}, suite ${suite.id} names ${cid}`);
      } else if (s.getJson) doc = await s.getJson(cid);
      else throw new ChorusError("INTERNAL", `source ${s.name} has neither a document nor a reader`);
      const d = assertSuite(doc);
      if (d.items.length !== suite.itemCount) {
        throw new ChorusError(
          "CAPABILITY_BAD_SUITE",
          `it has ${d.items.length} items, suite ${suite.id} has ${suite.itemCount}`,
        );
      }
      return { doc: d, from: s.name };
    } catch (err) {
      failures.push(`${s.name}: ${(err as Error).message}`);
    }
  }
  throw new ChorusError(
    "IPFS_NOT_FOUND",
    `cannot get the items of suite ${suite.id} (${cid}): ${failures.join("; ") || "no source"}; give them with --items FILE or --gateway URL`,
  );
}

/** The node's model judges each item; bit i set = it prefers the second answer. */
export async function judgeSuite(
  mind: Mind,
  doc: SuiteDocument,
  opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<bigint> {
  let bits = 0n;
  const total = doc.items.length;
  for (const [i, item] of doc.items.entries()) {
    const r = await mind.compare(item, { signal: opts.signal });
    if (r.outcome === "B") bits |= 1n << BigInt(i);
    opts.onProgress?.(i + 1, total);
  }
  return bits;
}

const StateSchema = z
  .object({
    chainId: z.number().int(),
    suiteId: z.number().int().min(1),
    node: z.string(),
    choices: z.string().regex(/^0x[0-9a-f]+$/i),
    salt: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
    committed: z.boolean(),
  })
  .strict();
export type AttemptState = z.infer<typeof StateSchema>;

export function stateFilePath(dataDir: string, chainId: number, suiteId: number, node: Address): string {
  return path.join(dataDir, "calibration", `${chainId}-suite-${suiteId}-${node.toLowerCase()}.json`);
}

export async function readAttemptState(file: string): Promise<AttemptState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  const r = StateSchema.safeParse(JSON.parse(text));
  if (!r.success)
    throw new ChorusError(
      "INPUT_INVALID",
      `${file} is not a calibration state file: ${r.error.issues[0].message}; move it away to start over`,
    );
  return r.data;
}

async function writeState(file: string, s: AttemptState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(s, null, 2), { mode: 0o600 });
}

/** Posts the bond if needed, saves choices and salt, commits. Refuses once the submission window has closed. */
export async function commitAttempt(
  chain: ChorusChain,
  opts: { suite: SuiteView; choices: bigint; stateFile: string },
): Promise<{ state: AttemptState; txs: Hex[] }> {
  const me = requireWallet(chain).account.address;
  const now = await chainTime(chain);
  if (suitePhase(opts.suite, now) !== "commit") {
    throw new ChorusError(
      "INPUT_INVALID",
      `suite ${opts.suite.id} took commitments until ${iso(opts.suite.commitEnd)}; chain time is ${iso(now)}: wait for the next suite (\`chorus suite list\`)`,
    );
  }
  const state: AttemptState = {
    chainId: chain.chainId,
    suiteId: opts.suite.id,
    node: me,
    choices: `0x${opts.choices.toString(16)}`,
    salt: newSalt(),
    committed: false,
  };
  await writeState(opts.stateFile, state);
  const { txs } = await ensureAttemptBond(chain);
  txs.push(await commitChoices(chain, opts.suite.id, choicesCommitment(opts.choices, state.salt as Hex, me)));
  state.committed = true;
  await writeState(opts.stateFile, state);
  return { state, txs };
}

export interface Grade {
  suiteId: number;
  score: number;
  itemCount: number;
  passThreshold: number;
  passed: boolean;
  pass: PassView;
  hash: Hex;
}

/** Waits for the key (polling every `pollMs`), reveals the saved choices and reads the grade. */
export async function revealWhenKeyIsOut(
  chain: ChorusChain,
  opts: {
    suiteId: number;
    state: AttemptState;
    pollMs?: number;
    onWait?: (s: SuiteView) => void;
    signal?: AbortSignal;
  },
): Promise<Grade> {
  const me = requireWallet(chain).account.address;
  let s = await getSuite(chain, opts.suiteId);
  let told = false;
  for (;;) {
    const now = await chainTime(chain);
    const phase = suitePhase(s, now);
    if (phase === "reveal") break;
    if (phase === "void")
      throw new ChorusError(
        "INPUT_INVALID",
        `the curator did not reveal the key of suite ${s.id} by ${iso(s.keyRevealEnd)}: the suite is void and your bond is released (nothing graded)`,
      );
    if (phase === "closed")
      throw new ChorusError(
        "INPUT_INVALID",
        `the reveal window of suite ${s.id} closed at ${iso(s.revealEnd)}: the attempt failed`,
      );
    if (!told) {
      opts.onWait?.(s);
      told = true;
    }
    await sleep(opts.pollMs ?? 5000, opts.signal);
    s = await getSuite(chain, opts.suiteId);
  }
  const attempt = await attemptOf(chain, s.id, me);
  if (attempt.status !== "committed")
    throw new ChorusError("INPUT_INVALID", `${me} has no open attempt at suite ${s.id} (status ${attempt.status})`);
  const hash = await revealChoices(chain, s.id, BigInt(opts.state.choices), opts.state.salt as Hex);
  const graded = await attemptOf(chain, s.id, me);
  return {
    suiteId: s.id,
    score: graded.score,
    itemCount: s.itemCount,
    passThreshold: s.passThreshold,
    passed: graded.status === "passed",
    pass: await passOf(chain, me),
    hash,
  };
}
