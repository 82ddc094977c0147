/**
 * Node operator actions and views on NodeRegistry (stake, unstake, withdraw, node info, the active set).
 */
import { formatEther, type Address, type Hex } from "viem";
import { ChorusError } from "../core/index.js";
import { chorusContracts, type ChorusChain } from "./contracts.js";
import { requireWallet } from "./clients.js";

export interface NodeView {
  address: Address;
  registered: boolean;
  active: boolean;
  staked: bigint;
  thawing: bigint;
  /** Unix seconds when the thawing stake unlocks (0 when nothing is thawing). */
  thawEnd: number;
  joinedAt: number;
  endpoint: string;
  metadataCid: Hex;
}

export async function getNode(chain: ChorusChain, address: Address): Promise<NodeView> {
  const raw = await chorusContracts(chain).nodeRegistry.read.nodeInfo([address]);
  return {
    address,
    registered: raw.registered,
    active: raw.active,
    staked: raw.staked,
    thawing: raw.thawing,
    thawEnd: Number(raw.thawEnd),
    joinedAt: Number(raw.joinedAt),
    endpoint: raw.endpoint,
    metadataCid: raw.metadataCid,
  };
}

/** Every node of the active set, read page by page. */
export async function listActiveNodes(chain: ChorusChain, opts: { pageSize?: number } = {}): Promise<NodeView[]> {
  const pageSize = BigInt(opts.pageSize ?? 100);
  const addresses: Address[] = [];
  for (let offset = 0n; ; offset += pageSize) {
    const page = await chorusContracts(chain).nodeRegistry.read.activeNodes([offset, pageSize]);
    addresses.push(...page);
    if (BigInt(page.length) < pageSize) break;
  }
  const nodes = await Promise.all(addresses.map((a) => getNode(chain, a)));
  return nodes.filter((n) => n.active);
}

export async function tokenBalance(chain: ChorusChain, address: Address): Promise<bigint> {
  return chorusContracts(chain).token.read.balanceOf([address]);
}

export interface StakeResult {
  action: "joined" | "added";
  amount: bigint;
  staked: bigint;
  txs: Hex[];
}

/**
 * Joins with `amount` (or adds it when the node is already registered, updating the endpoint or metadata
 * when they differ). Approves the registry for the amount when the allowance is short. Checks the balance
 * first so that "more than you have" is reported in tokens, not as a revert.
 */
export async function stake(
  chain: ChorusChain,
  opts: { amount: bigint; endpoint: string; metadataCid?: Hex },
): Promise<StakeResult> {
  const me = requireWallet(chain).account.address;
  if (opts.amount <= 0n) throw new ChorusError("INPUT_INVALID", "amount must be greater than 0");
  const balance = await tokenBalance(chain, me);
  if (opts.amount > balance) {
    throw new ChorusError(
      "INSUFFICIENT_BALANCE",
      `amount ${formatEther(opts.amount)} CHR exceeds the balance of ${me}: ${formatEther(balance)} CHR`,
      { amount: opts.amount, balance, account: me },
    );
  }
  const { token, nodeRegistry } = chorusContracts(chain);
  const txs: Hex[] = [];
  const allowance = await token.read.allowance([me, nodeRegistry.address]);
  if (allowance < opts.amount) {
    txs.push((await token.write.approve([nodeRegistry.address, opts.amount])).hash);
  }
  const before = await getNode(chain, me);
  const metadataCid = opts.metadataCid ?? before.metadataCid;
  if (!before.registered) {
    txs.push((await nodeRegistry.write.stake([opts.amount, opts.endpoint, metadataCid])).hash);
  } else {
    txs.push((await nodeRegistry.write.addStake([opts.amount])).hash);
    if (before.endpoint !== opts.endpoint || (opts.metadataCid && opts.metadataCid !== before.metadataCid)) {
      txs.push((await nodeRegistry.write.updateNode([opts.endpoint, metadataCid])).hash);
    }
  }
  const after = await getNode(chain, me);
  return { action: before.registered ? "added" : "joined", amount: opts.amount, staked: after.staked, txs };
}

export async function requestUnstake(chain: ChorusChain, amount: bigint): Promise<{ hash: Hex; node: NodeView }> {
  const me = requireWallet(chain).account.address;
  const node = await getNode(chain, me);
  if (!node.registered) throw new ChorusError("NOT_REGISTERED", `${me} has never staked`, { account: me });
  if (amount > node.staked) {
    throw new ChorusError(
      "INSUFFICIENT_STAKE",
      `cannot unstake ${formatEther(amount)} CHR: ${me} has ${formatEther(node.staked)} CHR staked`,
      { amount, staked: node.staked },
    );
  }
  const { hash } = await chorusContracts(chain).nodeRegistry.write.requestUnstake([amount]);
  return { hash, node: await getNode(chain, me) };
}

export async function withdraw(chain: ChorusChain): Promise<{ hash: Hex; amount: bigint }> {
  const me = requireWallet(chain).account.address;
  const node = await getNode(chain, me);
  if (node.thawing === 0n) throw new ChorusError("NOTHING_TO_WITHDRAW", `${me} has no thawing stake to withdraw`);
  const block = await chain.publicClient.getBlock();
  if (Number(block.timestamp) < node.thawEnd) {
    throw new ChorusError(
      "STILL_THAWING",
      `${formatEther(node.thawing)} CHR unlocks at ${new Date(node.thawEnd * 1000).toISOString()} (in ${node.thawEnd - Number(block.timestamp)} s)`,
      { thawEnd: node.thawEnd },
    );
  }
  const { hash } = await chorusContracts(chain).nodeRegistry.write.withdraw();
  return { hash, amount: node.thawing };
}
