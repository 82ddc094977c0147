/** CHR and gas money between accounts: `chorus transfer` and the devnet's `chorus faucet`. */
import { formatEther, type Address, type Hex } from "viem";
import { ChorusError } from "../core/index.js";
import { requireWallet } from "./clients.js";
import { chainErrorOf, chorusContracts, type ChorusChain } from "./contracts.js";

/** Sends `amount` CHR from the configured wallet to `to`; a short balance is reported in CHR before sending. */
export async function transferToken(
  chain: ChorusChain,
  to: Address,
  amount: bigint,
): Promise<{ hash: Hex; balance: bigint }> {
  const me = requireWallet(chain).account.address;
  const { token } = chorusContracts(chain);
  const balance = await token.read.balanceOf([me]);
  if (amount > balance) {
    throw new ChorusError(
      "INSUFFICIENT_BALANCE",
      `amount ${formatEther(amount)} CHR exceeds the balance of ${me}: ${formatEther(balance)} CHR`,
      { amount, balance },
    );
  }
  const { hash } = await token.write.transfer([to, amount]);
  return { hash, balance: await token.read.balanceOf([to]) };
}

/** Sends `amount` wei of the chain's native currency (gas money). */
export async function sendNative(
  chain: ChorusChain,
  to: Address,
  amount: bigint,
): Promise<{ hash: Hex; balance: bigint }> {
  const wallet = requireWallet(chain);
  try {
    const have = await chain.publicClient.getBalance({ address: wallet.account.address });
    if (amount > have)
      throw new ChorusError(
        "INSUFFICIENT_BALANCE",
        `amount ${formatEther(amount)} ETH exceeds the balance of ${wallet.account.address}: ${formatEther(have)} ETH`,
      );
    const hash = await wallet.sendTransaction({ to, value: amount });
    await chain.publicClient.waitForTransactionReceipt({ hash });
    return { hash, balance: await chain.publicClient.getBalance({ address: to }) };
  } catch (err) {
    throw chainErrorOf(chain, err);
  }
}
