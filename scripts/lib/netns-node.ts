/**
 * One Chorus node for the network-namespace test (test/net/netns.test.ts), run by the test inside its own
 * namespace with `ip netns exec`: a real node (startNode) on its own private address, reading the chain over
 * JSON-RPC, with the production consensus rules and an instant deterministic model. The model of the node
 * named by `--stall-judging` prints `JUDGING` when it is first asked to judge (it has committed and revealed
 * by then) and never answers, so the test can cut its link at that moment. Prints `LISTENING <url>` when up;
 * stops on SIGTERM.
 *
 * argv: <host> <port> <rpc url> <deployments file> <private key> <index> [--stall-judging]
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { ChainDirectory, openChorusChain } from "../../src/chain/index.js";
import { loadConfig } from "../../src/config/index.js";
import { ChainSequencer } from "../../src/chain/sequencer.js";
import { createMemoryStore, roundArtifacts } from "../../src/ipfs/index.js";
import { chainRecords, chainSettlement, settlementDomainOf } from "../../src/node/chain-parts.js";
import { productionRules } from "../../src/protocol/index.js";
import { startNode } from "../../src/node/service.js";
import { createSigner } from "../../src/core/index.js";
import type { Mind } from "../../src/round/ports.js";

const Args = z.tuple([
  z.ipv4(),
  z.coerce.number().int().min(1).max(65_535),
  z.url(),
  z.string().min(1),
  z.string().regex(/^0x[0-9a-f]{64}$/i),
  z.coerce.number().int().min(0),
  z.literal("--stall-judging").optional(),
]);
const [host, port, rpcUrl, deploymentsFile, key, index, stall] = Args.parse(process.argv.slice(2));

const config = loadConfig({
  env: {},
  overrides: { network: "custom", chain: { rpcUrl, privateKey: key, deploymentsFile } },
});
const chain = await openChorusChain(config);
const store = createMemoryStore();
const dataDir = await mkdtemp(path.join(os.tmpdir(), `chorus-netns-${index}-`));
let stalled = false;
const mind: Mind = {
  answer: async () => `answer from node ${index}`,
  compare: async ({ answerA, answerB }, opts) => {
    if (stall) {
      if (!stalled) process.stdout.write("JUDGING\n");
      stalled = true;
      await new Promise((_resolve, reject) =>
        opts.signal?.addEventListener("abort", () => reject(opts.signal?.reason), { once: true }),
      );
    }
    return { outcome: answerA < answerB ? "A" : "B" };
  },
};
// The test chain is Hardhat's: mine the seed block of a batch over JSON-RPC instead of waiting for a transaction.
const mine = async () => {
  await chain.publicClient.request({ method: "hardhat_mine" as never, params: ["0x1"] as never });
};
const sequencer = new ChainSequencer(chain, { batchSize: 8, stateFile: path.join(dataDir, "sequencer.json"), mine });
const node = await startNode(
  {
    domain: { chainId: chain.chainId, registry: chain.deployments.contracts.NodeRegistry.address },
    signer: createSigner(key as `0x${string}`),
    directory: new ChainDirectory(chain, { cacheMs: 500 }),
    artifacts: roundArtifacts(store),
    mind,
    rules: productionRules(),
    records: chainRecords(settlementDomainOf(chain)),
    sequencer,
    settlement: chainSettlement(chain, { coordinator: sequencer.coordinator }),
    onClose: () => store.close(),
  },
  {
    host,
    port,
    dataDir,
    round: {
      committeeSize: 7,
      answerTimeoutMs: 8000,
      revealTimeoutMs: 5000,
      judgeTimeoutMs: 4000,
      signTimeoutMs: 4000,
    },
    epoch: { maxRounds: 20, intervalMs: 600_000 },
    limits: { concurrentRounds: 2, queuedRounds: 8, bodyLimit: "256kb" },
    net: { allowPrivate: ["10.77.0.0/24"] }, // the test's bridge: nodes on 10.77.0.10-13
  },
);
process.stdout.write(`LISTENING ${node.url}\n`);
process.once("SIGTERM", () => {
  void node
    .close()
    .then(() => rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }))
    .finally(() => process.exit(0));
});
