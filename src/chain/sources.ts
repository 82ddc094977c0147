/**
 * Data sources on SourceRegistry: register, update, leave, read one source, list the active ones with their
 * reliability and usefulness (reputation scale, 1_000_000 = 1.0). Manifest CIDs are stored on chain as the
 * bytes32 sha2-256 digest of their dag-json CIDv1 (src/ipfs cidToBytes32 / bytes32ToCid).
 */
import type { Address, Hex } from "viem";
import { ChorusError, compareAddress } from "../core/index.js";
import { bytes32ToCid, cidToBytes32 } from "../ipfs/index.js";
import type { SourceInfo } from "../protocol/index.js";
import { requireWallet } from "./clients.js";
import { chorusContracts, type ChorusChain } from "./contracts.js";

/** SourceRegistry of the deployment, or DEPLOYMENTS_INVALID for the operations that need it. */
function registryOf(chain: ChorusChain) {
  const registry = chorusContracts(chain).sourceRegistry;
  if (!registry) {
    throw new ChorusError(
      "DEPLOYMENTS_INVALID",
      `deployment for chain ${chain.chainId} has no SourceRegistry contract`,
      {
        chainId: chain.chainId,
        name: "SourceRegistry",
      },
    );
  }
  return registry;
}

/** Everything the registry knows about a source, with the manifest as a CID string. */
export interface SourceView extends SourceInfo {
  registered: boolean;
  active: boolean;
  registeredAt: number;
  updatedAt: number;
  manifestCid: Hex;
  /** The manifest's CID (`bagu…`), or null when never registered. */
  manifest: string | null;
}

const ZERO32 = `0x${"00".repeat(32)}`;

export async function sourceOf(chain: ChorusChain, address: Address): Promise<SourceView> {
  const raw = await registryOf(chain).read.sourceOf([address]);
  return {
    address,
    endpoint: raw.endpoint,
    reliability: raw.reliability,
    usefulness: raw.usefulness,
    registered: raw.registered,
    active: raw.active,
    registeredAt: Number(raw.registeredAt),
    updatedAt: Number(raw.updatedAt),
    manifestCid: raw.manifestCid,
    manifest: raw.registered && raw.manifestCid !== ZERO32 ? bytes32ToCid(raw.manifestCid).toString() : null,
  };
}

/** Every active source with its scores, read page by page, sorted by address. */
export async function listSources(chain: ChorusChain, opts: { pageSize?: number } = {}): Promise<SourceView[]> {
  const pageSize = BigInt(opts.pageSize ?? 100);
  const addresses: Address[] = [];
  for (let offset = 0n; ; offset += pageSize) {
    const page = await registryOf(chain).read.activeSources([offset, pageSize]);
    addresses.push(...page);
    if (BigInt(page.length) < pageSize) break;
  }
  const views = await Promise.all([...new Set(addresses)].map((a) => sourceOf(chain, a)));
  return views.filter((s) => s.active).sort((a, b) => compareAddress(a.address, b.address));
}

function manifestBytes32(manifestCid: string): Hex {
  try {
    return cidToBytes32(manifestCid);
  } catch (err) {
    throw new ChorusError(
      "INPUT_INVALID",
      `manifest CID '${manifestCid}' is not a sha2-256 CID: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
}

/** A source's bond on chain: `amount` held, withdrawable from `unlocksAt` (0 while active). */
export interface SourceBond {
  amount: bigint;
  unlocksAt: number;
}

export async function sourceBondOf(chain: ChorusChain, address: Address): Promise<SourceBond> {
  const b = await registryOf(chain).read.bondOf([address]);
  return { amount: b.amount, unlocksAt: Number(b.unlocksAt) };
}

/** The bond a registration needs (token wei). */
export async function minSourceBond(chain: ChorusChain): Promise<bigint> {
  return registryOf(chain).read.minBond();
}

/**
 * Registers the wallet as a source (or re-activates it after leaving, keeping its scores). The registry pulls
 * the bond it lacks (minBond minus what it still holds): this approves it first, after checking the balance.
 */
export async function registerSource(
  chain: ChorusChain,
  opts: { endpoint: string; manifestCid: string },
): Promise<{ hash: Hex; bond: bigint }> {
  const me = requireWallet(chain).account.address;
  const need = await minSourceBond(chain);
  const held = (await sourceBondOf(chain, me)).amount;
  const topUp = need > held ? need - held : 0n;
  if (topUp > 0n) {
    const { token } = chorusContracts(chain);
    const balance = await token.read.balanceOf([me]);
    if (balance < topUp) {
      throw new ChorusError(
        "INSUFFICIENT_BALANCE",
        `registering a source needs a bond of ${topUp} CHR wei; ${me} holds ${balance}`,
        {
          account: me,
          need: topUp,
          balance,
        },
      );
    }
    const registry = registryOf(chain).address;
    const allowance = await token.read.allowance([me, registry]);
    if (allowance < topUp) await token.write.approve([registry, topUp]);
  }
  const { hash } = await registryOf(chain).write.register([opts.endpoint, manifestBytes32(opts.manifestCid)]);
  return { hash, bond: need > held ? need : held };
}

/** Withdraws the wallet's source bond once it left and the unbonding delay is over. */
export async function withdrawSourceBond(chain: ChorusChain): Promise<{ hash: Hex; amount: bigint }> {
  const me = requireWallet(chain).account.address;
  const b = await sourceBondOf(chain, me);
  const { hash } = await registryOf(chain).write.withdrawBond();
  return { hash, amount: b.amount };
}

/** Changes the wallet's endpoint and manifest. */
export async function updateSource(
  chain: ChorusChain,
  opts: { endpoint: string; manifestCid: string },
): Promise<{ hash: Hex }> {
  const { hash } = await registryOf(chain).write.update([opts.endpoint, manifestBytes32(opts.manifestCid)]);
  return { hash };
}

/** The wallet stops being an active source (it keeps its scores). */
export async function leaveSource(chain: ChorusChain): Promise<{ hash: Hex }> {
  const me = requireWallet(chain).account.address;
  const s = await sourceOf(chain, me);
  if (!s.active) throw new ChorusError("NOT_REGISTERED", `${me} is not an active source`, { source: me });
  const { hash } = await registryOf(chain).write.leave();
  return { hash };
}

export type EnsureAction = "registered" | "reactivated" | "updated" | "unchanged";

/**
 * Makes the chain announce `endpoint` and `manifestCid` for the wallet's source: registers it, re-activates it
 * after a leave, updates it when the endpoint or the manifest changed, or does nothing when both are current.
 */
export async function ensureSource(
  chain: ChorusChain,
  opts: { endpoint: string; manifestCid: string },
): Promise<{ action: EnsureAction; hash?: Hex; source: SourceView }> {
  const me = requireWallet(chain).account.address;
  const before = await sourceOf(chain, me);
  const digest = manifestBytes32(opts.manifestCid);
  let action: EnsureAction;
  let hash: Hex | undefined;
  if (!before.active) {
    ({ hash } = await registerSource(chain, opts));
    action = before.registered ? "reactivated" : "registered";
  } else if (before.endpoint !== opts.endpoint || before.manifestCid.toLowerCase() !== digest.toLowerCase()) {
    ({ hash } = await updateSource(chain, opts));
    action = "updated";
  } else {
    action = "unchanged";
  }
  return { action, hash, source: await sourceOf(chain, me) };
}
