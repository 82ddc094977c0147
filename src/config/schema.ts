/**
 * The one Chorus configuration object. Every key is validated here; nothing else in src/ reads process.env.
 * Sources, lowest precedence first: built-in defaults < JSON config file < CHORUS_* environment < CLI flags.
 */
import { z } from "zod";
import { Cidr } from "../net/address.js";

const hex32 = /^0x[0-9a-fA-F]{64}$/;

export const ConfigSchema = z
  .object({
    /** Named network: `devnet` (Hardhat node on 127.0.0.1:8545) or `custom` (needs chain.rpcUrl). */
    network: z
      .enum(["devnet", "custom"], {
        error: (iss) => `unknown network '${String(iss.input)}' (known: devnet, or custom with --rpc-url)`,
      })
      .default("devnet"),
    chain: z
      .object({
        rpcUrl: z.url({ protocol: /^(https?|wss?)$/ }).optional(),
        /** Hex private key (0x + 64 hex) of the node operator / client. */
        privateKey: z.string().regex(hex32, "must be 0x followed by 64 hex digits").optional(),
        /** Deployments file (addresses + ABIs); default deployments/<chainId>.json in the project. */
        deploymentsFile: z.string().min(1).optional(),
        /** Milliseconds to wait for the RPC before calling the chain unreachable. */
        timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
        /** Most blocks one eth_getLogs call spans (hosted RPCs cap it; the explorer and the audit page by it). */
        logRange: z.number().int().min(1).max(10_000_000).default(10_000),
        /** A Multicall3 contract: per-node reads are batched into one eth_call (0xcA11bde0... on public chains). */
        multicall3: z
          .string()
          .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x address")
          .optional(),
      })
      .strict()
      .default({ timeoutMs: 10_000, logRange: 10_000 }),
    gateway: z
      .object({
        /** A node's gateway that `chorus ask` and `chorus round show` talk to. */
        url: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:7001"),
        /** Milliseconds `chorus ask` waits for a round. */
        timeoutMs: z.number().int().min(1000).max(3_600_000).default(300_000),
        /** Public IPFS gateways `chorus audit` reads from when `url` cannot serve a transcript (then every member's). */
        ipfsGateways: z
          .array(z.url({ protocol: /^https?$/ }))
          .max(16)
          .default([]),
        /**
         * Who may use this node's OpenAI gateway: SHA-256 hex hashes of API keys, in the config or one per line in
         * `file` (none = open, as on the devnet; the node says so at start), and the per-key and per-IP buckets.
         */
        apiKeys: z
          .object({
            hashes: z
              .array(
                z
                  .string()
                  .regex(/^[0-9a-fA-F]{64}$/, "must be a SHA-256 hex hash (64 hex digits), never the key itself"),
              )
              .max(10_000)
              .default([]),
            file: z.string().min(1).optional(),
            perKey: z
              .object({ perSecond: z.number().positive().max(10_000), burst: z.number().int().min(1).max(100_000) })
              .strict()
              .default({ perSecond: 5, burst: 20 }),
            perIp: z
              .object({ perSecond: z.number().positive().max(10_000), burst: z.number().int().min(1).max(100_000) })
              .strict()
              .default({ perSecond: 20, burst: 40 }),
            /** A 429 is held this long (never beyond its Retry-After) before it is sent, so a client that ignores Retry-After cannot make the node refuse thousands of requests a second. */
            holdRefusalsMs: z.number().int().min(0).max(60_000).default(1000),
          })
          .strict()
          .default({
            hashes: [],
            perKey: { perSecond: 5, burst: 20 },
            perIp: { perSecond: 20, burst: 40 },
            holdRefusalsMs: 1000,
          }),
      })
      .strict()
      .default({
        url: "http://127.0.0.1:7001",
        timeoutMs: 300_000,
        ipfsGateways: [],
        apiKeys: {
          hashes: [],
          perKey: { perSecond: 5, burst: 20 },
          perIp: { perSecond: 20, burst: 40 },
          holdRefusalsMs: 1000,
        },
      }),
    /** A running node (`chorus node start`). */
    node: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(7001),
        /** URL peers use to reach this node (registered on chain); default http://host:port. */
        endpoint: z.url({ protocol: /^https?$/ }).optional(),
        committeeSize: z.number().int().min(1).max(64).default(7),
        answerTimeoutMs: z.number().int().min(50).max(3_600_000).default(120_000),
        revealTimeoutMs: z.number().int().min(50).max(600_000).default(10_000),
        judgeTimeoutMs: z.number().int().min(50).max(3_600_000).default(120_000),
        signTimeoutMs: z.number().int().min(50).max(600_000).default(15_000),
        epochRounds: z.number().int().min(1).max(200).default(20),
        /** Round sequences reserved on chain per batch (Settlement.openBatch); unused ones cost void credit. */
        batchSize: z.number().int().min(1).max(1024).default(16),
        epochIntervalMs: z.number().int().min(100).max(86_400_000).default(30_000),
        concurrentRounds: z.number().int().min(1).max(1024).default(2),
        queuedRounds: z.number().int().min(0).max(100_000).default(32),
        /** Longest a query waits in the queue for a round slot before it is refused with 503. */
        queueWaitMs: z.number().int().min(1).max(3_600_000).default(60_000),
        bodyLimit: z
          .string()
          .regex(/^\d+(b|kb|mb)$/, "must look like 256kb")
          .default("256kb"),
        /** Log level of the node's JSON log on stderr (`--pretty` for people). */
        logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
        /** Longest a shutdown waits for the rounds in flight before aborting them. */
        shutdownMs: z.number().int().min(0).max(3_600_000).default(30_000),
        /** /ready fails when the chain's latest block is older than this (a stalled chain or RPC). */
        readyMaxBlockAgeS: z
          .number()
          .int()
          .min(1)
          .max(86_400 * 30)
          .default(300),
        /** /ready fails when more records than this wait for settlement ... */
        readyMaxBacklog: z.number().int().min(1).max(10_000_000).default(1000),
        /** ... or the oldest has waited longer than this. */
        readyMaxBacklogAgeS: z
          .number()
          .int()
          .min(1)
          .max(86_400 * 30)
          .default(3600),
      })
      .strict()
      .prefault({}),
    /** The node's model: a GGUF file, or an OpenAI-compatible server. */
    inference: z
      .object({
        /** Path of a GGUF model file (CHORUS_MODEL). */
        model: z.string().min(1).optional(),
        /** Base URL of an OpenAI-compatible server (CHORUS_OPENAI_URL), e.g. http://127.0.0.1:8080/v1. */
        openaiUrl: z.url({ protocol: /^https?$/ }).optional(),
        openaiKey: z.string().min(1).optional(),
        openaiModel: z.string().min(1).optional(),
        /** CPU threads for the GGUF backend: "auto" (the machine's cores less one, at least 1) or a number (CHORUS_THREADS). */
        threads: z
          .union([z.literal("auto"), z.number().int().min(1).max(256)], {
            error: 'must be "auto" or a whole number from 1 to 256',
          })
          .default("auto"),
        /**
         * GPU for the GGUF backend (CHORUS_GPU): "auto" (node-llama-cpp's detection: CUDA, Vulkan or Metal when one
         * is usable, else the CPU), "cuda" | "vulkan" | "metal" (that one or fail), or false (CPU only).
         */
        gpu: z
          .preprocess(
            (v) => (v === "false" ? false : v),
            z.union([z.literal(false), z.enum(["auto", "cuda", "vulkan", "metal"])], {
              error: "must be auto, cuda, vulkan, metal or false",
            }),
          )
          .default("auto"),
        contextSize: z.number().int().min(64).max(131_072).default(2048),
        /**
         * Sampling temperature of this node's answers when the query names none (0 = greedy). With a temperature
         * above 0 each member samples with its own seed (from its address and the query), so one model run by many
         * nodes still gives different answers.
         */
        temperature: z.number().min(0).max(2).default(0),
        /** Concurrent generations per node. */
        concurrency: z.number().int().min(1).max(64).default(1),
        /** Where downloaded models are kept (node-llama-cpp's cache by default). */
        modelsDir: z.string().min(1).optional(),
        /** What to download when no model is configured or cached; "none" never downloads. */
        defaultModelUri: z.string().min(1).default("hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M"),
      })
      .strict()
      .prefault({}),
    ipfs: z
      .object({
        /** embedded: Helia on disk, offline; networked: Helia with libp2p on 127.0.0.1 (or `listen`); kubo: an external node. */
        mode: z.enum(["embedded", "networked", "kubo"]).default("embedded"),
        kuboUrl: z.url({ protocol: /^https?$/ }).optional(),
        /** Multiaddrs of peers to dial (networked mode). */
        peers: z.array(z.string().min(1)).max(256).default([]),
        /** TCP multiaddrs libp2p listens on (networked mode): loopback by default; e.g. /ip4/0.0.0.0/tcp/4001 on a server. */
        listen: z.array(z.string().min(1)).min(1).max(16).default(["/ip4/127.0.0.1/tcp/0"]),
        /** Multiaddrs peers are told to dial (public IP or DNS name, fixed port), e.g. /dns4/node.example.org/tcp/4001. */
        announce: z.array(z.string().min(1)).max(16).default([]),
        /** Also pin the round's artifacts on this Kubo RPC (your own Kubo, or a pinning service speaking the Kubo RPC). */
        remotePin: z
          .object({
            url: z.url({ protocol: /^https?$/ }),
            /** e.g. { "Authorization": "Bearer ..." } */
            headers: z.record(z.string(), z.string()).optional(),
            timeoutMs: z.number().int().min(1000).max(3_600_000).default(60_000),
          })
          .strict()
          .optional(),
        maxArtifactBytes: z
          .number()
          .int()
          .min(1024)
          .max(1_073_741_824)
          .default(4 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    /** How a node's member retrieves from data sources for queries that ask for it (RAG rounds). */
    rag: z
      .object({
        /** Sources drawn per round (chance from on-chain usefulness, with the exploration floor). */
        sources: z.number().int().min(0).max(32).default(3),
        /** Contexts asked from each source and put into the prompt. */
        contexts: z.number().int().min(1).max(32).default(4),
        /** Weight of on-chain reliability against relevance in the rerank (dRAG: 0.5). */
        reliabilityWeight: z.number().min(0).max(1).default(0.5),
        /** Lowest usefulness a source counts with in the draw (scale 1_000_000), so new sources get tried (src/protocol/reliability.ts default). */
        explorationFloor: z.number().int().min(0).max(1_000_000).default(100_000),
        /** Milliseconds a source has to answer before it is skipped for the round. */
        timeoutMs: z.number().int().min(50).max(600_000).default(5_000),
      })
      .strict()
      .prefault({}),
    /** A data source (`chorus source start`): corpus, address, chunking and retrieval settings. */
    source: z
      .object({
        /** Directory of the corpus (.txt, .md/.markdown, .jsonl, recursive). */
        corpus: z.string().min(1).optional(),
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(7101),
        /** URL members use to reach this source (registered on chain); default http://host:port. */
        endpoint: z
          .url({ protocol: /^https?$/ })
          .max(256)
          .optional(),
        /** Skip files it cannot parse (each named in a warning and in the manifest) instead of refusing to start. */
        skipBad: z.boolean().default(false),
        chunkChars: z.number().int().min(64).max(8000).default(800),
        chunkOverlap: z.number().int().min(0).max(4000).default(100),
        /** Weight of embedding similarity against BM25, [0, 1]; 0 = BM25 only (the embedding model is not loaded). */
        alpha: z.number().min(0).max(1).default(0.5),
        maxConcurrent: z.number().int().min(1).max(1024).default(8),
        bodyLimit: z
          .string()
          .regex(/^\d+(b|kb|mb)$/, "must look like 64kb")
          .default("64kb"),
      })
      .strict()
      .prefault({}),
    /**
     * Outbound requests to URLs from the chain or peers (member -> data source, coordinator -> member):
     * private, loopback, link-local, CGNAT, multicast, metadata and IPv6 ULA/link-local addresses are refused
     * unless one of these CIDR ranges covers them. The devnet and the tests allow 127.0.0.0/8.
     */
    net: z
      .object({
        allowPrivate: z.array(Cidr).max(64).default([]),
      })
      .strict()
      .prefault({}),
    /** Retention of the node's state database (<dataDir>/state.db): what is pruned, and when. */
    state: z
      .object({
        /** Days a settled round's whole record (its transcript, which stays on IPFS) is kept; 0 keeps it forever. */
        settledRecordDays: z.number().min(0).max(36_500).default(7),
        /** Days the round index and settled rounds' ids are kept; 0 keeps them forever. Pending and failed rounds are never pruned. */
        roundDays: z.number().min(0).max(36_500).default(90),
        /** How often retention runs (also once at start). */
        pruneIntervalMs: z.number().int().min(1000).max(86_400_000).default(3_600_000),
      })
      .strict()
      .prefault({}),
    /** Where a node keeps its state (state.db, IPFS blocks). */
    dataDir: z.string().min(1).default(".chorus"),
  })
  .strict();

export type ChorusConfig = z.infer<typeof ConfigSchema>;

/** Environment variables and the config key each one sets. */
export const ENV_KEYS: Record<string, { path: string[]; type: "string" | "int" | "number" | "list" }> = {
  CHORUS_NETWORK: { path: ["network"], type: "string" },
  CHORUS_RPC_URL: { path: ["chain", "rpcUrl"], type: "string" },
  CHORUS_PRIVATE_KEY: { path: ["chain", "privateKey"], type: "string" },
  CHORUS_DEPLOYMENTS: { path: ["chain", "deploymentsFile"], type: "string" },
  CHORUS_RPC_TIMEOUT_MS: { path: ["chain", "timeoutMs"], type: "int" },
  CHORUS_DATA_DIR: { path: ["dataDir"], type: "string" },
  CHORUS_STATE_SETTLED_RECORD_DAYS: { path: ["state", "settledRecordDays"], type: "int" },
  CHORUS_STATE_ROUND_DAYS: { path: ["state", "roundDays"], type: "int" },
  CHORUS_NODE_HOST: { path: ["node", "host"], type: "string" },
  CHORUS_NODE_PORT: { path: ["node", "port"], type: "int" },
  CHORUS_NODE_ENDPOINT: { path: ["node", "endpoint"], type: "string" },
  CHORUS_COMMITTEE_SIZE: { path: ["node", "committeeSize"], type: "int" },
  CHORUS_EPOCH_ROUNDS: { path: ["node", "epochRounds"], type: "int" },
  CHORUS_BATCH_SIZE: { path: ["node", "batchSize"], type: "int" },
  CHORUS_QUEUE_WAIT_MS: { path: ["node", "queueWaitMs"], type: "int" },
  CHORUS_LOG_LEVEL: { path: ["node", "logLevel"], type: "string" },
  CHORUS_SHUTDOWN_MS: { path: ["node", "shutdownMs"], type: "int" },
  CHORUS_LOG_RANGE: { path: ["chain", "logRange"], type: "int" },
  CHORUS_MULTICALL3: { path: ["chain", "multicall3"], type: "string" },
  CHORUS_EPOCH_INTERVAL_MS: { path: ["node", "epochIntervalMs"], type: "int" },
  CHORUS_ANSWER_TIMEOUT_MS: { path: ["node", "answerTimeoutMs"], type: "int" },
  CHORUS_JUDGE_TIMEOUT_MS: { path: ["node", "judgeTimeoutMs"], type: "int" },
  CHORUS_MODEL: { path: ["inference", "model"], type: "string" },
  CHORUS_OPENAI_URL: { path: ["inference", "openaiUrl"], type: "string" },
  CHORUS_OPENAI_KEY: { path: ["inference", "openaiKey"], type: "string" },
  CHORUS_OPENAI_MODEL: { path: ["inference", "openaiModel"], type: "string" },
  /** A whole number, or "auto". */
  CHORUS_THREADS: { path: ["inference", "threads"], type: "int" },
  /** auto, cuda, vulkan, metal or false. */
  CHORUS_GPU: { path: ["inference", "gpu"], type: "string" },
  CHORUS_TEMPERATURE: { path: ["inference", "temperature"], type: "number" },
  CHORUS_MODELS_DIR: { path: ["inference", "modelsDir"], type: "string" },
  CHORUS_DEFAULT_MODEL_URI: { path: ["inference", "defaultModelUri"], type: "string" },
  CHORUS_IPFS_MODE: { path: ["ipfs", "mode"], type: "string" },
  CHORUS_KUBO_URL: { path: ["ipfs", "kuboUrl"], type: "string" },
  /** Comma-separated listen multiaddrs. */
  CHORUS_IPFS_LISTEN: { path: ["ipfs", "listen"], type: "list" },
  /** Comma-separated announce multiaddrs. */
  CHORUS_IPFS_ANNOUNCE: { path: ["ipfs", "announce"], type: "list" },
  /** Comma-separated peer multiaddrs to dial. */
  CHORUS_IPFS_PEERS: { path: ["ipfs", "peers"], type: "list" },
  CHORUS_IPFS_REMOTE_PIN_URL: { path: ["ipfs", "remotePin", "url"], type: "string" },
  CHORUS_SOURCE_CORPUS: { path: ["source", "corpus"], type: "string" },
  CHORUS_SOURCE_HOST: { path: ["source", "host"], type: "string" },
  CHORUS_SOURCE_PORT: { path: ["source", "port"], type: "int" },
  CHORUS_SOURCE_ENDPOINT: { path: ["source", "endpoint"], type: "string" },
  CHORUS_GATEWAY_URL: { path: ["gateway", "url"], type: "string" },
  CHORUS_RAG_SOURCES: { path: ["rag", "sources"], type: "int" },
  CHORUS_RAG_CONTEXTS: { path: ["rag", "contexts"], type: "int" },
  CHORUS_RAG_TIMEOUT_MS: { path: ["rag", "timeoutMs"], type: "int" },
  CHORUS_ASK_TIMEOUT_MS: { path: ["gateway", "timeoutMs"], type: "int" },
  /** Comma-separated gateway URLs `chorus audit` falls back to. */
  CHORUS_IPFS_GATEWAYS: { path: ["gateway", "ipfsGateways"], type: "list" },
  /** Comma-separated CIDR ranges, e.g. 127.0.0.0/8,10.0.0.0/8. */
  CHORUS_NET_ALLOW_PRIVATE: { path: ["net", "allowPrivate"], type: "list" },
};

export const DEVNET_RPC_URL = "http://127.0.0.1:8545";
