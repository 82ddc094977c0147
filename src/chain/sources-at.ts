/** The data sources a round sees: SourceRegistry read at the round's seed block. */
import type { Abi, Address, Hex } from "viem";
import { compareAddress } from "../core/index.js";
import { listingIndices, MAX_LISTED_SOURCES, type SourceInfo } from "../protocol/index.js";
import type { ChorusChain } from "./contracts.js";

/**
 * Active sources of SourceRegistry with their scores as of block `blockNumber` (every member of a round reads
 * the same block, its seed block, so an auditor re-derives every draw from the chain). With a `seed`, at most
 * `maxListed` of them are read: `listingIndices(activeCount, seed, maxListed)` of the registry's order at that
 * block, so a round costs the same whatever the size of the active set.
 */
export async function sourcesAt(
  chain: ChorusChain,
  blockNumber: bigint,
  opts: { pageSize?: number; seed?: Hex; maxListed?: number } = {},
): Promise<SourceInfo[]> {
  const c = chain.deployments.contracts.SourceRegistry;
  if (!c) return [];
  const read = <T>(functionName: string, args: readonly unknown[]) =>
    chain.publicClient.readContract({ address: c.address, abi: c.abi as Abi, functionName, args, blockNumber }) as Promise<T>;
  const addresses: Address[] = [];
  if (opts.seed) {
    const count = Number(await read<bigint>("activeCount", []));
    const indices = listingIndices(count, opts.seed, opts.maxListed ?? MAX_LISTED_SOURCES);
    const pages = await Promise.all(indices.map((i) => read<readonly Address[]>("activeSources", [BigInt(i), 1n])));
    for (const page of pages) addresses.push(...page);
  } else {
    const pageSize = BigInt(opts.pageSize ?? 100);
    for (let offset = 0n; ; offset += pageSize) {
      const page = await read<readonly Address[]>("activeSources", [offset, pageSize]);
      addresses.push(...page);
      if (BigInt(page.length) < pageSize) break;
    }
  }
  const infos = await Promise.all(
    addresses.map(async (address) => {
      const s = await read<{ active: boolean; reliability: number; usefulness: number; endpoint: string }>("sourceOf", [address]);
      return s.active ? { address, endpoint: s.endpoint, reliability: Number(s.reliability), usefulness: Number(s.usefulness) } : undefined;
    }),
  );
  return infos.filter((x): x is SourceInfo => x !== undefined).sort((a, b) => compareAddress(a.address, b.address));
}

