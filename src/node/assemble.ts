/**
 * Assembles a production node from the validated configuration: the staked key, the chain (directory,
 * record signing, settlement), the artifact store (Helia / Kubo) and its trustless gateway, the model
 * (GGUF or OpenAI-compatible) behind the judge prompts, the consensus rules, retrieval from the data sources
 * registered on chain (RAG rounds), the explorer and the auditor.
 */
import { isIP } from "node:net";
import path from "node:path";
import type { Hex } from "viem";
import { auditRound } from "../audit/index.js";
import { ChainDirectory, chorusContracts, getNode, openChorusChain, requireWallet, type ChorusChain } from "../chain/index.js";
import type { ChorusConfig } from "../config/index.js";
import { ChorusError } from "../core/index.js";
import { explorerRouter } from "../explorer/api.js";
import { AddressPolicy } from "../net/index.js";
import { createInferenceBackend, mindFromBackend, type InferenceBackend } from "../inference/index.js";
import { gatewayRouter, openArtifactStore, roundArtifacts, type ArtifactStore } from "../ipfs/index.js";
import { createSigner } from "../core/index.js";
import { ChainSequencer } from "../chain/sequencer.js";
import { chainFinality } from "../chain/finality.js";
import { chainRecords, chainRetrieval, chainSettlement, settlementDomainOf } from "./chain-parts.js";
import { chooseModel } from "./model-choice.js";
import { productionRules } from "../protocol/index.js";
import { pendingRounds } from "./rounds.js";
import { startNode, type NodeOptions, type NodeParts, type RunningNode } from "./service.js";
import { readKeyHashes, type AccessOptions } from "./openai/access.js";

export interface AssembledNode {
  node: RunningNode;
  chain: ChorusChain;
  store: ArtifactStore;
  backend: InferenceBackend;
  warnings: string[];
  close(): Promise<void>;
}

/**
 * What a staked node without a valid capability pass can and cannot do, said at start. Committees are drawn
 * from `candidates()` (active AND capable), and a member accepts a round only from a coordinator in that
 * list: so such a node is never drawn, and its gateway cannot run a round (members refuse its requests).
 */
export function capabilityWarning(me: string): string {
  return (
    `${me} has no valid capability pass: it is not drawn into committees, and members accept rounds only from capable coordinators, ` +
    `so queries sent to this node's gateway will fail; it still serves /health, /ipfs and /explorer. Pass a calibration suite (CapabilityRegistry) to answer, judge and coordinate`
  );
}

