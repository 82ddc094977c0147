/**
 * Assembles a production node from the validated configuration: the staked key, the chain (directory,
 * record signing, settlement), the artifact store (Helia / Kubo) and its trustless gateway, the model
 * (GGUF or OpenAI-compatible) behind the judge prompts, the consensus rules, retrieval from the data sources
 * registered on chain (RAG rounds), the explorer and the auditor.
 */
import { isIP } from "node:net";
import path from "node:path";
import { keccak256, toHex, type Hex } from "viem";
import { auditRound, GoldStandingsScanner } from "../audit/index.js";
import {
  ChainDirectory,
  chorusContracts,
  getNode,
  openChorusChain,
  requireWallet,
  type ChorusChain,
} from "../chain/index.js";
import type { ChorusConfig } from "../config/index.js";
import { ChorusError, present } from "../core/index.js";
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
import { blockAgeCheck, cachedCheck, lineLog, type Logger, type ReadinessCheck } from "../obs/index.js";
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
    `so queries sent to this node's gateway will fail; it still serves /health, /ipfs and /explorer. Run \`chorus calibrate\` (it takes the open calibration suite with this node's model; \`chorus suite list\` shows the suites) to answer, judge and coordinate`
  );
}

export async function startConfiguredNode(
  config: ChorusConfig,
  opts: { log?: (line: string) => void; logger?: Logger; signal?: AbortSignal } = {},
): Promise<AssembledNode> {
  const log = opts.log ?? (opts.logger ? lineLog(opts.logger, "node") : () => {});
  if (!config.chain.privateKey) {
    throw new ChorusError(
      "KEY_MISSING",
      "a node needs its staked key: set CHORUS_PRIVATE_KEY (or --key; --dev-account n on the devnet)",
    );
  }
  const chain = await openChorusChain(config, { signal: opts.signal });
  const me = requireWallet(chain).account.address;
  const info = await getNode(chain, me);
  if (!info.active) {
    throw new ChorusError(
      "NODE_NOT_STAKED",
      `${me} is not an active staked node on chain ${chain.chainId}: run \`chorus stake <amount> --endpoint <url>\` first`,
    );
  }
  const warnings: string[] = [];
  const { capabilityRegistry, nodeRegistry } = chorusContracts(chain);
  if (capabilityRegistry && !(await capabilityRegistry.read.isCapable([me]))) {
    warnings.push(capabilityWarning(me));
  }
  const endpoint = config.node.endpoint ?? `http://${config.node.host}:${config.node.port}`;
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) && !new AddressPolicy(config.net.allowPrivate).permits(host)) {
    warnings.push(
      `this node's endpoint ${endpoint} is a private address that net.allowPrivate does not allow: it will refuse to call peers and sources there (set CHORUS_NET_ALLOW_PRIVATE, e.g. 127.0.0.0/8 on one machine)`,
    );
  }
  if (info.endpoint !== endpoint)
    warnings.push(
      `the chain announces ${info.endpoint} for this node, not ${endpoint}: peers will call the former (chorus stake --endpoint updates it)`,
    );

  const dataDir = path.resolve(config.dataDir);
  const store = await openArtifactStore({ ...config.ipfs }, { dataDir, log });
  const choice = await chooseModel(config.inference, { log, signal: opts.signal });
  const backend = createInferenceBackend(choice, {
    threads: config.inference.threads,
    gpu: config.inference.gpu,
    contextSize: config.inference.contextSize,
    concurrency: config.inference.concurrency,
    log,
  });
  const mind = mindFromBackend(backend, {
    answerTimeoutMs: config.node.answerTimeoutMs,
    temperature: config.inference.temperature,
    seedOf: (q) => memberSeed(me, q.messages),
  });
  const rules = productionRules();
  const sequencer = new ChainSequencer(chain, {
    batchSize: config.node.batchSize,
    stateFile: path.join(dataDir, "sequencer.json"),
    log,
  });
  const artifacts = roundArtifacts(store);
  // Gold standings (issue 20), one cached scan shared by this node's coordinator and member.
  const gold = GoldStandingsScanner.available(chain)
    ? new GoldStandingsScanner({
        chain,
        rules,
        getJson: (cid) => store.getJson(cid),
        cidOf: async (v) => (await store.cidOf(v)).toString(),
      })
    : undefined;
  const signer = createSigner(config.chain.privateKey as Hex);
  const parts: NodeParts = {
    domain: { chainId: chain.chainId, registry: nodeRegistry.address },
    signer,
    directory: new ChainDirectory(chain),
    // Members check a round's seed block against their own chain reads.
    blockHash: async (number) => (await chain.publicClient.getBlock({ blockNumber: number })).hash,
    artifacts,
    mind,
    rules,
    gold,
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
    checks: readinessChecks(config, chain, me, backend, store),
    routers: ({ index, queue }) => [
      gatewayRouter(store),
      explorerRouter({
        chain,
        pendingRounds: pendingRounds(index, queue),
        auditRound: (id) =>
          auditRound(
            {
              chain,
              rules,
              getJson: (cid) => store.getJson(cid),
              cidOf: async (v) => (await store.cidOf(v)).toString(),
              gold,
            },
            id,
          ),
      }),
    ],
  };
  const n = config.node;
  const options: NodeOptions = {
    host: n.host,
    port: n.port,
    dataDir,
    round: {
      committeeSize: n.committeeSize,
      answerTimeoutMs: n.answerTimeoutMs,
      revealTimeoutMs: n.revealTimeoutMs,
      judgeTimeoutMs: n.judgeTimeoutMs,
      signTimeoutMs: n.signTimeoutMs,
    },
    epoch: { maxRounds: n.epochRounds, intervalMs: n.epochIntervalMs },
    limits: {
      concurrentRounds: n.concurrentRounds,
      queuedRounds: n.queuedRounds,
      queueWaitMs: n.queueWaitMs,
      bodyLimit: n.bodyLimit,
    },
    access: gatewayAccess(config.gateway.apiKeys),
    net: { allowPrivate: config.net.allowPrivate },
    state: config.state,
    logger: opts.logger,
    log: opts.logger ? undefined : opts.log,
    shutdownMs: n.shutdownMs,
    ready: { maxBacklog: n.readyMaxBacklog, maxBacklogAgeS: n.readyMaxBacklogAgeS },
  };
  let node: RunningNode;
  try {
    node = await startNode(parts, options);
  } catch (err) {
    await backend.close();
    await store.close();
    throw new ChorusError(
      "NODE_START_FAILED",
      `cannot listen on ${n.host}:${n.port}: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  log(`node ${me} serving on ${node.url} (model ${backend.name}, ipfs ${config.ipfs.mode}, chain ${chain.chainId})`);
  return {
    node,
    chain,
    store,
    backend,
    warnings,
    async close() {
      // graceful: new rounds refused, rounds in flight finish (node.shutdownMs), pending records settled
      await node.close();
      await backend.close();
      await store.close();
    },
  };
}

/** A member's own sampling seed for a query: 31 bits of keccak256(member address, the messages). */
export function memberSeed(member: string, messages: readonly { role: string; content: string }[]): number {
  return Number(BigInt(keccak256(toHex(`${member.toLowerCase()}\n${JSON.stringify(messages)}`))) & 0x7fffffffn);
}

/** The gateway's keys (config hashes plus the keys file) and per-client buckets. */
function gatewayAccess(k: ChorusConfig["gateway"]["apiKeys"]): AccessOptions {
  return {
    keyHashes: [...k.hashes, ...(k.file ? readKeyHashes(k.file) : [])],
    perKey: k.perKey,
    perIp: k.perIp,
    holdRefusalsMs: k.holdRefusalsMs,
  };
}

/**
 * What /ready checks besides the settlement backlog: the chain (latest block age), the model (a one-token
 * generation at most once a minute), IPFS (the store answers a `has`) and the capability pass (read at most
 * once a minute).
 */
function readinessChecks(
  config: ChorusConfig,
  chain: ChorusChain,
  me: Hex,
  backend: InferenceBackend,
  store: ArtifactStore,
): Record<string, ReadinessCheck> {
  const checks: Record<string, ReadinessCheck> = {
    chain: blockAgeCheck(async () => {
      const b = await chain.publicClient.getBlock({ blockTag: "latest" });
      return { number: b.number, timestamp: b.timestamp };
    }, config.node.readyMaxBlockAgeS),
    model: cachedCheck(async () => {
      const s = backend.stats();
      // a busy model is working, not broken: probe it only when it has room
      if (s.active >= s.concurrency) return { ok: true, detail: { name: backend.name, ...s } };
      await backend.chat([{ role: "user", content: "ping" }], { maxTokens: 1 });
      return { ok: true, detail: { name: backend.name, ...s } };
    }, 60_000),
    ipfs: async () => {
      await store.has(PROBE_CID, { signal: AbortSignal.timeout(2000) });
      return { ok: true, detail: { kind: store.kind } };
    },
  };
  // the deployment file is read from disk: one without a CapabilityRegistry gets no capability check
  const deployed: Partial<Record<string, unknown>> = chain.deployments.contracts;
  if (deployed.CapabilityRegistry) {
    checks.capability = cachedCheck(async () => {
      const capable = await present(
        chorusContracts(chain).capabilityRegistry,
        "the CapabilityRegistry handle",
      ).read.isCapable([me]);
      return capable
        ? { ok: true }
        : { ok: false, reason: `${me} has no valid capability pass: it is not drawn and members refuse its rounds` };
    }, 60_000);
  }
  return checks;
}

/** Any CID: the IPFS check asks the store whether it has it (the answer does not matter, answering does). */
const PROBE_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
