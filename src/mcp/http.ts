/**
 * MCP over streamable HTTP on the node (`POST /mcp`), stateless: each request gets its own server and transport
 * (no session to hold or leak). The tools reach the node's own HTTP API with the client's Authorization header,
 * so API keys and rate limits apply to agents as to any OpenAI client.
 */
import { Router, type Request } from "express";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { jsonBody, route } from "../http/index.js";
import { httpChorusApi } from "./api.js";
import { createMcpServer } from "./server.js";

export const MCP_PATH = "/mcp";

/** The node itself as the client reached it (the local address of the socket). */
function selfUrl(req: Request): string {
  const a = req.socket.localAddress ?? "127.0.0.1";
  const host = a.includes(":") ? (a.startsWith("::ffff:") ? a.slice(7) : `[${a}]`) : a;
  return `http://${host}:${req.socket.localPort}`;
}

export function mcpRouter(opts: { bodyLimit?: string } = {}): Router {
  const r = Router();
  r.post(
    MCP_PATH,
    jsonBody(opts.bodyLimit ?? "256kb"),
    route(async (req, res) => {
      const server = createMcpServer(httpChorusApi({ baseUrl: selfUrl(req), authorization: req.get("authorization") }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    }),
  );
  // stateless: no server-initiated stream, no session to delete
  const notAllowed = route((_req, res) => {
    res
      .status(405)
      .set("Allow", "POST")
      .json({
        jsonrpc: "2.0",
        error: { code: -32000, message: "Method not allowed: this MCP endpoint is stateless (POST only)" },
        id: null,
      });
  });
  r.get(MCP_PATH, notAllowed);
  r.delete(MCP_PATH, notAllowed);
  return r;
}
