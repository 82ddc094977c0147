/**
 * Typed handles on the Chorus contracts: the deployment gives the addresses, src/chain/abi (generated `as const`
 * from the compiled contracts by scripts/gen-abi.ts) the ABIs, so every function name, argument and result is
 * checked by the compiler.
 *
 * @example
 * const { settlement, token } = chorusContracts(chain);
 * const closed = await settlement.read.isClosed([roundId]); // boolean
 * const { hash } = await token.write.approve([spender, amount]); // simulated, sent, mined
 */
import {
  getContract,
  type Abi,
  type Address,
  type Chain,
  type GetContractReturnType,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
} from "viem";
import {
  capabilityRegistryAbi,
  CHORUS_ABIS,
  chorusTimelockAbi,
  chorusTokenAbi,
  disputesAbi,
  goldRegistryAbi,
  nodeRegistryAbi,
  omissionsAbi,
  settlementAbi,
  sourceRegistryAbi,
  type ContractName,
} from "./abi/index.js";
import type { ChainClients } from "./clients.js";
import { requireWallet } from "./clients.js";
import { contractOf, type Deployments } from "./deployments.js";
import { toChainError } from "./errors.js";

/** A connected chain plus the Chorus deployment on it. */
export interface ChorusChain extends ChainClients {
  deployments: Deployments;
  /** Most blocks one eth_getLogs call spans (`chain.logRange`; default 10,000): see logs.ts. */
  logRange?: number;
}

type Public = PublicClient<Transport, Chain>;
/** viem's contract instance on the public client, for the ABI `A`. */
type Instance<A extends Abi> = GetContractReturnType<A, Public>;
/** What a handle is made from: a viem contract instance of a concrete ABI. */
interface AnyInstance {
  address: Address;
  abi: Abi;
  read: object;
  getEvents: object;
  simulate: object;
}

/** A mined transaction. */
export interface Sent {
  hash: Hex;
  receipt: TransactionReceipt;
}

/** `write.fn(args)`: simulates `fn` from the chain's wallet, sends it and waits for its receipt. */
export type Sender<S> = {
  [F in keyof S]: S[F] extends (...args: infer P) => Promise<unknown> ? (...args: P) => Promise<Sent> : never;
};

/** One deployed contract, typed by its ABI. Every call's error comes back as a ChorusError (CHAIN_*). */
export interface ContractHandle<C extends AnyInstance> {
  readonly address: Address;
  readonly abi: C["abi"];
  /** Views (`read.fn(args, { blockNumber })` reads at a past block). */
  readonly read: C["read"];
  /** Event logs with typed args (`getEvents.Name(filter, { fromBlock })`). */
  readonly getEvents: C["getEvents"];
  /**
   * Transactions from the chain's wallet (KEY_MISSING without one): simulated first, so a revert is reported before
   * anything is sent, as CHAIN_REVERTED with the custom error and its arguments; then sent and mined.
   */
  readonly write: Sender<C["simulate"]>;
}

/** The Chorus deployment's contracts. A required one missing from the deployment is DEPLOYMENTS_INVALID on access. */
export interface ChorusContracts {
  readonly token: ContractHandle<Instance<typeof chorusTokenAbi>>;
  readonly nodeRegistry: ContractHandle<Instance<typeof nodeRegistryAbi>>;
  readonly settlement: ContractHandle<Instance<typeof settlementAbi>>;
  /** Absent on deployments without capability passes (every node counts as capable). */
  readonly capabilityRegistry: ContractHandle<Instance<typeof capabilityRegistryAbi>> | undefined;
  /** Absent on deployments without data sources (no RAG from sources). */
  readonly sourceRegistry: ContractHandle<Instance<typeof sourceRegistryAbi>> | undefined;
  readonly disputes: ContractHandle<Instance<typeof disputesAbi>>;
  readonly omissions: ContractHandle<Instance<typeof omissionsAbi>>;
  readonly timelock: ContractHandle<Instance<typeof chorusTimelockAbi>>;
  /** Absent on deployments without gold sets (deploy/08_gold.ts). */
  readonly goldRegistry: ContractHandle<Instance<typeof goldRegistryAbi>> | undefined;
}

/** Every custom error of every Chorus contract: decodes a revert whichever contract raised it. */
const ERROR_ABI: Abi = Object.values(CHORUS_ABIS).flatMap((abi) => abi.filter((item) => item.type === "error"));

/** `err` as a ChorusError, custom errors decoded. */
export function chainErrorOf(chain: ChainClients, err: unknown) {
  return toChainError(err, { rpcUrl: chain.rpcUrl, abi: ERROR_ABI });
}

