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
import { keystoreDir, loadKey, password } from "./keystore.js";

/** Hardhat's well-known development mnemonic: its keys are public, so only the devnet accepts them. */
export const DEVNET_MNEMONIC = "test test test test test test test test test test test junk";

export interface GlobalOptions {
  network?: string;
  rpcUrl?: string;
  key?: string;
  devAccount?: string;
  /** Name of an encrypted keystore in the keystore directory (`chorus key list`). */
  account?: string;
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
  private account?: Account;
  private keyLoaded?: Promise<void>;
  /** The private key of --dev-account, for commands that need raw key bytes (a node signs peer messages). */
  readonly devKey?: `0x${string}`;

  constructor(
    readonly opts: GlobalOptions,
    readonly io: Io,
    readonly env: Record<string, string | undefined>,
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
    const given = [
      opts.key !== undefined && "--key",
      opts.devAccount !== undefined && "--dev-account",
      opts.account !== undefined && "--account",
    ].filter(Boolean);
    if (given.length > 1)
      throw new ChorusError("INPUT_INVALID", `${given.join(" and ")} each name the signing key: give one`);
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

  /**
   * Decrypts the `--account` keystore (once) into `config.chain.privateKey`, for commands that need the key itself
   * (a node signs peer messages). `openChain` calls it.
   */
  resolveKey(): Promise<void> {
    this.keyLoaded ??= (async () => {
      if (this.opts.account === undefined) return;
      const pw = await password(this.env, { what: `key '${this.opts.account}'` });
      const { privateKey } = await loadKey(keystoreDir(this.env), this.opts.account, pw);
      this.config.chain.privateKey = privateKey;
    })();
    return this.keyLoaded;
  }

  /** The chain, connected once. */
  openChain(): Promise<ChorusChain> {
    this.chain ??= this.resolveKey()
      .then(() => openChorusChain(this.config, { account: this.account }))
      .then((c) => {
        if (this.account && c.chainId !== 31337) {
          throw new ChorusError(
            "INPUT_INVALID",
            `--dev-account needs the devnet (chain 31337), this is chain ${c.chainId}`,
          );
        }
        // A key on the command line is in `ps` and the shell's history: only for development chains.
        if (this.opts.key !== undefined && c.chainId !== 31337) {
          throw new ChorusError(
            "INPUT_INVALID",
            `--key is only for the devnet (a key on the command line shows in \`ps\` and shell history); keep it encrypted: \`chorus key import NAME --from FILE\`, then pass --account NAME`,
          );
        }
        return c;
      });
    return this.chain;
  }

  json(value: unknown): void {
    this.io.out(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
  }
}

function parseIndex(raw: string): number {
  const r = z.coerce.number().int().min(0).max(999).safeParse(raw);
  if (!r.success || !/^\d+$/.test(raw)) {
    throw new ChorusError("INPUT_INVALID", `--dev-account must be a whole number from 0 to 999, got '${raw}'`);
  }
  return r.data;
}
