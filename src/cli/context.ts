/**
 * What every command gets: the validated config, a lazily opened chain, and one way to print results
 * (human lines or --json) and errors (one line on stderr, never a stack trace).
 */
import { mnemonicToAccount } from "viem/accounts";
import type { Account } from "viem";
import { z } from "zod";
import { loadConfig, type ChorusConfig } from "../config/index.js";
import { openChorusChain, type ChorusChain } from "../chain/index.js";
import { ChorusError } from "../core/index.js";

/** Hardhat's well-known development mnemonic: its keys are public, so only the devnet accepts them. */
export const DEVNET_MNEMONIC = "test test test test test test test test test test test junk";

export interface GlobalOptions {
  network?: string;
  rpcUrl?: string;
  key?: string;
  devAccount?: string;
  config?: string;
  deployments?: string;
  gateway?: string;
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export class CliContext {
  readonly config: ChorusConfig;
  private chain?: Promise<ChorusChain>;
  private readonly account?: Account;
  /** The private key of --dev-account, for commands that need raw key bytes (a node signs peer messages). */
  readonly devKey?: `0x${string}`;

  constructor(
    readonly opts: GlobalOptions,
    readonly io: Io,
    env: Record<string, string | undefined>,
  ) {
    this.config = loadConfig({
      file: opts.config,
      env,
      overrides: {
        network: opts.network,
        chain: { rpcUrl: opts.rpcUrl, privateKey: opts.key, deploymentsFile: opts.deployments },
        gateway: { url: opts.gateway },
      },
    });
    if (opts.devAccount !== undefined) {
      if (this.config.network !== "devnet") {
        throw new ChorusError("INPUT_INVALID", "--dev-account only works on the devnet (its keys are public)");
      }
      const index = parseIndex(opts.devAccount);
      const hd = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index });
      this.account = hd;
      const pk = hd.getHdKey().privateKey;
      if (pk) this.devKey = `0x${Buffer.from(pk).toString("hex")}`;
    }
  }

  /** The chain, connected once. */
  openChain(): Promise<ChorusChain> {
    this.chain ??= openChorusChain(this.config, { account: this.account }).then((c) => {
      if (this.account && c.chainId !== 31337) {
        throw new ChorusError("INPUT_INVALID", `--dev-account needs the devnet (chain 31337), this is chain ${c.chainId}`);
      }
      return c;
    });
    return this.chain;
  }

  json(value: unknown): void {
    this.io.out(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  }
}

function parseIndex(raw: string): number {
  const r = z.coerce.number().int().min(0).max(999).safeParse(raw);
  if (!r.success || !/^\d+$/.test(raw)) {
    throw new ChorusError("INPUT_INVALID", `--dev-account must be a whole number from 0 to 999, got '${raw}'`);
  }
  return r.data;
}
