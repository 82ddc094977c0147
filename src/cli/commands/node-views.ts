/** `chorus node info [address]` and `chorus nodes`: read-only views of the registry, reputation and capability. */
import { formatEther, type Address } from "viem";
import { z } from "zod";
import {
  getNode,
  listActiveNodes,
  chorusContracts,
  passOf,
  requireWallet,
  type ChorusChain,
  type NodeView,
  type PassView,
} from "../../chain/index.js";
import { iso } from "../../capability/index.js";
import { ChorusError } from "../../core/index.js";
import type { CliContext } from "../context.js";
import { addressValue, parseArg, parseFlags, switchFlag } from "../parse.js";

const JsonFlags = z.object({ json: switchFlag }).strict();
import { HOW_TO_PASS } from "./calibrate.js";

export interface NodeDetails extends NodeView {
  /** Final reputation (scale 1,000,000), or null when the deployment has no Settlement. */
  reputation: number | null;
  /** The latest capability pass, or null when the deployment has no CapabilityRegistry. */
  pass: PassView | null;
}

async function details(chain: ChorusChain, n: NodeView): Promise<NodeDetails> {
  const c = chain.deployments.contracts;
  const [reputation, pass] = await Promise.all([
    "Settlement" in c ? chorusContracts(chain).settlement.read.reputationOf([n.address]).then(Number) : null,
    "CapabilityRegistry" in c ? passOf(chain, n.address) : null,
  ]);
  return { ...n, reputation, pass };
}

export async function nodeInfoCommand(
  ctx: CliContext,
  addressRaw: string | undefined,
  raw: Record<string, unknown>,
): Promise<void> {
  const opts = parseFlags(JsonFlags, raw);
  const address = addressRaw === undefined ? undefined : parseArg(addressValue, addressRaw, "address");
  const chain = await ctx.openChain();
  let who: Address;
  if (address) who = address;
  else if (chain.walletClient) who = requireWallet(chain).account.address;
  else
    throw new ChorusError(
      "INPUT_INVALID",
      "give an address, or a key (--account NAME, CHORUS_PRIVATE_KEY) to show your own node",
    );
  const node = await details(chain, await getNode(chain, who));
  if (opts.json) {
    ctx.json(node);
    return;
  }
  if (!node.registered) {
    ctx.io.out(`${who}: not registered`);
    return;
  }
  ctx.io.out(describe(node));
}

export async function nodesCommand(ctx: CliContext, raw: Record<string, unknown>): Promise<void> {
  const opts = parseFlags(JsonFlags, raw);
  const chain = await ctx.openChain();
  const nodes = await Promise.all((await listActiveNodes(chain)).map((n) => details(chain, n)));
  if (opts.json) {
    ctx.json(nodes);
    return;
  }
  if (nodes.length === 0) {
    ctx.io.out("no active nodes");
    return;
  }
  ctx.io.out(
    `${nodes.length} active node${nodes.length === 1 ? "" : "s"}:  address  stake  reputation  capability  endpoint`,
  );
  for (const n of nodes)
    ctx.io.out(
      `  ${n.address}  ${formatEther(n.staked).padStart(12)} CHR  ${rep(n.reputation)}  ${capShort(n.pass)}  ${n.endpoint}`,
    );
}

const rep = (r: number | null) => (r === null ? "-" : (r / 1_000_000).toFixed(4));

function capShort(p: PassView | null): string {
  if (!p) return "-";
  return p.capable ? `pass until ${iso(p.validUntil)}` : p.validUntil ? `pass expired ${iso(p.validUntil)}` : "no pass";
}

function capLong(p: PassView | null): string {
  if (!p) return "not required by this deployment";
  if (p.capable) return `valid until ${iso(p.validUntil)} (suite ${p.suiteId}, score ${p.score})`;
  const why = p.validUntil ? `pass expired ${iso(p.validUntil)}` : "no pass";
  return `${why}: not drawn into committees; ${HOW_TO_PASS}`;
}

function describe(n: NodeDetails): string {
  const lines = [
    `node        ${n.address}`,
    `status      ${n.active ? "active" : "inactive (stake below the minimum)"}`,
    `staked      ${formatEther(n.staked)} CHR`,
    `thawing     ${formatEther(n.thawing)} CHR${n.thawing > 0n ? ` (unlocks ${new Date(n.thawEnd * 1000).toISOString()})` : ""}`,
    `reputation  ${rep(n.reputation)}`,
    `capability  ${capLong(n.pass)}`,
    `endpoint    ${n.endpoint}`,
    `metadata    ${n.metadataCid}`,
    `joined      ${new Date(n.joinedAt * 1000).toISOString()}`,
  ];
  return lines.join("\n");
}
