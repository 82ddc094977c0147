/**
 * Disputes from the CLI against forged rounds settled on the in-process chain (built as in
 * test/contracts/attacks/: a drawn committee signs a record whose deltas favour the coordinator and whose
 * transcript exists nowhere): `chorus dispute open|status|uphold|reject|reclaim` and `chorus prove-equivocation`,
 * each checked against the contracts' state.
 */
import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { keccak256, parseEther, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { main } from "../../src/cli/main.js";
import { writeDeployments } from "../../deploy/index.js";
import { signRecord, type RoundRecord } from "../../src/core/index.js";
import { actor, cid, deploySwarm, drawnRecord, openBatch, settle, signAll, type Actor } from "../kit/chorus-fixture.js";
import { startRpcServer, type RpcServer } from "../helpers/rpc-server.js";

const ARBITRATOR_KEY = `0x${Buffer.from(mnemonicToAccount("test test test test test test test test test test test junk", { addressIndex: 0 }).getHdKey().privateKey!).toString("hex")}`;
const WATCHER_KEY = keccak256(toHex("chorus-test-watcher-5"));

describe("chorus dispute / prove-equivocation (CLI, forged rounds)", function () {
  this.timeout(180_000);
  let rpc: RpcServer;
  /** What before() started, closed by after(). */
  const closers: (() => Promise<unknown>)[] = [];
  let dir: string;
  let deploymentsFile: string;
  let s: Awaited<ReturnType<typeof deploySwarm>>;
  let watcher: Actor;
  const rounds: RoundRecord[] = [];

  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ["node", "chorus", "--network", "custom", "--rpc-url", rpc.url, "--deployments", deploymentsFile, ...args],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      {},
    );
    return { code, out, err };
  };
  const staked = async (a: Actor) => {
    const i = await s.registry.read.nodeInfo([a.address]);
    return i.staked + i.thawing;
  };

  before(async () => {
    s = await deploySwarm({ nodes: 4 });
    rpc = await startRpcServer();
    closers.push(() => rpc.close());
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-dispute-"));
    deploymentsFile = await writeDeployments(s.deployments, dir);
    // Three forged rounds in one epoch: every committee member signed deltas that pay the coordinator.
    const coordinator = s.nodes[0];
    const batch = await openBatch(s, coordinator, 8);
    const signed = [];
    for (let i = 0; i < 3; i++) {
      const r = await drawnRecord(s, batch, { label: `forged ${i}` });
      const forged = {
        ...r,
        deltas: r.participants.map((p) => (p === coordinator.address ? 50_000 : -50_000)),
        winner: coordinator.address,
      };
      rounds.push(forged);
      signed.push(await signAll(s.domain, forged, s.nodes));
    }
    await settle(s, coordinator.wallet, signed);
    watcher = await actor(5, "watcher");
    expect(watcher.address).to.equal((await import("viem/accounts")).privateKeyToAccount(WATCHER_KEY).address);
    await s.token.write.transfer([watcher.address, parseEther("1000")]);
  });
  after(async () => {
    for (const close of closers.splice(0)) await close();
    await rm(dir, { recursive: true, force: true });
  });

  it("dispute open + status + uphold: the signers' locked stake is slashed and the round is voided", async () => {
    const id = rounds[0].roundId;
    const open = await run(["--key", WATCHER_KEY, "dispute", "open", id, "--json"]);
    expect(open.code, open.err.join("\n")).to.equal(0);
    const d = JSON.parse(open.out.join("\n"));
    expect(d).to.include({ id: 1, status: "open", roundId: id, epoch: 1, disputer: watcher.address });
    expect(d.signers).to.have.length(rounds[0].participants.length);

    const status = await run(["dispute", "status", id]);
    expect(status.out[0]).to.equal(`dispute 1: open; round ${id} (epoch 1)`);
    // only the arbitrator may uphold: anyone else gets the contract's error in one line
    const intruder = await run(["--key", WATCHER_KEY, "dispute", "uphold", "1"]);
    expect(intruder.code).to.equal(1);
    expect(intruder.err[0]).to.match(/^chorus: transaction reverted: AccessControlUnauthorizedAccount\(/);

    const before = await Promise.all(s.nodes.map(staked));
    const up = await run(["--key", ARBITRATOR_KEY, "dispute", "uphold", "1"]);
    expect(up.code, up.err.join("\n")).to.equal(0);
    expect(up.out[0]).to.match(/^dispute 1 upheld: the round's deltas are voided/);
    const after = await Promise.all(s.nodes.map(staked));
    for (const [i, n] of s.nodes.entries())
      if (rounds[0].participants.includes(n.address)) expect(after[i] < before[i], n.address).to.equal(true);
    expect(await s.disputes.read.roundStatus([id])).to.equal(2); // Upheld
    expect(JSON.parse((await run(["dispute", "status", "1", "--json"])).out.join("\n")).status).to.equal("upheld");
  });

  it("prove-equivocation: a member that signed a second record of a settled round loses half its stake; the committed prover is paid", async () => {
    const settledRound = rounds[1];
    const liar = s.nodes.find((n) => n.address === settledRound.participants[1])!;
    const other: RoundRecord = { ...settledRound, transcriptCid: cid("a second transcript") };
    const file = path.join(dir, "conflict.json");
    await writeFile(
      file,
      JSON.stringify({ record: other, signature: await signRecord(liar.account, s.domain, other) }),
    );
    const before = await staked(liar);
    const balance = await s.token.read.balanceOf([watcher.address]);
    const r = await run(["--key", WATCHER_KEY, "prove-equivocation", settledRound.roundId, "--record", file, "--json"]);
    expect(r.code, r.err.join("\n")).to.equal(0);
    const proof = JSON.parse(r.out.join("\n"));
    expect(proof.signer).to.equal(liar.address);
    expect(await staked(liar)).to.equal(before - BigInt(proof.amount));
    expect(BigInt(proof.reward) > 0n).to.equal(true);
    expect((await s.token.read.balanceOf([watcher.address])) - balance).to.equal(BigInt(proof.reward));
    // a signature by someone who did not sign the settled record is refused before anything is sent
    await writeFile(
      file,
      JSON.stringify({ record: other, signature: await signRecord(watcher.account, s.domain, other) }),
    );
    const bad = await run(["--key", WATCHER_KEY, "prove-equivocation", settledRound.roundId, "--record", file]);
    expect(bad.err[0]).to.match(
      /^chorus: the conflicting record's signature is by 0x[0-9a-fA-F]{40}, who did not sign the settled record/,
    );
  });

  it("dispute reject: the deposit goes to the treasury; reclaim: an unresolved dispute's deposit comes back after its deadline", async () => {
    const [, r1, r2] = rounds;
    const member = r1.participants[0];
    const open1 = await run([
      "--key",
      WATCHER_KEY,
      "dispute",
      "open",
      r1.roundId,
      "--signers",
      member,
      "--evidence",
      cid("evidence"),
    ]);
    expect(open1.code, open1.err.join("\n")).to.equal(0);
    expect(open1.out[0]).to.match(/^dispute 2 opened against round 0x[0-9a-f]{64} \(epoch 1; tx 0x/);
    const rej = await run(["--key", ARBITRATOR_KEY, "dispute", "reject", "2"]);
    expect(rej.out[0]).to.match(/^dispute 2 rejected: the deposit went to the treasury/);
    expect(await s.disputes.read.signerStatus([r1.roundId, member])).to.equal(0);

    const open2 = await run(["--key", WATCHER_KEY, "dispute", "open", r2.roundId, "--json"]);
    expect(open2.code, open2.err.join("\n")).to.equal(0);
    const early = await run(["--key", WATCHER_KEY, "dispute", "reclaim", "3"]);
    expect(early.err[0]).to.match(/^chorus: transaction reverted: DisputesDeadlineNotReached\(3, /);
    await time.increaseTo(JSON.parse(open2.out.join("\n")).deadline);
    const balance = await s.token.read.balanceOf([watcher.address]);
    const rec = await run(["--key", WATCHER_KEY, "dispute", "reclaim", "3"]);
    expect(rec.out[0]).to.match(/^dispute 3 reclaimed: the deposit went back to the disputer/);
    expect((await s.token.read.balanceOf([watcher.address])) > balance).to.equal(true);
  });

  it("round show from no node: a settled round is found on chain, its transcript looked for on IPFS; an unknown round says where to ask", async () => {
    const noNode = ["--gateway", "http://127.0.0.1:9"];
    const unknown = await run([...noNode, "round", "show", `0x${"cd".repeat(32)}`]);
    expect(unknown.err).to.deep.equal([
      `chorus: round 0x${"cd".repeat(32)} is not settled on chain 31337 and the gateway http://127.0.0.1:9 does not know it (ask the node that coordinated it with --gateway)`,
    ]);
    // the forged round's transcript exists nowhere: the reader says so after trying the gateway and the members
    const forged = await run([...noNode, "round", "show", rounds[2].roundId]);
    expect(forged.code).to.equal(1);
    expect(forged.err).to.have.length(1);
    expect(forged.err[0]).to.match(/^chorus: .*(unreachable|not found|no copy|could not)/i);
  });

  it("bad input: a round that never settled, a bad id, a signer not in the record: one line each", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["--key", WATCHER_KEY, "dispute", "open", `0x${"ab".repeat(32)}`],
        /^chorus: round 0x(ab){32} has not settled on chain 31337$/,
      ],
      [["dispute", "status", "zero"], /^chorus: dispute id must be a whole number, got 'zero'$/],
      [["dispute", "status", "99"], /^chorus: no dispute 99: disputes are 1\.\.3$/],
      [
        ["--key", WATCHER_KEY, "dispute", "open", rounds[1].roundId, "--signers", watcher.address],
        /did not sign the settled record/,
      ],
    ];
    for (const [args, msg] of cases) {
      const r = await run(args);
      expect(r.code, args.join(" ")).to.not.equal(0);
      expect(r.err).to.have.length(1);
      expect(r.err[0]).to.match(msg);
    }
  });
});
