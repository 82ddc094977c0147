/**
 * A real node (startNode: HTTP on 127.0.0.1, its state database under `dataDir`) with memory parts, for the state
 * tests (test/state): started on a data directory, stopped, damaged and started again. Also writes a data
 * directory in the format nodes used before the state database (one JSON file per queued round, rounds.jsonl,
 * the member's journal file).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Hex } from "viem";
import { keccak256, toHex } from "viem";
import { startNode, type RunningNode } from "../../src/node/service.js";
import type { RoundSummary } from "../../src/node/rounds.js";
import { countRules } from "../kit/count-rules.js";
import { MemoryArtifacts, makeSigners } from "../kit/memory-round.js";
import { TEST_DOMAIN as domain, TEST_RECORDS as records, memorySettlement } from "../kit/memory-node.js";
import { chainDirectoryOf, countingMind, LOOPBACK } from "./peer-swarm.js";

const [me] = makeSigners(1);

export async function startStateNode(dataDir: string, log: (line: string) => void = () => {}): Promise<RunningNode> {
  const directory = chainDirectoryOf([]);
  return startNode(
    {
      domain,
      signer: me,
      directory,
      blockHash: directory.blockHash,
      artifacts: new MemoryArtifacts(),
      mind: countingMind(0, { answer: 0, compare: 0, screen: 0 }),
      rules: countRules,
      records,
      settlement: memorySettlement(),
    },
    {
      host: "127.0.0.1",
      port: 0,
      dataDir,
      round: {
        committeeSize: 1,
        answerTimeoutMs: 1000,
        revealTimeoutMs: 1000,
        judgeTimeoutMs: 1000,
        signTimeoutMs: 1000,
      },
      // Nothing is settled while a test looks at the queue.
      epoch: { maxRounds: 100_000, intervalMs: 86_400_000 },
      limits: { concurrentRounds: 1, queuedRounds: 1, bodyLimit: "64kb" },
      net: { allowPrivate: LOOPBACK },
      log,
    },
  );
}

export const roundIdOf = (tag: string) => keccak256(toHex(tag)).toLowerCase() as Hex;
export const coordinatorId = (n: bigint) =>
  `0x1111111111111111111111111111111111111111${n.toString(16).padStart(24, "0")}` as Hex;

/** A queued record with a bigint, as the queue stores them. */
export const recordOf = (i: number) => ({
  transcriptCid: `bafy-${i}`,
  signatures: { "0xaa": `0x${i}` },
  delta: BigInt(-i) * 10n ** 20n,
});

export const summaryOf = (roundId: string, i: number): RoundSummary => ({
  roundId,
  queryCid: `bafy-q${i}`,
  transcriptCid: `bafy-t${i}`,
  winner: "0xaa",
  ranking: ["0xaa"],
  scores: { "0xaa": i },
  committee: ["0xaa"],
  excluded: [],
  createdAt: 1_700_000_000_000 + i,
});

/** A RoundOutcome-shaped value RoundIndex.add accepts, giving `summaryOf(roundId, i)`. */
export const outcomeOf = (roundId: string, i: number) => {
  const s = summaryOf(roundId, i);
  return {
    roundId,
    queryCid: s.queryCid,
    transcriptCid: s.transcriptCid,
    result: { winner: s.winner, ranking: s.ranking, scores: s.scores },
    transcript: { committee: { members: s.committee }, excluded: [], query: { createdAt: s.createdAt } },
    signExcluded: [],
  } as never;
};

export interface OldFormat {
  pending: string[];
  settled: string[];
  failed: string[];
  rounds: string[];
  answered: Hex[];
  signed: Hex[];
}

const serialize = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? { $bigint: x.toString() } : x));

/** Writes a data directory in the pre-database format, byte for byte as the old code wrote it. */
export function writeOldFormat(dataDir: string, n: number): OldFormat {
  const out: OldFormat = { pending: [], settled: [], failed: [], rounds: [], answered: [], signed: [] };
  for (const sub of ["pending", "settled", "failed"])
    mkdirSync(path.join(dataDir, "settlement", sub), { recursive: true });
  let rounds = "";
  // An hour ago: within every retention period.
  const t0 = Date.now() - 3_600_000;
  for (let i = 0; i < n; i++) {
    const id = roundIdOf(`old-${i}`);
    const status = i % 5 === 3 ? "settled" : i % 7 === 6 ? "failed" : "pending";
    const extra =
      status === "settled"
        ? { settledAt: t0 + 1000 + i, txHash: "0x" + "cd".repeat(32), epoch: 3 }
        : status === "failed"
          ? { failedAt: t0 + 1000 + i, reason: "reverted alone" }
          : {};
    writeFileSync(
      path.join(dataDir, "settlement", status, `${id}.json`),
      serialize({ roundId: id, queuedAt: t0 + i, record: recordOf(i), ...extra }),
    );
    out[status].push(id);
    rounds += JSON.stringify(summaryOf(id, i)) + "\n";
    out.rounds.push(id);
  }
  writeFileSync(path.join(dataDir, "rounds.jsonl"), rounds);
  let journal = "";
  for (let i = 1; i <= n; i++) {
    journal += `a ${coordinatorId(BigInt(i))}\n`;
    out.answered.push(coordinatorId(BigInt(i)));
    if (i % 2 === 0) {
      journal += `s ${coordinatorId(BigInt(i))}\n`;
      out.signed.push(coordinatorId(BigInt(i)));
    }
  }
  mkdirSync(path.join(dataDir, "member"), { recursive: true });
  writeFileSync(path.join(dataDir, "member", "rounds.journal"), journal, "latin1");
  return out;
}
