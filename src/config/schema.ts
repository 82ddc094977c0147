/**
 * The one Chorus configuration object. Every key is validated here; nothing else in src/ reads process.env.
 * Sources, lowest precedence first: built-in defaults < JSON config file < CHORUS_* environment < CLI flags.
 */
import { z } from "zod";

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
      })
      .strict()
      .default({ timeoutMs: 10_000 }),
    gateway: z
      .object({
        /** A node's gateway that `chorus ask` and `chorus round show` talk to. */
        url: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:7001"),
        /** Milliseconds `chorus ask` waits for a round. */
        timeoutMs: z.number().int().min(1000).max(3_600_000).default(300_000),
      })
      .strict()
      .default({ url: "http://127.0.0.1:7001", timeoutMs: 300_000 }),
    /** Where a node keeps its state (IPFS blocks, settlement queue). */
    dataDir: z.string().min(1).default(".chorus"),
  })
  .strict();

export type ChorusConfig = z.infer<typeof ConfigSchema>;

/** Environment variables and the config key each one sets. */
export const ENV_KEYS: Record<string, { path: string[]; type: "string" | "int" }> = {
  CHORUS_NETWORK: { path: ["network"], type: "string" },
  CHORUS_RPC_URL: { path: ["chain", "rpcUrl"], type: "string" },
  CHORUS_PRIVATE_KEY: { path: ["chain", "privateKey"], type: "string" },
  CHORUS_DEPLOYMENTS: { path: ["chain", "deploymentsFile"], type: "string" },
  CHORUS_RPC_TIMEOUT_MS: { path: ["chain", "timeoutMs"], type: "int" },
  CHORUS_DATA_DIR: { path: ["dataDir"], type: "string" },
  CHORUS_GATEWAY_URL: { path: ["gateway", "url"], type: "string" },
  CHORUS_ASK_TIMEOUT_MS: { path: ["gateway", "timeoutMs"], type: "int" },
};

export const DEVNET_RPC_URL = "http://127.0.0.1:8545";
