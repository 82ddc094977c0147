/**
 * An in-process swarm on the in-process Hardhat chain: contracts from the real deploy scripts, n staked and
 * capable nodes (calibrated through CapabilityRegistry), each a real node (startNode) on its own 127.0.0.1
 * port with its own artifact store, reading the chain through a JSON-RPC server and settling real epochs.
 * Only the models are fakes (test/helpers).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { keccak256, toHex, type Hex } from "viem";
import { ChainDirectory, openChorusChain } from "../../src/chain/index.js";
import { loadConfig } from "../../src/config/index.js";
import { createMemoryStore, gatewayRouter, roundArtifacts } from "../../src/ipfs/index.js";
import { chainRecords, chainSettlement, settlementDomainOf } from "../../src/node/chain-parts.js";
import { startNode, type RunningNode } from "../../src/node/service.js";
import { pendingRounds } from "../../src/node/rounds.js";
import { explorerRouter } from "../../src/explorer/api.js";
import { auditRound } from "../../src/audit/index.js";
import { createSigner } from "../../src/round/signer.js";
import type { Mind } from "../../src/round/ports.js";
import type { ConsensusRules } from "../../src/round/transcript.js";
import { writeDeployments } from "../../deploy/index.js";
import { deploySwarm } from "./chorus-fixture.js";
import { startRpcServer } from "./rpc-server.js";

export interface ChainSwarmOptions {
  nodes?: number;
  rules: ConsensusRules;
  minds: (i: number) => Mind;
  timeoutMs?: number;
  epochRounds?: number;
}

export async function startChainSwarm(opts: ChainSwarmOptions) {
  const n = opts.nodes ?? 7;
  const f = await deploySwarm({ nodes: n });
  const rpc = await startRpcServer();
  const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-chain-swarm-"));
  const deploymentsFile = await writeDeployments(f.deployments, dir);
  const t = opts.timeoutMs ?? 3000;
  const running: RunningNode[] = [];
  const stores: ReturnType<typeof createMemoryStore>[] = [];
  for (let i = 0; i < n; i++) {
    const key = keccak256(toHex(`chorus-test-node-${i}`)) as Hex;
    const config = loadConfig({ env: {}, overrides: { network: "custom", chain: { rpcUrl: rpc.url, privateKey: key, deploymentsFile } } });
    const chain = await openChorusChain(config);
    const store = createMemoryStore();
    stores.push(store);
    const coordinatorRef: { inFlight?: Set<Hex> } = {};
    const node = await startNode(
      {
        domain: { chainId: chain.chainId, registry: chain.deployments.contracts.NodeRegistry.address },
        signer: createSigner(key),
        directory: new ChainDirectory(chain, { cacheMs: 500 }),
        artifacts: roundArtifacts(store),
        mind: opts.minds(i),
        rules: opts.rules,
        records: chainRecords(settlementDomainOf(chain)),
        settlement: chainSettlement(chain, { inFlight: () => [...(coordinatorRef.inFlight ?? [])] }),
        routers: ({ index, queue }) => [
          gatewayRouter(store),
          explorerRouter({
            chain,
            auditRound: (id) => auditRound({ chain, rules: opts.rules, getJson: (cid) => store.getJson(cid), cidOf: async (v) => (await store.cidOf(v)).toString() }, id),
            pendingRounds: pendingRounds(index, queue),
          }),
        ],
        onClose: () => store.close(),
      },
      {
        host: "127.0.0.1",
        port: 0,
        dataDir: path.join(dir, `node${i}`),
        round: { committeeSize: 7, answerTimeoutMs: t, revealTimeoutMs: t, judgeTimeoutMs: t, signTimeoutMs: t },
        epoch: { maxRounds: opts.epochRounds ?? 20, intervalMs: 60_000 },
        limits: { concurrentRounds: 2, queuedRounds: 8, bodyLimit: "256kb" },
      },
    );
    coordinatorRef.inFlight = node.coordinator.inFlight;
    // Announce the real endpoint on chain.
    const c = await f.as(f.nodes[i].wallet);
    await c.registry.write.updateNode([node.url, keccak256(toHex(`meta-${i}`))]);
    running.push(node);
  }
  return {
    f,
    rpc,
    nodes: running,
    deploymentsFile,
    /** The artifact store of node i (what its /ipfs gateway serves). */
    storeOf: (i: number) => stores[i],
    async close() {
      await Promise.all(running.map((x) => x.close()));
      await rpc.close();
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}
