/**
 * `npm run deploy`: deploys Chorus to the network in CHORUS_RPC_URL with CHORUS_PRIVATE_KEY and writes
 * deployments/<chainId>.json. Parameters from flags: --min-stake <CHR> --thawing <seconds> --treasury <addr>
 * --mint <CHR> (initial supply to the deployer; default 0).
 */
import { parseArgs } from "node:util";
import { createWalletClient, getAddress, isAddress, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import { deployAll, writeDeployments } from "../deploy/index.js";
import { connectChain } from "../src/chain/index.js";
import { loadConfig } from "../src/config/index.js";

const Flags = z
  .object({
    "min-stake": z
      .string()
      .regex(/^\d+(\.\d+)?$/, "must be a number of CHR")
      .default("1000"),
    thawing: z
      .string()
      .regex(/^\d+$/, "must be whole seconds")
      .default(String(7 * 24 * 3600)),
    treasury: z
      .string()
      .refine((v) => isAddress(v), "must be an address")
      .optional(),
    mint: z
      .string()
      .regex(/^\d+(\.\d+)?$/, "must be a number of CHR")
      .default("0"),
  })
  .strict();

async function main() {
  const { values } = parseArgs({
    options: {
      "min-stake": { type: "string" },
      thawing: { type: "string" },
      treasury: { type: "string" },
      mint: { type: "string" },
    },
    strict: true,
  });
  const flags = Flags.safeParse(values);
  if (!flags.success) throw new Error(flags.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; "));
  const config = loadConfig();
  if (!config.chain.privateKey) throw new Error("set CHORUS_PRIVATE_KEY (see .env.example)");
  const chain = await connectChain({
    rpcUrl: config.chain.rpcUrl!,
    privateKey: config.chain.privateKey as `0x${string}`,
  });
  const account = privateKeyToAccount(config.chain.privateKey as `0x${string}`);
  const walletClient = createWalletClient({
    chain: chain.publicClient.chain,
    transport: chain.publicClient.transport as never,
    account,
  });
  const deployments = await deployAll({
    publicClient: chain.publicClient,
    walletClient: walletClient,
    params: {
      minStake: parseEther(flags.data["min-stake"]),
      thawingPeriod: Number(flags.data.thawing),
      treasury: flags.data.treasury ? getAddress(flags.data.treasury) : undefined,
      initialMint: parseEther(flags.data.mint),
    },
    log: (l) => console.log(l),
  });
  console.log(`wrote ${await writeDeployments(deployments)}`);
}

main().catch((err) => {
  console.error(`deploy: ${(err as Error).message}`);
  process.exit(1);
});
