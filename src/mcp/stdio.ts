/**
 * `chorus mcp`: the MCP server on stdin/stdout for agent clients that start it as a process (Claude Desktop,
 * Cursor, VS Code ...). Its tools call the configured gateway (`gateway.url`, `CHORUS_GATEWAY_URL`) with the
 * key in `CHORUS_API_KEY` when set. Nothing but JSON-RPC may go to stdout; notices go to stderr.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { httpChorusApi } from "./api.js";
import { createMcpServer } from "./server.js";

export async function runStdioMcp(opts: {
  gatewayUrl: string;
  apiKey?: string;
  timeoutMs?: number;
  log?: (line: string) => void;
}): Promise<void> {
  const server = createMcpServer(
    httpChorusApi({ baseUrl: opts.gatewayUrl, apiKey: opts.apiKey, timeoutMs: opts.timeoutMs }),
  );
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  await server.connect(transport);
  opts.log?.(`chorus mcp: serving tools on stdio for gateway ${opts.gatewayUrl}`);
  await closed;
}
