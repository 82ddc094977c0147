/** `chorus node info [address]` and `chorus nodes`: read-only views of the registry. */
import { formatEther, type Address } from "viem";
import { getNode, listActiveNodes, requireWallet, type NodeView } from "../../chain/index.js";
import { ChorusError } from "../../core/index.js";
import type { CliContext } from "../context.js";
import { parseAddress } from "../parse.js";

export async function nodeInfoCommand(ctx: CliContext, addressRaw: string | undefined, opts: { json?: boolean }) {
  const address = addressRaw ? parseAddress(addressRaw) : undefined;
  const chain = await ctx.openChain();
  let who: Address;
  if (address) who = address;
  else if (chain.walletClient) who = requireWallet(chain).account.address;
  else throw new ChorusError("INPUT_INVALID", "give an address, or a key (CHORUS_PRIVATE_KEY / --key) to show your own node");
  const node = await getNode(chain, who);
  if (opts.json) return ctx.json(node);
  if (!node.registered) return ctx.io.out(`${who}: not registered`);
  ctx.io.out(describe(node));
}

export async function nodesCommand(ctx: CliContext, opts: { json?: boolean }) {
  const chain = await ctx.openChain();
  const nodes = await listActiveNodes(chain);
  if (opts.json) return ctx.json(nodes);
  if (nodes.length === 0) return ctx.io.out("no active nodes");
  ctx.io.out(`${nodes.length} active node${nodes.length === 1 ? "" : "s"}:`);
  for (const n of nodes) ctx.io.out(`  ${n.address}  ${formatEther(n.staked).padStart(12)} CHR  ${n.endpoint}`);
}

function describe(n: NodeView): string {
  const lines = [
    `node      ${n.address}`,
    `status    ${n.active ? "active" : "inactive (stake below the minimum)"}`,
    `staked    ${formatEther(n.staked)} CHR`,
    `thawing   ${formatEther(n.thawing)} CHR${n.thawing > 0n ? ` (unlocks ${new Date(n.thawEnd * 1000).toISOString()})` : ""}`,
    `endpoint  ${n.endpoint}`,
    `metadata  ${n.metadataCid}`,
    `joined    ${new Date(n.joinedAt * 1000).toISOString()}`,
  ];
  return lines.join("\n");
}
