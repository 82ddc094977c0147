/**
 * A swarm with byzantine nodes for `npm run bench:byzantine` and test/node/byzantine.test.ts. Every node is a
 * real node (startNode: HTTP service on 127.0.0.1, member, coordinator, settlement queue on disk, epoch
 * submitter) running the production consensus rules (productionRules: Fortytwo pairing, reputation-and-stake
 * weighted Bradley–Terry, fixed-point deltas); rounds go through a gateway and between nodes over HTTP.
 *
 * Stand-ins: the models (test/kit/byzantine-minds.ts), a shared in-memory artifact store, and the chain.
 * The chain stand-in is a reputation ledger: each node's submitter settles every round right after it is
 * queued (epochs of one round), and settling applies the record's integer deltas exactly as
 * Settlement.settleEpoch does (`applyReputationDelta`: reputation + delta, clamped to [0, 1e6]); the next
 * committee is drawn by sortition from those reputations (stake x reputation, tau = committeeSize). Stakes are
 * equal. Each round has its own seed (its round id). Coordinators are honest nodes, in turn.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { keccak256, toHex } from "viem";
import { applyReputationDelta, judgeWeights, REP_INITIAL } from "../../src/consensus/index.js";
import { productionRules } from "../../src/protocol/index.js";
import { startNode, type QueuedRound, type RunningNode } from "../../src/node/service.js";
import type { Directory, NodeEntry } from "../../src/round/ports.js";
import { ChorusError, createSigner } from "../../src/core/index.js";
import type { Transcript } from "../../src/protocol/index.js";
import type { SettlementPort } from "../../src/settlement/index.js";
import {
  byzantineMind,
  copierReveal,
  factsOf,
  optionOf,
  overheardMember,
  questionText,
  RevealBoard,
  type Role,
} from "../../test/kit/byzantine-minds.js";
import { MemoryArtifacts, directoryOf } from "../../test/kit/memory-round.js";
import { TEST_DOMAIN, TEST_RECORDS } from "../../test/kit/test-domain.js";

export interface ByzantineSwarmOptions {
  nodes: number;
  /** Byzantine roles of nodes 0, 1, ... in order; the rest are honest. */
  byzantine: Role[];
  committeeSize?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface RoundStat {
  /** True when the round ended without a result (503 ROUND_NO_QUORUM or ROUND_UNAVAILABLE): nothing settled. */
  failed?: boolean;
  roundId: string;
  committee: Role[];
  winnerRole: Role;
  winnerCorrect: boolean;
  /** Roles of members excluded at the reveal (a copy that does not match its commitment). */
  excludedAtReveal: Role[];
  /** Whether the winner is a member the round excluded (must never happen). */
  winnerExcluded: boolean;
}

const STAKE = 1000n * 10n ** 18n;
const DOMAIN = TEST_DOMAIN;

