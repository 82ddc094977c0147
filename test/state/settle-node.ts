/**
 * A chain node in its own process for the settlement crash test (settle-crash.test.ts): a real node (startNode:
 * HTTP on 127.0.0.1, its state database under `dataDir`, its chain sequencer state, the real settlement path
 * against the test chain's JSON-RPC server) that settles the records its data directory holds, epochs of
 * `maxRounds`, by its own submitter. When `killAt` names a step of settlement (before/after the chain is asked
 * which rounds it holds, before/after an epoch transaction is mined) it kills itself by its own PID with SIGKILL
 * the `nth` time it reaches it: a crash exactly between two steps. The parent kills it at random times too.
 *
 * argv[2]: JSON { dataDir, rpcUrl, key, deploymentsFile, maxRounds, killAt?: { step, nth } }
 */
import { z } from "zod";
import type { Hex } from "viem";
import { ChainDirectory, openChorusChain } from "../../src/chain/index.js";
import { ChainSequencer } from "../../src/chain/sequencer.js";
import { loadConfig } from "../../src/config/index.js";
import { createSigner } from "../../src/core/index.js";
import { createMemoryStore, roundArtifacts } from "../../src/ipfs/index.js";
import { chainRecords, chainSettlement, settlementDomainOf } from "../../src/node/chain-parts.js";
import { startNode } from "../../src/node/service.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { swarmRules } from "../helpers/swarm-rules.js";

const STEPS = ["before-check", "after-check", "before-submit", "after-submit"] as const;
const cfg = z
  .object({
    dataDir: z.string().min(1),
    rpcUrl: z.url(),
    key: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
    deploymentsFile: z.string().min(1),
    maxRounds: z.number().int().min(1),
    killAt: z.object({ step: z.enum(STEPS), nth: z.number().int().min(1) }).optional(),
  })
  .parse(JSON.parse(process.argv[2]));

const config = loadConfig({
  env: {},
  overrides: {
    network: "custom",
    chain: { rpcUrl: cfg.rpcUrl, privateKey: cfg.key, deploymentsFile: cfg.deploymentsFile },
  },
});
const chain = await openChorusChain(config);
const mine = async () => {
  await fetch(cfg.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "hardhat_mine", params: ["0x1"] }),
  });
};
const sequencer = new ChainSequencer(chain, { batchSize: 8, stateFile: `${cfg.dataDir}/sequencer.json`, mine });
const real = chainSettlement(chain, { coordinator: createSigner(cfg.key as Hex).address });
const seen = new Map<string, number>();
const step = (name: (typeof STEPS)[number]) => {
  const n = (seen.get(name) ?? 0) + 1;
  seen.set(name, n);
  if (cfg.killAt?.step === name && cfg.killAt.nth === n) process.kill(process.pid, "SIGKILL");
};
const settlement: typeof real = {
  ...real,
  async settledOnChain(ids) {
    step("before-check");
    const r = await real.settledOnChain(ids);
    step("after-check");
    return r;
  },
  async submitEpoch(records, state) {
    step("before-submit");
    const r = await real.submitEpoch(records, state);
    step("after-submit");
    return r;
  },
};
const store = createMemoryStore();
const signer = createSigner(cfg.key as Hex);
const node = await startNode(
  {
    domain: { chainId: chain.chainId, registry: chain.deployments.contracts.NodeRegistry.address },
    signer,
    directory: new ChainDirectory(chain),
    artifacts: roundArtifacts(store),
    mind: fixedMind("unused", preferHigherQ),
    rules: swarmRules,
    records: chainRecords(settlementDomainOf(chain)),
    sequencer,
    settlement,
    onClose: () => store.close(),
  },
  {
    host: "127.0.0.1",
    port: 0,
    dataDir: cfg.dataDir,
    round: {
      committeeSize: 7,
      answerTimeoutMs: 3000,
      revealTimeoutMs: 3000,
      judgeTimeoutMs: 3000,
      signTimeoutMs: 3000,
    },
    epoch: { maxRounds: cfg.maxRounds, intervalMs: 200 },
    limits: { concurrentRounds: 1, queuedRounds: 1, bodyLimit: "64kb" },
    net: { allowPrivate: ["127.0.0.0/8"] },
    log: (line) => process.send!({ log: line }),
  },
);
process.send!({ started: node.url });
process.on("message", (m: { stop?: boolean }) => {
  if (m.stop) void node.close().then(() => process.exit(0));
});
