/**
 * The devnet's curator loop, one pass at a time on the in-process chain: it opens a suite when none is open,
 * leaves the open one alone while it has enough commit time left, opens the next one when it runs short, and
 * reveals a suite's key once its commits have closed; the items are in the IPFS store node 1 serves.
 */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { writeDeployments } from "../../deploy/index.js";
import { getSuite, listSuites, openChorusChain, type ChorusChain } from "../../src/chain/index.js";
import { loadConfig } from "../../src/config/index.js";
import { bytes32ToCid, openArtifactStore } from "../../src/ipfs/index.js";
import { devAccount } from "../../scripts/lib/devnet-chain.js";
import { curatorTick, type CuratorLoopOptions } from "../../scripts/lib/devnet-curator.js";
import { deployChorus } from "../kit/fixtures.js";
import { startRpcServer, type RpcServer } from "../helpers/rpc-server.js";

describe("devnet curator loop (keeps a calibration suite open for newcomers)", function () {
  this.timeout(180_000);
  let rpc: RpcServer | undefined;
  let dir: string;
  let chain: ChorusChain;
  const logs: string[] = [];
  let opts: CuratorLoopOptions;

  before(async () => {
    const f = await deployChorus();
    const server = await startRpcServer();
    rpc = server;
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-curator-"));
    const deploymentsFile = await writeDeployments(f.deployments, dir);
    chain = await openChorusChain(
      loadConfig({ env: {}, overrides: { network: "custom", chain: { rpcUrl: server.url, deploymentsFile } } }),
      { account: devAccount(0) },
    );
    opts = {
      rpcUrl: server.url,
      deployments: f.deployments,
      curator: devAccount(0),
      dataDir: path.join(dir, "curator"),
      ipfsDir: path.join(dir, "node-1"),
      passThreshold: 218,
      commitWindow: 600,
      every: 120,
      log: (l) => logs.push(l),
    };
  });
  after(async () => {
    await rpc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("publishes when none is open, waits while the open one has time, publishes the next, reveals closed ones", async () => {
    await curatorTick(chain, opts);
    let suites = await listSuites(chain);
    expect(suites.map((s) => s.id)).to.deep.equal([1]);
    const first = suites[0];
    expect(first.itemCount).to.equal(256);
    expect(first.passThreshold).to.equal(218);
    expect(logs.at(-1)).to.match(
      /^curator: suite 1 open for newcomers until .* \(256 items at ipfs bagu\w+, bar 218\)/,
    );

    // The items are in node 1's store, where its gateway serves them to `chorus calibrate`.
    const store = await openArtifactStore({ mode: "embedded" }, { dataDir: opts.ipfsDir });
    try {
      const doc = await store.getJson<{ items: unknown[] }>(bytes32ToCid(first.itemsCid));
      expect(doc.items).to.have.length(256);
    } finally {
      await store.close();
    }

    // 600 s of commits left, more than 600 - 120: nothing to do.
    await curatorTick(chain, opts);
    expect((await listSuites(chain)).map((s) => s.id)).to.deep.equal([1]);

    // Less than 480 s left: the next suite opens, so a newcomer always has at least 480 s to judge.
    await time.increaseTo(first.commitEnd - 470);
    await curatorTick(chain, opts);
    suites = await listSuites(chain);
    expect(suites.map((s) => s.id)).to.deep.equal([2, 1]);
    expect((await getSuite(chain, 1)).keyRevealed).to.equal(false);

    // Suite 1's commits closed: its key is revealed (from the key file the publish wrote).
    await time.increaseTo(first.commitEnd);
    await curatorTick(chain, opts);
    expect((await getSuite(chain, 1)).keyRevealed).to.equal(true);
    expect(logs.some((l) => /^curator: key of suite 1 revealed \(tx 0x[0-9a-f]{64}\)/.test(l))).to.equal(true);
    expect((await getSuite(chain, 2)).keyRevealed).to.equal(false);
  });
});
