/**
 * The in-process Hardhat network over JSON-RPC HTTP on a chosen 127.0.0.1 port (0 = any), so a crash test can
 * stop the RPC server and bring it back on the same URL: clients configured with that URL see it go down and
 * come back, while the chain keeps its state (it lives in the in-process provider, not in the server).
 *
 * `close()` is a real stop, as when an RPC process dies: the port stops listening and every open connection is
 * cut, requests in flight included. Hardhat's own `JsonRpcServer.close()` is only `http.Server.close()`, which
 * (on every Node line, 20 to 24) stops accepting connections but keeps serving requests on connections already
 * open: it drops the idle ones once, at the call, and any other one stays until it has been idle for the
 * server's keep-alive timeout (5 s + 1 s). A connection busy at that moment and then reused by a client that
 * asks more often than that (the nodes share one fetch connection pool and poll every few hundred ms) never
 * goes idle, so the "down" RPC went on answering and `close()` never resolved: the crash test hung whenever a
 * node's request was in flight at the moment it stopped the RPC, which depended on timing, not on the Node line.
 */
import { Server } from "node:http";
import hre from "hardhat";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names.js";
import type { RpcServer } from "./rpc-server.js";

interface HardhatJsonRpcServer {
  listen(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
}

/** Hardhat 2's JsonRpcServer keeps its http.Server in `_httpServer` (not public API): checked, not assumed. */
function httpServerOf(server: HardhatJsonRpcServer): Server {
  const inner = (server as unknown as { _httpServer?: unknown })._httpServer;
  if (!(inner instanceof Server))
    throw new Error("Hardhat's JSON-RPC server no longer exposes its http.Server as _httpServer: update crash-rpc.ts");
  return inner;
}

export async function startRpcServerAt(port: number): Promise<RpcServer> {
  const server = (await hre.run(TASK_NODE_CREATE_SERVER, {
    hostname: "127.0.0.1",
    port,
    provider: hre.network.provider,
  })) as HardhatJsonRpcServer;
  const http = httpServerOf(server);
  const { port: bound } = await server.listen();
  return {
    url: `http://127.0.0.1:${bound}`,
    close: async () => {
      const closed = server.close();
      // After close() has stopped the listener: cut what it would otherwise keep serving.
      http.closeAllConnections();
      await closed;
    },
  };
}
