/**
 * scripts/subgraph-manifest-lib.ts: network names, deployments validation and template rendering, with the
 * real template (subgraph/subgraph.template.yaml).
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { zeroAddress, type Abi } from "viem";
import { isChorusError, type ErrorCode } from "../../src/core/index.js";
import { PROJECT_ROOT } from "../../src/chain/deployments.js";
import {
  SUBGRAPH_CONTRACTS,
  chainIdOf,
  graphNetworkName,
  inputsFromDeployments,
  placeholderInputs,
  renderManifest,
} from "../../scripts/subgraph-manifest-lib.js";

const template = readFileSync(path.join(PROJECT_ROOT, "subgraph", "subgraph.template.yaml"), "utf8");
const abi: Abi = [{ type: "event", name: "X", inputs: [], anonymous: false }];
const address = (i: number) => `0x${(i + 1).toString(16).padStart(40, "0")}`;

function deployments(chainId = 11155111) {
  return {
    chainId,
    contracts: Object.fromEntries(
      SUBGRAPH_CONTRACTS.map((n, i) => [n, { address: address(i), blockNumber: 100 + i, abi }]),
    ),
  };
}

const throwsCode = (fn: () => unknown, code: ErrorCode, re: RegExp) => {
  try {
    fn();
  } catch (err) {
    expect(isChorusError(err, code), String(err)).to.equal(true);
    expect((err as Error).message).to.match(re);
    return;
  }
  expect.fail("did not throw");
};

describe("subgraph manifest", () => {
  it("fills every contract's address and start block and the network from a deployments file", () => {
    const inputs = inputsFromDeployments(deployments(), "d.json");
    expect(inputs.network).to.equal("sepolia");
    const yaml = renderManifest(template, inputs);
    SUBGRAPH_CONTRACTS.forEach((name, i) => {
      expect(yaml).to.match(
        new RegExp(
          `name: ${name}\\n    network: sepolia\\n    source:\\n      address: "0x0*${i + 1}"\\n      abi: ${name}\\n      startBlock: ${100 + i}\\n`,
        ),
      );
    });
    expect(yaml).not.to.match(/\{\{|\}\}/);
    expect(yaml.split("\n")[0]).to.match(/GENERATED .* deployments file/);
  });

  it("chain ids and network names: known ones map, unknown ones need --network-name", () => {
    expect(chainIdOf("31337")).to.equal(31337);
    expect(chainIdOf("arbitrum-one")).to.equal(42161);
    expect(graphNetworkName(31337)).to.equal("hardhat");
    expect(graphNetworkName(999, "my-chain")).to.equal("my-chain");
    throwsCode(() => chainIdOf("nowhere"), "SUBGRAPH_MANIFEST", /unknown network "nowhere"/);
    throwsCode(
      () => graphNetworkName(999),
      "SUBGRAPH_MANIFEST",
      /no known Graph network name for chain 999.*--network-name/,
    );
    throwsCode(() => graphNetworkName(1, "Bad Name"), "SUBGRAPH_MANIFEST", /lower-case/);
  });

  it("rejects a deployments file without a contract, with a bad address or without an ABI", () => {
    const d = deployments();
    delete (d.contracts as Record<string, unknown>).Disputes;
    throwsCode(() => inputsFromDeployments(d, "d.json"), "SUBGRAPH_MANIFEST", /d\.json has no Disputes contract/);
    const bad = deployments();
    (bad.contracts.Settlement as { address: string }).address = "0x1234";
    throwsCode(
      () => inputsFromDeployments(bad, "d.json"),
      "SUBGRAPH_MANIFEST",
      /contracts\.Settlement: address: must be an address/,
    );
    const noAbi = deployments();
    (noAbi.contracts.NodeRegistry as unknown as { abi: unknown[] }).abi = [];
    throwsCode(() => inputsFromDeployments(noAbi, "d.json"), "SUBGRAPH_MANIFEST", /contracts\.NodeRegistry: abi/);
    throwsCode(() => inputsFromDeployments({ contracts: {} }, "d.json"), "SUBGRAPH_MANIFEST", /not a deployments file/);
  });

  it("placeholder manifests say so and use the zero address", () => {
    const abis = Object.fromEntries(SUBGRAPH_CONTRACTS.map((n) => [n, abi])) as Record<
      (typeof SUBGRAPH_CONTRACTS)[number],
      Abi
    >;
    const yaml = renderManifest(template, placeholderInputs(abis));
    expect(yaml.split("\n")[0]).to.match(/PLACEHOLDER .* never deploy/);
    expect(yaml.match(new RegExp(`address: "${zeroAddress}"`, "g"))).to.have.length(SUBGRAPH_CONTRACTS.length);
  });

  it("a template with an unknown or a missing placeholder is an error", () => {
    const inputs = inputsFromDeployments(deployments(), "d.json");
    throwsCode(
      () => renderManifest(template + "\n# {{Token.address}}\n", inputs),
      "SUBGRAPH_MANIFEST",
      /\{\{Token\.address\}\}/,
    );
    throwsCode(
      () => renderManifest(template.replace("{{Disputes.startBlock}}", "0"), inputs),
      "SUBGRAPH_MANIFEST",
      /lacks \{\{Disputes\.startBlock\}\}/,
    );
  });
});
