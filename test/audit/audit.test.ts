import { expect } from "chai";
import type { Hex } from "viem";
import { auditRound, type AuditReport } from "../../src/audit/index.js";
import { openChorusChain } from "../../src/chain/index.js";
import { loadConfig } from "../../src/config/index.js";
import { createMemoryStore } from "../../src/ipfs/index.js";
import type { ConsensusRules, Transcript } from "../../src/protocol/index.js";
import { startChainSwarm } from "../helpers/chain-swarm.js";
import { swarmRules } from "../helpers/swarm-rules.js";
import { fixedMind } from "../kit/memory-round.js";
import { preferHigherQ } from "../kit/memory-node.js";
import { runCli, swarmCliArgs } from "../kit/cli-run.js";

/**
 * What a colluding committee signs: the member with the lowest honest delta gets the largest delta instead (or,
 * when every honest delta is already the largest, as in a swarm's first weight period where everyone starts at the
 * initial reputation, a delta that differs from it).
 */
function inflateLowest<R extends { deltas: Record<string, number> }>(r: R): R {
  const [lowest, delta] = Object.entries(r.deltas).sort((a, b) => a[1] - b[1])[0];
  return { ...r, deltas: { ...r.deltas, [lowest]: delta >= 50_000 ? 37_655 : 50_000 } };
}
describe("chorus audit: re-deriving rounds from chain + IPFS", function () {
  this.timeout(180_000);
  let swarm: Awaited<ReturnType<typeof startChainSwarm>>;

  before(async () => {
    swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
    });
  });
  after(async () => (swarm as typeof swarm | undefined)?.close());

  async function ask(node = 0): Promise<{ roundId: Hex; transcriptCid: string }> {
    const res = await fetch(`${swarm.nodes[node].url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Why do cats purr?" }] }),
    });
    const body = await res.json();
    if (res.status !== 200) throw new Error(JSON.stringify(body));
    await swarm.nodes[node].submitter.flush();
    return { roundId: body.chorus.round_id, transcriptCid: body.chorus.transcript_cid };
  }

  /** An auditor with its own chain connection, reading transcripts from the coordinator's store. */
  async function audit(
    roundId: Hex,
    node = 0,
    opts: { rules?: ConsensusRules; tamper?: (t: Transcript) => void } = {},
  ): Promise<AuditReport> {
    const config = loadConfig({
      env: {},
      overrides: { network: "custom", chain: { rpcUrl: swarm.rpc.url, deploymentsFile: swarm.deploymentsFile } },
    });
    const chain = await openChorusChain(config);
    const scratch = createMemoryStore();
    return auditRound(
      {
        chain,
        rules: opts.rules ?? swarmRules,
        getJson: async (cid) => {
          const t = await swarm.storeOf(node).getJson<Transcript>(cid);
          opts.tamper?.(t);
          return t;
        },
        cidOf: async (v) => (await scratch.cidOf(v)).toString(),
      },
      roundId,
    );
  }

  const failed = (r: AuditReport) => r.mismatches.map((m) => m.what);

  it("passes an honest round: every check holds", async () => {
    const { roundId } = await ask(0);
    const r = await audit(roundId);
    expect(r.ok, JSON.stringify(r.mismatches)).to.equal(true);
    expect(r.checks.length).to.be.greaterThanOrEqual(12);
  });

  it("detects a tampered transcript", async () => {
    const { roundId } = await ask(1);
    const r = await audit(roundId, 1, { tamper: (t) => ((t.reveals[0].body as any).answer = "something else") });
    expect(r.ok).to.equal(false);
    expect(failed(r)).to.include("transcript content hashes to the CID RoundSettled names");
    expect(failed(r)).to.include("every signed message verifies; every reveal matches its commitment");
  });

  it("detects a forged signature", async () => {
    const { roundId } = await ask(2);
    const r = await audit(roundId, 2, {
      tamper: (t) => (t.judgments[0].signature = `0x${"11".repeat(32)}${"22".repeat(32)}1b`),
    });
    expect(failed(r)).to.include("every signed message verifies; every reveal matches its commitment");
    expect(r.mismatches.find((m) => m.what.startsWith("every signed"))!.detail).to.match(
      /signature does not match sender/,
    );
  });

  it("detects a wrong delta: a colluding committee signed inflated reputation", async () => {
    const inflate: ConsensusRules = {
      ...swarmRules,
      aggregate: (input) => {
        return inflateLowest(swarmRules.aggregate(input));
      },
    };
    for (const n of swarm.nodes) {
      (n.coordinator as any).deps.rules = inflate;
      (n.member as any).deps.rules = inflate;
    }
    let roundId: Hex;
    try {
      ({ roundId } = await ask(3));
    } finally {
      for (const n of swarm.nodes) {
        (n.coordinator as any).deps.rules = swarmRules;
        (n.member as any).deps.rules = swarmRules;
      }
    }
    const r = await audit(roundId!, 3);
    expect(failed(r)).to.include("Bradley–Terry result recomputes to the transcript's");
    expect(failed(r)).to.include("reputation deltas on chain are the recomputed ones");
  });

  it("detects a wrong committee: a coordinator that left a candidate out of the draw", async () => {
    // Members recompute the draw from their own reads and refuse such a round (test/node/peer-attacks.test.ts),
    // so here every node is fed the same wrong weights (colluding members, or one lying RPC): the round settles,
    // and the audit, reading the chain itself, still catches it.
    const parts = swarm.nodes.flatMap((n) => [n.coordinator as any, n.member as any]);
    const honest = parts.map((p) => p.deps.directory);
    const left = (c: { address: string }) => c.address.toLowerCase() !== swarm.f.nodes[0].address.toLowerCase();
    const rigged = (d: any) => ({
      candidates: async () => (await d.candidates()).filter(left),
      weightsAt: async (period: number) => {
        const w = await d.weightsAt(period);
        return { ...w, candidates: w.candidates.filter(left) };
      },
      ...(d.blockHash ? { blockHash: (n: bigint, o?: unknown) => d.blockHash(n, o) } : {}),
    });
    const forget = () => parts.forEach((p) => (p.active = undefined));
    parts.forEach((p, i) => (p.deps.directory = rigged(honest[i])));
    forget();
    let roundId: Hex;
    try {
      ({ roundId } = await ask(4));
    } finally {
      parts.forEach((p, i) => (p.deps.directory = honest[i]));
      forget();
    }
    const r = await audit(roundId!, 4);
    expect(failed(r)).to.include(
      "candidates (stake, reputation, capability when the period began) and tau match the chain",
    );
    expect(failed(r)).to.include("committee and seats are the verifiable draw");
    expect(failed(r)).to.include("the settled record lists exactly the drawn committee");
  });
});

describe("chorus audit (CLI)", function () {
  this.timeout(180_000);
  it("prints OK and exits 0 for an honest round and epoch, and exits 3 naming the mismatch for a rigged one", async () => {
    const swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
    });
    try {
      const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
      });
      const roundId = (await res.json()).chorus.round_id as string;
      await swarm.nodes[0].submitter.flush();
      const run = (args: string[]) => runCli([...swarmCliArgs(swarm), ...args]);
      let r = await run(["audit", "round", roundId]);
      expect(r.err, r.err.join("\n")).to.deep.equal([]);
      expect(r.code).to.equal(0);
      expect(r.out[0]).to.match(/: OK$/);
      r = await run(["audit", "epoch", "1", "--json"]);
      expect(r.code).to.equal(0);
      expect(JSON.parse(r.out.join("\n")).ok).to.equal(true);
      // A round whose committee colluded on an inflated delta: exit 3 with the mismatch named.
      const inflate = { ...swarmRules, aggregate: (input: any) => inflateLowest(swarmRules.aggregate(input)) };
      for (const n of swarm.nodes) {
        (n.coordinator as any).deps.rules = inflate;
        (n.member as any).deps.rules = inflate;
      }
      const rigged = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: "rig it" }] }),
      });
      const riggedId = (await rigged.json()).chorus.round_id as string;
      await swarm.nodes[0].submitter.flush();
      r = await run(["audit", "round", riggedId]);
      expect(r.code).to.equal(3);
      expect(r.out.join("\n")).to.match(/MISMATCH reputation deltas on chain are the recomputed ones/);
      r = await run(["audit", "round", "0x1234"]);
      expect(r.code).to.equal(1);
      expect(r.err[0]).to.match(/^chorus: round id must be 0x \+ 64 hex digits/);
    } finally {
      await swarm.close();
    }
  });
});

describe("chorus audit: a gateway without the transcript (issue 16, every signer keeps what it signed)", function () {
  this.timeout(180_000);
  it("falls back to the public gateways and then to every committee member's gateway; gives up naming each place", async () => {
    const { main } = await import("../../src/cli/main.js");
    const swarm = await startChainSwarm({
      rules: swarmRules,
      minds: (i) => fixedMind(`answer q${i} from node ${i}`, preferHigherQ),
    });
    // The gateway of a member that missed the answer deadline: it never saw the transcript and answers 404.
    const { createServer } = await import("node:http");
    const late = createServer((_req, res) => res.writeHead(404).end("not found"));
    await new Promise<void>((r) => late.listen(0, "127.0.0.1", () => r()));
    const lateUrl = `http://127.0.0.1:${(late.address() as { port: number }).port}`;
    // A public gateway that is down (nothing listens on port 9 of the loopback).
    const deadPublic = "http://127.0.0.1:9";
    try {
      const res = await fetch(`${swarm.nodes[0].url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: "who keeps it?" }] }),
      });
      const roundId = (await res.json()).chorus.round_id as string;
      await swarm.nodes[0].submitter.flush();
      const run = async (env: Record<string, string>) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(
          [
            "node",
            "chorus",
            "--network",
            "custom",
            "--rpc-url",
            swarm.rpc.url,
            "--deployments",
            swarm.deploymentsFile,
            "--gateway",
            lateUrl,
            "audit",
            "round",
            roundId,
          ],
          { out: (l) => out.push(l), err: (l) => err.push(l) },
          env,
        );
        return { code, out, err };
      };
      // Members' endpoints are on the loopback: without the operator's allowance the auditor may not call them,
      // so every place fails and the error names each one.
      let r = await run({ CHORUS_IPFS_GATEWAYS: deadPublic });
      expect(r.code).to.equal(1);
      expect(r.err[0]).to.match(
        /^chorus: .* is not available from any of \d+ place\(s\) tried: the configured gateway \(IPFS_NOT_FOUND/,
      );
      expect(r.err[0]).to.contain(`public gateway ${deadPublic}`);
      // With the loopback allowed, the first member's gateway serves it: OK, exit 0.
      r = await run({ CHORUS_IPFS_GATEWAYS: deadPublic, CHORUS_NET_ALLOW_PRIVATE: "127.0.0.0/8" });
      expect(r.err, r.err.join("\n")).to.deep.equal([]);
      expect(r.code).to.equal(0);
      expect(r.out[0]).to.match(/: OK$/);
    } finally {
      await new Promise((r) => late.close(r));
      await swarm.close();
    }
  });
});
