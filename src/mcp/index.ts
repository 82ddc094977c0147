/** The Chorus MCP server: tools over a node's HTTP API, on stdio (`chorus mcp`) and streamable HTTP (`/mcp`). */
export { httpChorusApi, type ChorusApi, type HttpApiOptions } from "./api.js";
export { createMcpServer, MCP_SERVER_NAME } from "./server.js";
export { mcpRouter, MCP_PATH } from "./http.js";
export { agentCard, AGENT_CARD_PATH } from "./agent-card.js";
export { runStdioMcp } from "./stdio.js";
