/**
 * Runs the numbered deploy scripts in order. Add a contract by adding `NN_name.ts` and listing it here.
 */
import { createDeployContext, type DeployParams, type Deployments, DEFAULT_PARAMS } from "./lib.js";
import deployTimelock from "./00_timelock.js";
import deployToken from "./01_token.js";
import deployNodeRegistry from "./02_node_registry.js";
import deployCapabilityRegistry from "./03_capability_registry.js";
import deploySourceRegistry from "./04_source_registry.js";
import deploySettlement from "./05_settlement.js";
import deployDisputes from "./06_disputes.js";
import handOverGovernance from "./07_governance.js";
import deployGoldRegistry from "./08_gold.js";
import type { Account, Chain, PublicClient, Transport, WalletClient } from "viem";

export * from "./lib.js";

export const STEPS = [
  deployTimelock,
  deployToken,
  deployNodeRegistry,
  deployCapabilityRegistry,
  deploySourceRegistry,
  deploySettlement,
  deployDisputes,
  handOverGovernance,
  deployGoldRegistry,
] as const;

export async function deployAll(opts: {
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account>;
  params?: Partial<DeployParams>;
  log?: (line: string) => void;
}): Promise<Deployments> {
  const chainId = await opts.publicClient.getChainId();
  const params = { ...DEFAULT_PARAMS, ...opts.params };
  const ctx = createDeployContext({ ...opts, params, chainId });
  for (const step of STEPS) await step(ctx);
  return ctx.deployments;
}
