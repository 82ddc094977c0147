/**
 * The in-process Hardhat network over JSON-RPC HTTP on a chosen 127.0.0.1 port (0 = any), so a crash test can
 * stop the RPC server and bring it back on the same URL: clients configured with that URL see it go down and
 * come back, while the chain keeps its state (it lives in the in-process provider, not in the server).
 */
import hre from "hardhat";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names.js";
import type { RpcServer } from "./rpc-server.js";

export async function startRpcServerAt(port: number): Promise<RpcServer> {
  const server = await hre.run(TASK_NODE_CREATE_SERVER, {
    hostname: "127.0.0.1",
    port,
    provider: hre.network.provider,
  });
  const { port: bound } = (await server.listen()) as { port: number; address: string };
  return {
    url: `http://127.0.0.1:${bound}`,
    close: async () => {
      await server.close();
    },
  };
}
