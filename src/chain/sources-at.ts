/** The data sources a round sees: SourceRegistry read at the round's seed block. */
import type { Address, Hex } from "viem";
import { compareAddress } from "../core/index.js";
import { listingIndices, MAX_LISTED_SOURCES, type SourceInfo } from "../protocol/index.js";
import { chorusContracts, type ChorusChain } from "./contracts.js";

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
  const registry = chorusContracts(chain).sourceRegistry;
  if (!registry) return [];
  const at = { blockNumber };
  const addresses: Address[] = [];
  if (opts.seed) {
    const count = Number(await registry.read.activeCount(at));
    const indices = listingIndices(count, opts.seed, opts.maxListed ?? MAX_LISTED_SOURCES);
    const pages = await Promise.all(indices.map((i) => registry.read.activeSources([BigInt(i), 1n], at)));
    for (const page of pages) addresses.push(...page);
  } else {
    const pageSize = BigInt(opts.pageSize ?? 100);
    for (let offset = 0n; ; offset += pageSize) {
      const page = await registry.read.activeSources([offset, pageSize], at);
      addresses.push(...page);
      if (BigInt(page.length) < pageSize) break;
    }
  }
  const infos = await Promise.all(
    addresses.map(async (address) => {
      const s = await registry.read.sourceOf([address], at);
      return s.active
        ? { address, endpoint: s.endpoint, reliability: s.reliability, usefulness: s.usefulness }
        : undefined;
    }),
  );
  return infos.filter((x): x is SourceInfo => x !== undefined).sort((a, b) => compareAddress(a.address, b.address));
}