export async function startConfiguredNode(config: ChorusConfig, opts: { log?: (line: string) => void; signal?: AbortSignal } = {}): Promise<AssembledNode> {
  const log = opts.log ?? (() => {});
  if (!config.chain.privateKey) {
    throw new ChorusError("KEY_MISSING", "a node needs its staked key: set CHORUS_PRIVATE_KEY (or --key; --dev-account n on the devnet)");
  }
  const chain = await openChorusChain(config, { signal: opts.signal });
  const me = requireWallet(chain).account.address;
  const info = await getNode(chain, me);
  if (!info.active) {
    throw new ChorusError("NODE_NOT_STAKED", `${me} is not an active staked node on chain ${chain.chainId}: run \`chorus stake <amount> --endpoint <url>\` first`);
  }
  const warnings: string[] = [];
  const { capabilityRegistry, nodeRegistry } = chorusContracts(chain);
  if (capabilityRegistry && !(await capabilityRegistry.read.isCapable([me]))) {
    warnings.push(capabilityWarning(me));
  }
  const endpoint = config.node.endpoint ?? `http://${config.node.host}:${config.node.port}`;
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) && !new AddressPolicy(config.net.allowPrivate).permits(host)) {
    warnings.push(`this node's endpoint ${endpoint} is a private address that net.allowPrivate does not allow: it will refuse to call peers and sources there (set CHORUS_NET_ALLOW_PRIVATE, e.g. 127.0.0.0/8 on one machine)`);
  }
  if (info.endpoint !== endpoint) warnings.push(`the chain announces ${info.endpoint} for this node, not ${endpoint}: peers will call the former (chorus stake --endpoint updates it)`);

  const dataDir = path.resolve(config.dataDir);
  const store = await openArtifactStore({ ...config.ipfs }, { dataDir, log });
  const choice = await chooseModel(config.inference, { log, signal: opts.signal });
  const backend = createInferenceBackend(choice, { threads: config.inference.threads, contextSize: config.inference.contextSize, concurrency: config.inference.concurrency, log });
  const mind = mindFromBackend(backend, { answerTimeoutMs: config.node.answerTimeoutMs });
  const rules = productionRules();
  const sequencer = new ChainSequencer(chain, { batchSize: config.node.batchSize, stateFile: path.join(dataDir, "sequencer.json"), log });
  const artifacts = roundArtifacts(store);
  const signer = createSigner(config.chain.privateKey as Hex);
  const parts: NodeParts = {
    domain: { chainId: chain.chainId, registry: nodeRegistry.address },
    signer,
    directory: new ChainDirectory(chain),
    // Members check a round's seed block against their own chain reads.
    blockHash: async (number) => (await chain.publicClient.getBlock({ blockNumber: number })).hash!,
    artifacts,
    mind,
    rules,
    records: chainRecords(settlementDomainOf(chain)),
    retrieval: chainRetrieval(chain, settlementDomainOf(chain), { allowPrivate: config.net.allowPrivate, signer }),
    rag: {
      sources: config.rag.sources,
      k: config.rag.contexts,
      reliabilityWeight: Math.round(config.rag.reliabilityWeight * 1_000_000),
      explorationFloor: config.rag.explorationFloor,
      timeoutMs: config.rag.timeoutMs,
    },
    sequencer,
    settlement: chainSettlement(chain, { coordinator: sequencer.coordinator }),
    finality: chainFinality(chain, signer.address),
    routers: ({ index, queue }) => [
      gatewayRouter(store),
      explorerRouter({
        chain,
        pendingRounds: pendingRounds(index, queue),
        auditRound: (id) => auditRound({ chain, rules, getJson: (cid) => store.getJson(cid), cidOf: async (v) => (await store.cidOf(v)).toString() }, id),
      }),
    ],
  };
  const n = config.node;
  const options: NodeOptions = {
    host: n.host,
    port: n.port,
    dataDir,
    round: { committeeSize: n.committeeSize, answerTimeoutMs: n.answerTimeoutMs, revealTimeoutMs: n.revealTimeoutMs, judgeTimeoutMs: n.judgeTimeoutMs, signTimeoutMs: n.signTimeoutMs },
    epoch: { maxRounds: n.epochRounds, intervalMs: n.epochIntervalMs },
    limits: { concurrentRounds: n.concurrentRounds, queuedRounds: n.queuedRounds, queueWaitMs: n.queueWaitMs, bodyLimit: n.bodyLimit },
    access: gatewayAccess(config.gateway.apiKeys),
    net: { allowPrivate: config.net.allowPrivate },
    log,
  };
  let node: RunningNode;
  try {
    node = await startNode(parts, options);
  } catch (err) {
    await backend.close();
    await store.close();
    throw new ChorusError("NODE_START_FAILED", `cannot listen on ${n.host}:${n.port}: ${(err as Error).message}`, {}, { cause: err });
  }
  log(`node ${me} serving on ${node.url} (model ${backend.name}, ipfs ${config.ipfs.mode}, chain ${chain.chainId})`);
  return {
    node,
    chain,
    store,
    backend,
    warnings,
    async close() {
      await node.submitter.flush().catch(() => {});
      await node.close();
      await backend.close();
      await store.close();
    },
  };
}

/** The gateway's keys (config hashes plus the keys file) and per-client buckets. */
function gatewayAccess(k: ChorusConfig["gateway"]["apiKeys"]): AccessOptions {
  return { keyHashes: [...k.hashes, ...(k.file ? readKeyHashes(k.file) : [])], perKey: k.perKey, perIp: k.perIp };
}
