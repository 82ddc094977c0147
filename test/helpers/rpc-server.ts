/**
 * Serves Hardhat's in-process network over JSON-RPC HTTP on 127.0.0.1 (the same server `hardhat node` uses),
 * so code that talks to a chain by URL (CLI, node service) runs against the test chain.
 */
import hre from "hardhat";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names.js";

export interface RpcServer {
  url: string;
  close(): Promise<void>;
}

export async function startRpcServer(): Promise<RpcServer> {
  const server = await hre.run(TASK_NODE_CREATE_SERVER, {
    hostname: "127.0.0.1",
    port: 0,
    provider: hre.network.provider,
  });
  const { port } = (await server.listen()) as { port: number; address: string };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await server.close();
    },
  };
}
