/**
 * An in-process swarm on the in-process Hardhat chain: contracts from the real deploy scripts, n staked and
 * capable nodes (calibrated through CapabilityRegistry), each a real node (startNode) on its own 127.0.0.1
 * port with its own artifact store, reading the chain through a JSON-RPC server and settling real epochs.
 * Only the models are fakes (test/helpers).
 *
 * Faults (crash tests): `kill(i)` really stops node i (HTTP server closed, its requests aborted, submitter
 * stopped), `restart(i)` starts it again on the same port and data dir (so its settlement queue survives),
 * `rpcDown()` / `rpcUp()` stop the JSON-RPC server (port closed, every connection cut: test/helpers/crash-rpc.ts)
 * and restart it on the same port; `wrapPeers` lets a test see (or trip on) every message a node sends as
 * coordinator.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { keccak256, toHex } from "viem";
import { chainFinality, ChainDirectory, openChorusChain, type ChorusChain } from "../../src/chain/index.js";
import { loadConfig } from "../../src/config/index.js";
import { createMemoryStore, gatewayRouter, roundArtifacts } from "../../src/ipfs/index.js";
import { chainRecords, chainSettlement, settlementDomainOf } from "../../src/node/chain-parts.js";
import { startNode, type NodeParts, type RunningNode } from "../../src/node/service.js";
import { pendingRounds } from "../../src/node/rounds.js";
import { explorerRouter } from "../../src/explorer/api.js";
import { auditRound } from "../../src/audit/index.js";
import { createSigner } from "../../src/core/index.js";
import type { Mind, PeerClient } from "../../src/round/ports.js";
import { httpPeers } from "../../src/node/peers-http.js";
import { startRpcServerAt } from "./crash-rpc.js";
import type { ConsensusRules } from "../../src/protocol/index.js";
import { writeDeployments } from "../../deploy/index.js";
import { deploySwarm } from "../kit/chorus-fixture.js";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ChainSequencer } from "../../src/chain/sequencer.js";
import type { DeployParams } from "../../deploy/index.js";

export interface ChainSwarmOptions {
  nodes?: number;
  rules: ConsensusRules;
  minds: (i: number) => Mind;
  timeoutMs?: number;
  epochRounds?: number;
  /** Epoch interval of every node's submitter (default 60 s). */
  epochIntervalMs?: number;
  /** Wraps the peer client node i coordinates with (default: plain HTTP). */
  wrapPeers?: (i: number, peers: PeerClient) => PeerClient;
  /** Log lines of node i (exclusions, settlement attempts and their backoff). */
  log?: (i: number, line: string) => void;
  /** A path after the RPC server's URL in every node's config (the JSON-RPC server answers on any path): a provider's API key. */
  rpcPath?: string;
  /** CIDR ranges node i may call though private (default 127.0.0.1/8: every test node is on loopback). */
  allowPrivate?: (i: number) => string[];
  /** Extra node parts for node i (e.g. retrieval for RAG rounds), over its own chain connection. */
  parts?: (i: number, chain: ChorusChain) => Partial<NodeParts>;
  /** Round sequences each node reserves per batch (default 8). */
  batchSize?: number;
  /** Deploy parameters over SWARM_PARAMS. */
  params?: Partial<DeployParams>;
}

/** The operator allowance every test node needs: its peers and sources listen on 127.0.0.1. */
export const LOOPBACK = ["127.0.0.0/8"];

/**
 * Settlement parameters of test swarms: hour-long weight periods, 21 expected seats (7 equal nodes at the initial
 * reputation or above each hold exactly 3: the draw is deterministic, so a test that kills 2 of 7 members keeps
 * 15 of 21 seats, a 2/3 quorum, whatever the seed; a node whose reputation fell below the initial one still holds
 * 2), at least 3 members.
 */
export const SWARM_PARAMS = { periodLength: 3600, committeeSeats: 21, minCommittee: 3 } satisfies Partial<DeployParams>;

/** Mines one block of the in-process chain (seed blocks of batches come only with transactions otherwise). */
export const mineBlock = async () => {
  await hre.network.provider.send("hardhat_mine", ["0x1"]);
};

