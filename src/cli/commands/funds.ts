/**
 * `chorus transfer <to> <amount>` (CHR, or gas money with --eth) and `chorus faucet [address]`: on the devnet
 * only, CHR and gas from the devnet's deployer (test account 0, which holds the initial mint), so a newcomer can
 * stake and calibrate. Anywhere else the faucet refuses and says how CHR is obtained there.
 */
import { formatEther, parseEther, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { z } from "zod";
import { openChorusChain, requireWallet, sendNative, transferToken } from "../../chain/index.js";
import { ChorusError } from "../../core/index.js";
import { DEVNET_MNEMONIC, type CliContext } from "../context.js";
import { parseAddress, parseAmount, parseFlags } from "../parse.js";

export async function transferCommand(
  ctx: CliContext,
  toRaw: string,
  amountRaw: string,
  raw: Record<string, unknown>,
): Promise<void> {
  const f = parseFlags(z.object({ eth: z.boolean().optional(), json: z.boolean().optional() }).strict(), raw);
  const to = parseAddress(toRaw);
  const amount = parseAmount(amountRaw);
  const chain = await ctx.openChain();
  const r = f.eth ? await sendNative(chain, to, amount) : await transferToken(chain, to, amount);
  const unit = f.eth ? "ETH" : "CHR";
  if (f.json) {
    ctx.json({
      from: requireWallet(chain).account.address,
      to,
      amount,
      unit,
      txHash: r.hash,
      balance: r.balance,
    });
    return;
  }
  ctx.io.out(`sent ${formatEther(amount)} ${unit} to ${to} (tx ${r.hash}); it holds ${formatEther(r.balance)} ${unit}`);
}

const FaucetFlags = z
  .object({
    amount: z
      .string()
      .regex(/^\d+(\.\d{1,18})?$/, "must be a number of CHR")
      .transform((s) => parseEther(s))
      .refine((v) => v > 0n && v <= parseEther("100000"), "must be more than 0 and at most 100000 CHR")
      .default(parseEther("1000")),
    json: z.boolean().optional(),
  })
  .strict();

/** CHR and gas from the devnet's deployer: devnet only. */
export async function faucetCommand(
  ctx: CliContext,
  addressRaw: string | undefined,
  raw: Record<string, unknown>,
): Promise<void> {
  const f = parseFlags(FaucetFlags, raw);
  const refuse = (why: string) =>
    new ChorusError(
      "INPUT_INVALID",
      `the faucet only works on the devnet (${why}); on a public network CHR comes from its holders: ask an operator or the deployment's treasury, who sends it with \`chorus transfer <your address> <amount>\``,
    );
  if (ctx.config.network !== "devnet") throw refuse(`this is network '${ctx.config.network}'`);
  let to: Address;
  if (addressRaw) to = parseAddress(addressRaw);
  else {
    const mine = await ctx.openChain();
    if (!mine.walletClient)
      throw new ChorusError(
        "INPUT_INVALID",
        "give the address to fund, or your key (--account NAME, --dev-account n) to fund yourself",
      );
    to = mine.walletClient.account.address;
  }
  const chain = await openChorusChain(ctx.config, { account: mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 0 }) });
  if (chain.chainId !== 31337) throw refuse(`chain ${chain.chainId} is not the devnet's 31337`);
  const gas = parseEther("1");
  const eth = await chain.publicClient.getBalance({ address: to });
  const gasTx = eth < gas ? (await sendNative(chain, to, gas - eth)).hash : undefined;
  const r = await transferToken(chain, to, f.amount);
  if (f.json) {
    ctx.json({ to, amount: f.amount, balance: r.balance, txHash: r.hash, gasTx });
    return;
  }
  ctx.io.out(
    `faucet: sent ${formatEther(f.amount)} CHR to ${to} (tx ${r.hash})${gasTx ? " and 1 ETH for gas" : ""}; it holds ${formatEther(r.balance)} CHR`,
  );
}
