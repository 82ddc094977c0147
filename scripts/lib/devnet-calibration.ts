/**
 * Proof of capability on the devnet, through the same functions as `chorus suite publish`, `chorus calibrate`
 * and `chorus suite reveal` (src/capability): the deployer (curator) publishes the devnet suite on IPFS and
 * commits to its key; every node posts its attempt bond and commits its choices; when the submission window
 * has closed on the chain's own clock (interval mining: no time travel, the chain stays with the wall clock)
 * the curator reveals the key, and the nodes reveal and are graded by the contract.
 *
 * `answers: "reference"` makes the nodes commit the suite's reference answers instead of their model's: the
 * devnet's bundled model tells stories and cannot judge, and the contract refuses suites easy enough for it to
 * pass by chance (201 of 256 at least). That is a devnet shortcut, said so in the devnet's log; "model" is the
 * real path (the one model every devnet node runs judges the items once).
 */
import path from "node:path";
import type { Account } from "viem";
import {
  buildDevnetSuite,
  commitAttempt,
  judgeSuite,
  publishSuiteDocument,
  revealKeyWhenOpen,
  revealWhenKeyIsOut,
  stateFilePath,
} from "../../src/capability/index.js";
import { connectChain, type ChorusChain } from "../../src/chain/index.js";
import type { Mind } from "../../src/round/ports.js";
import type { Deployments } from "../../deploy/index.js";

/**
 * Seconds the setup suite takes commitments: five nodes' bond and commit transactions (about 15), with room for
 * a loaded machine (20 s was seen to run out with two devnets starting at once on 2 busy cores).
 */
export const DEVNET_COMMIT_WINDOW = 60;

export async function calibrateDevnet(opts: {
  rpcUrl: string;
  deployments: Deployments;
  curator: Account;
  nodes: Account[];
  mind: Mind;
  putJson: (doc: unknown) => Promise<string>;
  passThreshold: number;
  answers: "model" | "reference";
  /** Where the curator's key file and the nodes' attempt state go. */
  dataDir: string;
  log: (l: string) => void;
}): Promise<{ suiteId: number; itemsCid: string; scores: number[] }> {
  const chainOf = async (account: Account): Promise<ChorusChain> => ({
    ...(await connectChain({ rpcUrl: opts.rpcUrl, account })),
    deployments: opts.deployments,
  });
  const curator = await chainOf(opts.curator);
  const seed = (await curator.publicClient.getBlock()).hash;
  const { suite, key } = buildDevnetSuite(seed);
  // One model serves every devnet node: judge the items once, before the window opens.
  const choices = opts.answers === "reference" ? key : await judgeSuite(opts.mind, suite);
  const published = await publishSuiteDocument(curator, {
    suite,
    key,
    passThreshold: opts.passThreshold,
    windows: { commit: DEVNET_COMMIT_WINDOW, keyReveal: 3600, reveal: 3600, validity: 30 * 24 * 3600 },
    dataDir: path.join(opts.dataDir, "curator"),
    putJson: opts.putJson,
  });
  const suiteId = published.suiteId;
  opts.log(
    `calibration suite ${suiteId} published (${suite.items.length} items at ipfs ${published.itemsCid}, pass bar ${published.passThreshold})`,
  );
  const states = [];
  for (const node of opts.nodes) {
    const chain = await chainOf(node);
    const stateFile = stateFilePath(path.join(opts.dataDir, "calibration"), chain.chainId, suiteId, node.address);
    states.push({ chain, state: (await commitAttempt(chain, { suite: published.suite, choices, stateFile })).state });
  }
  await revealKeyWhenOpen(curator, {
    suiteId,
    keyFile: published.keyFile,
    pollMs: 500,
    onWait: () =>
      opts.log(`waiting for the suite's submission window to close on the chain's clock (${DEVNET_COMMIT_WINDOW} s)…`),
  });
  const scores: number[] = [];
  for (const { chain, state } of states)
    scores.push((await revealWhenKeyIsOut(chain, { suiteId, state, pollMs: 500 })).score);
  return { suiteId, itemsCid: published.itemsCid, scores };
}