/** `target` with every method's rejection mapped to a ChorusError. */
function mappingErrors<T extends object>(chain: ChainClients, target: T): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const member: unknown = Reflect.get(t, prop, receiver);
      if (typeof member !== "function") return member;
      return async (...args: unknown[]) => {
        try {
          const result: unknown = await member.apply(t, args);
          return result;
        } catch (err) {
          throw chainErrorOf(chain, err);
        }
      };
    },
  });
}

/** The handle on viem's contract instance `c`: errors mapped, writes simulated, sent from the wallet and mined. */
function handleOf<C extends AnyInstance>(chain: ChorusChain, c: C): ContractHandle<C> {
  // Every member of `write` is made on access from the same-named member of `simulate` (see Sender).
  const write = new Proxy(Object.create(null) as Sender<C["simulate"]>, {
    get:
      (_t, fn) =>
      async (...args: unknown[]) => {
        try {
          const wallet = requireWallet(chain);
          const simulate: unknown = Reflect.get(c.simulate, fn);
          if (typeof simulate !== "function")
            throw new TypeError(`contract ${c.address} has no function ${String(fn)}`);
          // simulate.fn(args, options) or, without inputs, simulate.fn(options): the wallet's account goes in options
          const withAccount = Array.isArray(args[0])
            ? [args[0], { ...(args[1] ?? {}), account: wallet.account }]
            : [{ ...(args[0] ?? {}), account: wallet.account }];
          const simulated = (await simulate.apply(c.simulate, withAccount)) as {
            request: Parameters<typeof wallet.writeContract>[0];
          };
          const hash = await wallet.writeContract(simulated.request);
          const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
          if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
          return { hash, receipt };
        } catch (err) {
          throw chainErrorOf(chain, err);
        }
      },
  });
  return {
    address: c.address,
    abi: c.abi,
    read: mappingErrors(chain, c.read),
    getEvents: mappingErrors(chain, c.getEvents),
    write,
  };
}

const memo = new WeakMap<ChorusChain, ChorusContracts>();

/** The typed contracts of `chain`'s deployment (built once per chain object). */
export function chorusContracts(chain: ChorusChain): ChorusContracts {
  let got = memo.get(chain);
  if (got) return got;
  const lazy = <T>(make: () => T): (() => T) => {
    let made: { value: T } | undefined;
    return () => (made ??= { value: make() }).value;
  };
  const client = chain.publicClient;
  const at = (name: ContractName) => contractOf(chain.deployments, name).address;
  const deployed = (name: ContractName) => name in chain.deployments.contracts;
  const token = lazy(() => handleOf(chain, getContract({ address: at("ChorusToken"), abi: chorusTokenAbi, client })));
  const nodeRegistry = lazy(() =>
    handleOf(chain, getContract({ address: at("NodeRegistry"), abi: nodeRegistryAbi, client })),
  );
  const settlement = lazy(() =>
    handleOf(chain, getContract({ address: at("Settlement"), abi: settlementAbi, client })),
  );
  const capabilityRegistry = lazy(() =>
    deployed("CapabilityRegistry")
      ? handleOf(chain, getContract({ address: at("CapabilityRegistry"), abi: capabilityRegistryAbi, client }))
      : undefined,
  );
  const sourceRegistry = lazy(() =>
    deployed("SourceRegistry")
      ? handleOf(chain, getContract({ address: at("SourceRegistry"), abi: sourceRegistryAbi, client }))
      : undefined,
  );
  const disputes = lazy(() => handleOf(chain, getContract({ address: at("Disputes"), abi: disputesAbi, client })));
  const omissions = lazy(() => handleOf(chain, getContract({ address: at("Omissions"), abi: omissionsAbi, client })));
  const timelock = lazy(() =>
    handleOf(chain, getContract({ address: at("ChorusTimelock"), abi: chorusTimelockAbi, client })),
  );
  const goldRegistry = lazy(() =>
    deployed("GoldRegistry")
      ? handleOf(chain, getContract({ address: at("GoldRegistry"), abi: goldRegistryAbi, client }))
      : undefined,
  );
  got = {
    get goldRegistry() {
      return goldRegistry();
    },
    get token() {
      return token();
    },
    get nodeRegistry() {
      return nodeRegistry();
    },
    get settlement() {
      return settlement();
    },
    get capabilityRegistry() {
      return capabilityRegistry();
    },
    get sourceRegistry() {
      return sourceRegistry();
    },
    get disputes() {
      return disputes();
    },
    get omissions() {
      return omissions();
    },
    get timelock() {
      return timelock();
    },
  };
  memo.set(chain, got);
  return got;
}
