/**
 * The Chorus MCP server (the official @modelcontextprotocol/sdk): an agent asks the swarm and checks the proof.
 * Tools: `ask` (a consensus answer with its round id and transcript CID), `audit_round` (re-derive a settled
 * round from chain + IPFS), `node_info` (the node's health and load), `sources` (the data sources RAG rounds
 * retrieve from). Each tool answers with JSON text and `structuredContent`; a failure is an `isError` result
 * with the message, never a crash of the server.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { ChorusApi } from "./api.js";

export const MCP_SERVER_NAME = "chorus";

const result = (value: Record<string, unknown>) => ({
  content: [{ type: "text" as const, text: JSON.stringify(value, null, 2) }],
  structuredContent: value,
});
const failure = (err: unknown) => ({
  content: [{ type: "text" as const, text: err instanceof Error ? err.message : String(err) }],
  isError: true,
});

async function guarded(fn: () => Promise<Record<string, unknown>>) {
  try {
    return result(await fn());
  } catch (err) {
    return failure(err);
  }
}

export function createMcpServer(api: ChorusApi, version = "0.1.0"): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version });
  server.registerTool(
    "ask",
    {
      title: "Ask the Chorus swarm",
      description:
        "Ask a question; a committee of staked nodes answers, judges each other's answers and returns the consensus winner with its round id and transcript CID (the proof, auditable with audit_round once settled).",
      inputSchema: {
        question: z.string().min(1).max(32_000).describe("the question"),
        system: z.string().max(32_000).optional().describe("an optional system instruction"),
        rag: z.boolean().optional().describe("retrieve contexts from registered data sources first"),
        maxTokens: z.number().int().min(1).max(4096).optional().describe("most tokens per answer"),
      },
    },
    async (args, extra) => guarded(() => api.ask(args, { signal: extra.signal })),
  );
  server.registerTool(
    "audit_round",
    {
      title: "Audit a settled round",
      description:
        "Re-derive a settled round from the chain and IPFS (committee, answers, judgments, winner, reputation deltas) and report every check.",
      inputSchema: {
        roundId: z
          .string()
          .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x + 64 hex digits")
          .describe("the round id from ask's chorus.round_id"),
      },
    },
    async ({ roundId }) => guarded(() => api.auditRound(roundId)),
  );
  server.registerTool(
    "node_info",
    {
      title: "Node info",
      description: "The gateway node's address, health, load and settlement backlog.",
      inputSchema: {},
    },
    async () => guarded(() => api.nodeInfo()),
  );
  server.registerTool(
    "sources",
    {
      title: "Data sources",
      description: "The data sources registered on chain that RAG rounds retrieve from, with their reliability.",
      inputSchema: {},
    },
    async () => guarded(() => api.sources()),
  );
  return server;
}