export async function startChainSwarm(opts: ChainSwarmOptions) {
  const n = opts.nodes ?? 7;
  const f = await deploySwarm({ nodes: n, params: { ...SWARM_PARAMS, ...opts.params } });
  // Committees weigh nodes as they were when the weight period began: start the swarm in the next period.
  await time.increase((opts.params ?? SWARM_PARAMS).periodLength ?? SWARM_PARAMS.periodLength);
  const rpc = await startRpcServerAt(0);
  const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-chain-swarm-"));
  const deploymentsFile = await writeDeployments(f.deployments, dir);
  const t = opts.timeoutMs ?? 3000;
  const running: RunningNode[] = [];
  const stores: ReturnType<typeof createMemoryStore>[] = [];
  const alive: boolean[] = [];
  const ports: number[] = [];
  const directories: ChainDirectory[] = [];
  const startOne = async (i: number, port: number): Promise<RunningNode> => {
    const key = keccak256(toHex(`chorus-test-node-${i}`));
    const config = loadConfig({
      env: {},
      overrides: {
        network: "custom",
        chain: { rpcUrl: `${rpc.url}${opts.rpcPath ?? ""}`, privateKey: key, deploymentsFile },
      },
    });
    const chain = await openChorusChain(config);
    const store = createMemoryStore();
    stores[i] = store;
    const sequencer = new ChainSequencer(chain, {
      batchSize: opts.batchSize ?? 8,
      stateFile: path.join(dir, `node${i}`, "sequencer.json"),
      mine: mineBlock,
    });
    const directory = new ChainDirectory(chain, { cacheMs: 500 });
    directories[i] = directory;
    const peers = opts.wrapPeers ? httpPeers({ allowPrivate: opts.allowPrivate?.(i) ?? LOOPBACK }) : undefined;
    const node = await startNode(
      {
        domain: { chainId: chain.chainId, registry: chain.deployments.contracts.NodeRegistry.address },
        signer: createSigner(key),
        directory,
        artifacts: roundArtifacts(store),
        mind: opts.minds(i),
        rules: opts.rules,
        records: chainRecords(settlementDomainOf(chain)),
        sequencer,
        settlement: chainSettlement(chain, { coordinator: sequencer.coordinator }),
        finality: chainFinality(chain, createSigner(key).address),
        peers: peers && opts.wrapPeers?.(i, peers),
        routers: ({ index, queue }) => [
          gatewayRouter(store),
          explorerRouter({
            chain,
            auditRound: (id) =>
              auditRound(
                {
                  chain,
                  rules: opts.rules,
                  getJson: (cid) => store.getJson(cid),
                  cidOf: async (v) => (await store.cidOf(v)).toString(),
                },
                id,
              ),
            pendingRounds: pendingRounds(index, queue),
          }),
        ],
        onClose: async () => {
          peers?.close();
          await store.close();
        },
        ...opts.parts?.(i, chain),
      },
      {
        host: "127.0.0.1",
        port,
        dataDir: path.join(dir, `node${i}`),
        round: { committeeSize: 7, answerTimeoutMs: t, revealTimeoutMs: t, judgeTimeoutMs: t, signTimeoutMs: t },
        epoch: { maxRounds: opts.epochRounds ?? 20, intervalMs: opts.epochIntervalMs ?? 60_000 },
        limits: { concurrentRounds: 2, queuedRounds: 8, bodyLimit: "256kb" },
        net: { allowPrivate: opts.allowPrivate?.(i) ?? LOOPBACK },
        log: opts.log ? (line) => opts.log!(i, line) : undefined,
      },
    );
    running[i] = node;
    alive[i] = true;
    ports[i] = Number(new URL(node.url).port);
    return node;
  };
  for (let i = 0; i < n; i++) {
    const node = await startOne(i, 0);
    // Announce the real endpoint on chain.
    const c = await f.as(f.nodes[i].wallet);
    await c.registry.write.updateNode([node.url, keccak256(toHex(`meta-${i}`))]);
  }
  // Each node reads the current period's draw weights once (about 30 calls) and caches them for the period, as a
  // node that has been running has: cold, 7 members plus the coordinator read them all at once in the first round's
  // answer phase, which on the one in-process chain under CPU load outlasted its 1.5 s answer timeout.
  const now = await f.publicClient.getBlock();
  const period = Number(now.timestamp / (await f.settlement.read.periodLength()));
  await Promise.all(directories.map((d) => d.weightsAt(period)));
  let rpcUp = true;
  return {
    f,
    rpc,
    nodes: running,
    deploymentsFile,
    /** The artifact store of node i (what its /ipfs gateway serves). */
    storeOf: (i: number) => stores[i],
    /** The data dir of node i (its settlement queue, round index and journal are in `state.db`). */
    dataDirOf: (i: number) => path.join(dir, `node${i}`),
    isAlive: (i: number) => alive[i],
    /** Really stops node i: closes its HTTP server (in-flight requests are cut and their work aborted). */
    async kill(i: number) {
      if (!alive[i]) return;
      alive[i] = false;
      await running[i].close({ graceMs: 0, flush: false });
    },
    /** Starts node i again with the same key, data dir (queue) and port; `nodes[i]` is the new node. */
    async restart(i: number) {
      if (alive[i]) throw new Error(`node ${i} is running`);
      return startOne(i, ports[i]);
    },
    /** Stops the JSON-RPC server, cutting every open connection (the chain keeps its state). */
    async rpcDown() {
      if (!rpcUp) return;
      rpcUp = false;
      await rpc.close();
    },
    /** Serves the chain again on the same URL. */
    async rpcUp() {
      if (rpcUp) return;
      const again = await startRpcServerAt(Number(new URL(rpc.url).port));
      rpc.close = () => again.close();
      rpcUp = true;
    },
    async close() {
      await Promise.all(running.filter((_x, i) => alive[i]).map((x) => x.close()));
      if (rpcUp) await rpc.close();
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}
