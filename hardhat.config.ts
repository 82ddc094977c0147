import "@nomicfoundation/hardhat-toolbox-viem";
import "@nomicfoundation/hardhat-ethers";
import "@nomicfoundation/hardhat-chai-matchers";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST_RUN_MOCHA_TESTS } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";

// The compiler comes from the `solc` npm package (solc/soljson.js), pinned to exactly this version:
// Hardhat's own download host is unreachable on the build machines and in CI.
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper(args);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc");
  const longVersion = String(solc.version()).replace(/\.Emscripten\.clang$/, "");
  if (!longVersion.startsWith(SOLC_VERSION)) {
    throw new Error(`npm package solc is ${longVersion}; hardhat.config.ts expects ${SOLC_VERSION}`);
  }
  return { compilerPath: require.resolve("solc/soljson.js"), isSolcJs: true, version: SOLC_VERSION, longVersion };
});

// Tests are ESM TypeScript (test/package.json says "module", loaded through tsx). Hardhat 2 only uses
// Mocha's async loader for "type": "module" projects, so `hardhat coverage` (which runs tests in-process)
// gets the async loader here; run it with NODE_OPTIONS=--import=tsx (see the `coverage` npm script).
subtask(TASK_TEST_RUN_MOCHA_TESTS, async (args: { testFiles: string[] }, hre) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Mocha = require("mocha");
  const mocha = new Mocha(hre.config.mocha);
  for (const file of args.testFiles) mocha.addFile(file);
  await mocha.loadFilesAsync();
  const failures: number = await new Promise((resolve) => mocha.run(resolve));
  mocha.dispose();
  return failures;
});

const rpcUrl = process.env.CHORUS_RPC_URL;
const privateKey = process.env.CHORUS_PRIVATE_KEY;

const config: HardhatUserConfig = {
  solidity: {
    compilers: [
      {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun", viaIR: false },
      },
    ],
    // Settlement must fit 24,576 bytes: its cold paths (batches, voids, views) are optimised for size, which costs
    // its hot path (EpochCodec, in assembly) nothing measurable (npm run bench:gas)
    overrides: {
      "contracts/Settlement.sol": {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun", viaIR: false },
      },
    },
  },
  networks: {
    // CHORUS_CHAIN_INITIAL_DATE: the devnet's `hardhat node` starts its clock there (scripts/lib/devnet-chain.ts)
    hardhat: {
      hardfork: "cancun",
      allowUnlimitedContractSize: false,
      ...(process.env.CHORUS_CHAIN_INITIAL_DATE ? { initialDate: process.env.CHORUS_CHAIN_INITIAL_DATE } : {}),
    },
    localhost: { url: "http://127.0.0.1:8545" },
    ...(rpcUrl ? { remote: { url: rpcUrl, accounts: privateKey ? [privateKey] : [] } } : {}),
  },
  etherscan: {
    apiKey: process.env.CHORUS_ETHERSCAN_API_KEY ?? "",
    customChains: process.env.CHORUS_EXPLORER_API_URL
      ? [
          {
            network: "remote",
            chainId: Number(process.env.CHORUS_CHAIN_ID ?? 0),
            urls: { apiURL: process.env.CHORUS_EXPLORER_API_URL, browserURL: process.env.CHORUS_EXPLORER_URL ?? "" },
          },
        ]
      : [],
  },
  sourcify: { enabled: false },
  gasReporter: { enabled: process.env.REPORT_GAS === "true", offline: true },
  mocha: { timeout: 120_000 },
};

export default config;
