/**
 * Proof of capability on the devnet, through the real CapabilityRegistry: the deployer (curator) publishes
 * the devnet suite on IPFS and commits to its key; every node judges the items with the node model and
 * commits its choices; the devnet moves chain time past the submission window (it is a dev chain), the
 * curator reveals the key, the nodes reveal and the contract grades them. Every attempt is bonded: the curator
 * gives each node one attempt bond, which the node posts before committing.
 *
 * `answers: "reference"` makes the nodes commit the suite's reference answers instead of their model's: the
 * devnet's bundled model tells stories and cannot judge, and the contract refuses suites easy enough for it to
 * pass by chance (201 of 256 at least). That is a devnet shortcut, said so in the devnet's log; "model" is the
 * real path.
 */
import { createPublicClient, createWalletClient, http, type Account, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { answerSuite } from "../../src/capability/calibrate.js";
import { buildDevnetSuite } from "../../src/capability/devnet-suite.js";
import { choicesCommitment, keyCommitment, newSalt } from "../../src/chain/capability.js";
import { cidToBytes32 } from "../../src/ipfs/index.js";
import type { Mind } from "../../src/round/ports.js";
import type { Deployments } from "../../deploy/index.js";

export async function calibrateDevnet(opts: {
  rpcUrl: string;
  deployments: Deployments;
  curator: Account;
  nodes: Account[];
  mind: Mind;
  putJson: (doc: unknown) => Promise<string>;
  passThreshold: number;
  answers: "model" | "reference";
  log: (l: string) => void;
}): Promise<{ suiteId: bigint; itemsCid: string; scores: number[] }> {
  const transport = http(opts.rpcUrl);
  const pub = createPublicClient({ chain: hardhat, transport });
  const cap = opts.deployments.contracts.CapabilityRegistry;
  const token = opts.deployments.contracts.ChorusToken;
  const send = async (account: Account, functionName: string, args: readonly unknown[], to = cap) => {
    const wallet = createWalletClient({ chain: hardhat, transport, account });
    const hash = await wallet.writeContract({ address: to.address, abi: to.abi, functionName, args });
    const r = await pub.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`${functionName} reverted (tx ${hash})`);
  };
  const seed = (await pub.getBlock()).hash;
  const { suite, key } = buildDevnetSuite(seed);
  const itemsCid = await opts.putJson(suite);
  const keySalt = newSalt();
  const now = (await pub.getBlock()).timestamp;
  const commitEnd = now + 3600n;
  const params = {
    itemsCid: cidToBytes32(itemsCid),
    keyCommitment: keyCommitment(key, keySalt),
    itemCount: suite.items.length,
    passThreshold: opts.passThreshold,
    commitEnd,
    keyRevealEnd: commitEnd + 3600n,
    revealEnd: commitEnd + 7200n,
    validity: 30n * 24n * 3600n,
  };
  await send(opts.curator, "publishSuite", [params]);
  const suiteId = (await pub.readContract({ address: cap.address, abi: cap.abi, functionName: "suiteCount" })) as bigint;
  opts.log(`calibration suite ${suiteId} published (${suite.items.length} items at ipfs ${itemsCid}, pass bar ${opts.passThreshold})`);
  // One model serves every devnet node: judge the items once, greedy decoding makes it the same for all.
  const choices = opts.answers === "reference" ? key : await answerSuite(opts.mind, suite);
  const [attemptBond] = (await pub.readContract({ address: cap.address, abi: cap.abi, functionName: "bondTerms" })) as readonly [bigint, number];
  const salts: Hex[] = [];
  for (const node of opts.nodes) {
    await send(opts.curator, "transfer", [node.address, attemptBond], token);
    await send(node, "approve", [cap.address, attemptBond], token);
    await send(node, "postBond", [attemptBond]);
    const salt = newSalt();
    salts.push(salt);
    await send(node, "commit", [suiteId, choicesCommitment(choices, salt, node.address)]);
  }
  await pub.request({ method: "evm_increaseTime" as never, params: [3601] as never });
  await pub.request({ method: "evm_mine" as never, params: [] as never });
  await send(opts.curator, "revealKey", [suiteId, key, keySalt]);
  const scores: number[] = [];
  for (const [i, node] of opts.nodes.entries()) {
    await send(node, "reveal", [suiteId, choices, salts[i]]);
    const pass = (await pub.readContract({ address: cap.address, abi: cap.abi, functionName: "passOf", args: [node.address] })) as { score: number };
    scores.push(pass.score);
  }
  return { suiteId, itemsCid, scores };
}
