import type { ChorusConfig } from "../config/index.js";
import { present } from "../core/index.js";
import { connectChain, type ConnectOptions } from "./clients.js";
import type { ChorusChain } from "./contracts.js";
import { loadDeployments } from "./deployments.js";

/** Connects with the configuration and loads the deployment of the chain it finds. */
export async function openChorusChain(
  config: ChorusConfig,
  extra: Pick<ConnectOptions, "account" | "transport" | "signal"> = {},
): Promise<ChorusChain> {
  const clients = await connectChain({
    rpcUrl: present(config.chain.rpcUrl, "chain.rpcUrl"),
    privateKey: config.chain.privateKey as `0x${string}` | undefined,
    timeoutMs: config.chain.timeoutMs,
    multicall3: config.chain.multicall3 as `0x${string}` | undefined,
    ...extra,
  });
  const deployments = loadDeployments(clients.chainId, config.chain.deploymentsFile);
  return { ...clients, deployments, logRange: config.chain.logRange };
}
