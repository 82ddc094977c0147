/**
 * The devnet's curator loop: it keeps a calibration suite open for newcomers, with the same functions as
 * `chorus suite publish` and `chorus suite reveal` (src/capability). Every few seconds, on the chain's clock:
 *
 * - when no suite is open for commits, or the newest open one has less than `commitWindow - every` seconds of
 *   commits left, it publishes the next devnet suite (256 items a model that can add and knows a few facts can
 *   judge; the same suite builder as setup, a fresh coin per item) on node 1's IPFS store, which node 1's gateway
 *   serves at /ipfs (where `chorus calibrate` fetches the items);
 * - when a suite it published has closed its commit window and still awaits its key, it reveals the key.
 *
 * So the newest open suite always has at least `commitWindow - every` seconds of commits left (time to judge
 * the items), and a node that committed waits at most `commitWindow` seconds for the key.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import type { Account } from "viem";
import {
  buildDevnetSuite,
  iso,
  keyFilePath,
  publishSuiteDocument,
  revealKeyWhenOpen,
} from "../../src/capability/index.js";
import { chainTime, listSuites, suitePhase } from "../../src/chain/calibration.js";
import { connectChain, type ChorusChain } from "../../src/chain/index.js";
import { openArtifactStore } from "../../src/ipfs/index.js";
import type { Deployments } from "../../deploy/index.js";

export interface CuratorLoopOptions {
  rpcUrl: string;
  deployments: Deployments;
  curator: Account;
  /** Where the curator's key files live (`<dataDir>/curator`, as `chorus suite publish` keeps them). */
  dataDir: string;
  /** The IPFS store the items go to: node 1's data directory, so its gateway serves them. */
  ipfsDir: string;
  passThreshold: number;
  /** Seconds each suite takes commitments. */
  commitWindow: number;
  /** Seconds between two suites (the newest open suite has at least commitWindow - every seconds left). */
  every: number;
  /** Seconds the curator has to reveal after the commit window (the loop reveals within pollMs of its close). */
  keyWindow?: number;
  /** Seconds nodes have to reveal after that. */
  revealWindow?: number;
  /** Seconds a pass stays valid. */
  validity?: number;
  pollMs?: number;
  log: (l: string) => void;
}

export interface CuratorLoop {
  stop(): Promise<void>;
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** One pass of the loop: reveal what is due, publish if the open window runs short. Exported for tests. */
export async function curatorTick(chain: ChorusChain, opts: CuratorLoopOptions): Promise<void> {
  const now = await chainTime(chain);
  const suites = await listSuites(chain, 20);
  for (const s of suites) {
    if (suitePhase(s, now) !== "awaiting-key") continue;
    const keyFile = keyFilePath(opts.dataDir, chain.chainId, s.id);
    if (!(await exists(keyFile))) continue;
    const r = await revealKeyWhenOpen(chain, { suiteId: s.id, keyFile, wait: false });
    opts.log(
      `curator: key of suite ${s.id} revealed (tx ${r.hash}); its nodes reveal and are graded until ${iso(r.suite.revealEnd)}`,
    );
  }
  const open = suites.find((s) => suitePhase(s, now) === "commit");
  if (open && open.commitEnd - now >= opts.commitWindow - opts.every) return;
  const seed = (await chain.publicClient.getBlock()).hash;
  const { suite, key } = buildDevnetSuite(seed);
  const store = await openArtifactStore({ mode: "embedded" }, { dataDir: opts.ipfsDir });
  let published;
  try {
    published = await publishSuiteDocument(chain, {
      suite,
      key,
      passThreshold: opts.passThreshold,
      windows: {
        commit: opts.commitWindow,
        keyReveal: opts.keyWindow ?? 3600,
        reveal: opts.revealWindow ?? 3600,
        validity: opts.validity ?? 30 * 24 * 3600,
      },
      dataDir: opts.dataDir,
      putJson: async (doc) => (await store.putJson(doc, { pin: true })).toString(),
    });
  } finally {
    await store.close();
  }
  opts.log(
    `curator: suite ${published.suiteId} open for newcomers until ${iso(published.suite.commitEnd)} (${published.itemCount} items at ipfs ${published.itemsCid}, bar ${published.passThreshold}); \`npx chorus calibrate\` takes it`,
  );
}

/**
 * Runs `curatorTick` every `pollMs` (default 5 s) until stopped; a failed pass is logged and retried on the
 * next one (a transaction can race another sender of the deployer's account, e.g. `chorus faucet`).
 */
export async function startCuratorLoop(opts: CuratorLoopOptions): Promise<CuratorLoop> {
  const chain: ChorusChain = {
    ...(await connectChain({ rpcUrl: opts.rpcUrl, account: opts.curator })),
    deployments: opts.deployments,
  };
  const pollMs = opts.pollMs ?? 5000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let lastError = "";
  const tick = () => {
    running = curatorTick(chain, opts)
      .then(() => {
        lastError = "";
      })
      .catch((err: unknown) => {
        const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
        if (message !== lastError) opts.log(`curator: ${message} (retrying in ${pollMs / 1000} s)`);
        lastError = message;
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, pollMs);
      });
  };
  tick();
  await running;
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** The curator's key directory under the devnet's data directory (the same one setup's suite used). */
export const curatorDataDir = (devnetDir: string): string => path.join(devnetDir, "curator");