export async function startByzantineSwarm(opts: ByzantineSwarmOptions) {
  const n = opts.nodes;
  const roles: Role[] = Array.from({ length: n }, (_, i) => opts.byzantine[i] ?? "honest");
  const signers = roles.map((_, i) => createSigner(keccak256(toHex(`chorus-bench-byzantine-node-${i}`))));
  const entries: NodeEntry[] = [];
  // The weights of every "period" are the ledger's current ones: each round draws from the latest reputations.
  const directory: Directory = directoryOf(entries, { tau: opts.committeeSize ?? 7 });
  const artifacts = new MemoryArtifacts();
  const rules = productionRules();
  const records = TEST_RECORDS;
  const settledIds = new Set<string>();
  const ledger: SettlementPort<QueuedRound> = {
    async settledOnChain(ids) {
      return new Set(ids.filter((id) => settledIds.has(id)));
    },
    async submitEpoch(items) {
      for (const item of items) {
        if (settledIds.has(item.roundId))
          throw new ChorusError("SETTLEMENT_REFUSED", `round ${item.roundId} settled twice`);
        for (const [address, delta] of Object.entries(item.record.transcript.result.deltas)) {
          const e = entries.find((x) => x.address.toLowerCase() === address.toLowerCase());
          if (e) e.reputation = applyReputationDelta(e.reputation, delta);
        }
        settledIds.add(item.roundId);
      }
      return { txHash: `0x${settledIds.size.toString(16).padStart(64, "0")}` };
    },
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), "chorus-byzantine-"));
  const board = new RevealBoard();
  const copyStats = { copied: 0 };
  const t = opts.timeoutMs ?? 5000;
  const nodes: RunningNode[] = [];
  for (const [i, signer] of signers.entries()) {
    const node = await startNode(
      {
        domain: DOMAIN,
        signer,
        directory,
        artifacts,
        mind: byzantineMind(i, roles[i]),
        rules,
        records,
        settlement: ledger,
      },
      {
        host: "127.0.0.1",
        port: 0,
        dataDir: path.join(dir, `node${i}`),
        round: {
          committeeSize: opts.committeeSize ?? 7,
          answerTimeoutMs: t,
          revealTimeoutMs: t,
          judgeTimeoutMs: t,
          signTimeoutMs: t,
        },
        epoch: { maxRounds: 1, intervalMs: 60_000 },
        limits: { concurrentRounds: 2, queuedRounds: 8, bodyLimit: "256kb" },
        net: { allowPrivate: ["127.0.0.0/8"] }, // every node is on loopback
        log: opts.log,
      },
    );
    if (roles[i] === "copier") copierReveal(node.member, board, DOMAIN, signer, copyStats);
    else overheardMember(node.member, board);
    nodes.push(node);
    entries.push({ address: signer.address, endpoint: node.url, stake: STAKE, reputation: REP_INITIAL });
  }
  const roleOf = (a: string) => roles[signers.findIndex((s) => s.address.toLowerCase() === a.toLowerCase())];
  const coordinators = roles.map((r, i) => (r === "honest" ? i : -1)).filter((i) => i >= 0);

  /** Share (percent) of the total of `values` held by nodes with a role in `which`. */
  const share = (values: number[], which: (r: Role) => boolean) => {
    const total = values.reduce((s, v) => s + v, 0);
    return total > 0 ? (100 * values.reduce((s, v, i) => s + (which(roles[i]) ? v : 0), 0)) / total : 0;
  };

  return {
    roles,
    nodes,
    entries,
    copyStats,
    /** Runs round k (question k) through an honest gateway; applies its deltas before returning. */
    async round(k: number): Promise<RoundStat> {
      const gateway = coordinators[k % coordinators.length];
      const res = await fetch(`${nodes[gateway].url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: questionText(k) }], max_tokens: 32 }),
      });
      const body = await res.json();
      // A round whose committee could not reach a quorum (two copiers excluded in a small committee), or whose
      // draw gave no committee (sortition thins nodes below the initial reputation), is a legitimate outcome of
      // the protocol, not a bench failure: counted, and nothing settles.
      if (
        res.status === 503 &&
        (body?.error?.code === "ROUND_NO_QUORUM" || body?.error?.code === "ROUND_UNAVAILABLE")
      ) {
        return {
          failed: true,
          roundId: "",
          committee: [],
          winnerRole: "honest",
          winnerCorrect: false,
          excludedAtReveal: [],
          winnerExcluded: false,
        };
      }
      if (res.status !== 200)
        throw new Error(`round ${k} failed: HTTP ${res.status} ${JSON.stringify(body?.error ?? body)}`);
      await nodes[gateway].submitter.flush();
      if (!settledIds.has(body.chorus.round_id))
        throw new Error(`round ${k} was not settled: ${nodes[gateway].submitter.lastError}`);
      const transcript = await artifacts.getJson<Transcript>(body.chorus.transcript_cid);
      const f = factsOf(questionText(k));
      return {
        roundId: body.chorus.round_id,
        committee: transcript.committee.members.map(roleOf),
        winnerRole: roleOf(body.chorus.winner),
        winnerCorrect: optionOf(body.choices[0].message.content) === f.correct,
        excludedAtReveal: transcript.excluded.filter((e) => e.phase === "reveal").map((e) => roleOf(e.member)),
        winnerExcluded: transcript.excluded.some(
          (e) => e.member.toLowerCase() === String(body.chorus.winner).toLowerCase(),
        ),
      };
    },
    reputations: () => entries.map((e) => e.reputation),
    /** Share of total reputation held by nodes with a role in `which`, percent. */
    reputationShare: (which: (r: Role) => boolean) =>
      share(
        entries.map((e) => e.reputation),
        which,
      ),
    /** Share of the total Bradley–Terry judge weight (judgeWeights over all nodes), percent. */
    weightShare: (which: (r: Role) => boolean) => {
      const w = judgeWeights(
        entries.map((e) => ({ address: e.address.toLowerCase(), stake: e.stake, reputation: e.reputation })),
      );
      return share(
        entries.map((e) => w[e.address.toLowerCase()]),
        which,
      );
    },
    async close() {
      await Promise.all(nodes.map((x) => x.close()));
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

export type ByzantineSwarm = Awaited<ReturnType<typeof startByzantineSwarm>>;
