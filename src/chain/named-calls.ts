/**
 * Contract calls by contract and function name, for the modules written alongside the typed handles
 * (`chorusContracts`, contracts.ts) and not yet moved to them: calibration, disputes and token transfers of
 * the operator CLI. New code uses `chorusContracts(chain)`; these go once the last caller has moved.
 */
import type { Abi, Address, Hex, TransactionReceipt } from "viem";
import { requireWallet } from "./clients.js";
import type { ChorusChain } from "./contracts.js";
import { contractOf } from "./deployments.js";
import { toChainError } from "./errors.js";

/** The deployed address of contract `name`. */
export function addressOf(chain: ChorusChain, name: string): Address {
  return contractOf(chain.deployments, name).address;
}

/** All ABIs of the deployment, merged: decodes any Chorus custom error whichever contract raised it. */
function allAbis(chain: ChorusChain): Abi {
  return Object.values(chain.deployments.contracts).flatMap((c) => c.abi.filter((i) => i.type === "error")) as Abi;
}

/** Reads `functionName` of contract `name`; errors come back as ChorusError. */
export async function readContract<T>(
  chain: ChorusChain,
  name: string,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<T> {
  const c = contractOf(chain.deployments, name);
  try {
    return (await chain.publicClient.readContract({ address: c.address, abi: c.abi, functionName, args })) as T;
  } catch (err) {
    throw toChainError(err, { rpcUrl: chain.rpcUrl, abi: allAbis(chain) });
  }
}

/**
 * Simulates, then sends `functionName` on contract `name` from the configured wallet and waits for the receipt. A
 * revert is reported from the simulation, before anything is sent, as CHAIN_REVERTED with the custom error and its
 * arguments.
 */
export async function writeContract(
  chain: ChorusChain,
  name: string,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<{ hash: Hex; receipt: TransactionReceipt }> {
  const wallet = requireWallet(chain);
  const c = contractOf(chain.deployments, name);
  try {
    const { request } = await chain.publicClient.simulateContract({
      address: c.address,
      abi: c.abi,
      functionName,
      args,
      account: wallet.account,
    });
    const hash = await wallet.writeContract(request as never);
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return { hash, receipt };
  } catch (err) {
    throw toChainError(err, { rpcUrl: chain.rpcUrl, abi: allAbis(chain) });
  }
}
