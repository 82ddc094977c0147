import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { ChorusError } from "../core/index.js";
import { toChainError } from "./errors.js";

export interface ChainClients {
  publicClient: PublicClient<Transport, Chain>;
  /** Present when a private key (or account) was given. */
  walletClient?: WalletClient<Transport, Chain, Account>;
  chainId: number;
  rpcUrl: string;
}

export interface ConnectOptions {
  rpcUrl: string;
  privateKey?: `0x${string}`;
  /** Use this account instead of a private key (tests). */
  account?: Account;
  /** Use this transport instead of HTTP to rpcUrl (tests: Hardhat's in-process provider). */
  transport?: Transport;
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * A Multicall3 contract (`chain.multicall3`; public chains have it at 0xcA11bde05977b3631167028862bE2a173976CA11):
   * reads made in the same tick (a node's stake, reputation and capability for every node of the explorer) go
   * out as one eth_call through its aggregate3 (viem `batch.multicall`).
   */
  multicall3?: `0x${string}`;
}

/**
 * Connects to the chain and learns its id; an unreachable RPC gives ChorusError CHAIN_UNREACHABLE.
 */
export async function connectChain(opts: ConnectOptions): Promise<ChainClients> {
  const transport = opts.transport ?? http(opts.rpcUrl, { timeout: opts.timeoutMs ?? 10_000, retryCount: 1 });
  const probe = createPublicClient({ transport });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (err) {
    throw toChainError(err, { rpcUrl: opts.rpcUrl });
  }
  opts.signal?.throwIfAborted();
  const base: Chain =
    chainId === hardhat.id
      ? hardhat
      : defineChain({
          id: chainId,
          name: `chain-${chainId}`,
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          rpcUrls: { default: { http: [opts.rpcUrl] } },
        });
  const chain: Chain = opts.multicall3
    ? { ...base, contracts: { ...base.contracts, multicall3: { address: opts.multicall3 } } }
    : base;
  const publicClient: PublicClient<Transport, Chain> = createPublicClient<Transport, Chain>({
    chain,
    transport,
    ...(opts.multicall3 ? { batch: { multicall: true } } : {}),
  });
  let account = opts.account;
  if (!account && opts.privateKey) {
    try {
      account = privateKeyToAccount(opts.privateKey);
    } catch (cause) {
      throw new ChorusError("CONFIG_INVALID", "chain.privateKey is not a valid secp256k1 private key", {}, { cause });
    }
  }
  const walletClient = account ? createWalletClient({ chain, transport, account }) : undefined;
  return { publicClient, walletClient, chainId, rpcUrl: opts.rpcUrl };
}

/** The wallet, or a clear error telling the user how to give a key. */
export function requireWallet(c: ChainClients): WalletClient<Transport, Chain, Account> {
  if (!c.walletClient) {
    throw new ChorusError(
      "KEY_MISSING",
      "this command signs a transaction: pass --account NAME (an encrypted keystore: `chorus key new|import NAME`) or set CHORUS_PRIVATE_KEY (on the devnet, --dev-account <n> uses a well-known test key)",
    );
  }
  return c.walletClient;
}
