/**
 * Issue 13 item 3 against real node processes (test/node/replay-node.ts, HTTP on 127.0.0.1): a staked
 * coordinator (driven by this test) runs round R through 4 member processes, which sign its record; the members
 * are killed by PID (SIGKILL, after their last reply) and started again on the same data directory; the
 * coordinator then replays R, with the same and with different content, through every request kind. Every
 * member refuses and no second signature for R exists. A restarted member also refuses a round id whose
 * sequence is not above the coordinator's last sequence settled (or voided) on chain, and a round whose seed block is stale or
 * ahead of the chain, or whose deadline is in the past or too far ahead. A journal cut mid-line by a power loss
 * keeps every complete entry and the node starts on it.
 */
import { expect } from "chai";
import Database from "better-sqlite3";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Address, Hex } from "viem";
import { makeRoundId } from "../../src/core/index.js";
import type { ChorusError } from "../../src/core/index.js";
import { startNode } from "../../src/node/service.js";
import { Coordinator, PEER_PATH, type RoundOutcome } from "../../src/round/coordinator.js";
import { snapshotOf } from "../../src/round/draw.js";
import { signEnvelope, type Envelope } from "../../src/protocol/index.js";
import type { NodeEntry } from "../../src/round/ports.js";
import { RoundJournal } from "../../src/round/signed-rounds.js";
import { MemorySequencer, type RoundTicket } from "../../src/round/sequencer.js";
import type { Transcript } from "../../src/protocol/index.js";
import { countRules } from "../kit/count-rules.js";
import { startProcessSwarm, type ProcessSwarm } from "../helpers/http-swarm.js";
import { MemoryArtifacts, makeSigners } from "../kit/memory-round.js";
import { TEST_DOMAIN as domain, TEST_RECORDS as records, memorySettlement } from "../kit/memory-node.js";
import { chainDirectoryOf, countingMind, memoryBlockHash, rewritingPeers, LOOPBACK } from "../helpers/peer-swarm.js";
import { closeStarted } from "../helpers/close.js";

const N = 4;
/** The memory chain's latest block as every process reads it; seed blocks more than 8 behind are stale. */
const LATEST = 1005n;
const limits = { maxSeedAgeBlocks: 8 };
const ask = { messages: [{ role: "user" as const, content: "Why is the sky blue?" }], maxTokens: 32, rag: false };
const round = {
  committeeSize: N,
  answerTimeoutMs: 3000,
  revealTimeoutMs: 3000,
  judgeTimeoutMs: 3000,
  signTimeoutMs: 3000,
};

type Wire = Envelope & { attachment?: unknown };
interface Reply {
  status: number;
  code?: string;
  kind?: string;
}

async function post(url: string, env: Wire): Promise<Reply> {
  const res = await fetch(`${url}${PEER_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(env),
  });
  const body = (await res.json()) as { kind?: string; error?: { code: string } };
  return { status: res.status, code: body.error?.code, kind: body.kind };
}

/** A sequencer that hands out `replay` (once each) before its own next sequences: a coordinator reusing ids. */
class ReplayingSequencer extends MemorySequencer {
  readonly replay: RoundTicket[] = [];
  override async next(): Promise<RoundTicket> {
    return this.replay.shift() ?? super.next();
  }
}

/** Node i's journal entries (`a <id>` / `s <id>`), read from its state database while it runs (WAL: a second reader). */
const journalLines = (s: ProcessSwarm, i: number) => {
  const db = new Database(path.join(s.dataDirOf(i), "state.db"), { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare("SELECT kind, round_id FROM member_rounds ORDER BY round_id, kind").all() as {
        kind: string;
        round_id: string;
      }[]
    ).map((r) => `${r.kind} ${r.round_id}`);
  } finally {
    db.close();
  }
};

describe("a coordinator replaying a round id after its members restart (real node processes)", function () {
  // About 40 s on an idle 2-core machine, mostly starting node processes (tsx); more when the full suite shares it.
  this.timeout(180_000);
  const [evil] = makeSigners(1);
  const seq = new ReplayingSequencer(evil.address);
  const artifacts = new MemoryArtifacts();
  const entries: NodeEntry[] = [];
  const directory = chainDirectoryOf(entries, { latest: LATEST });
  let s: ProcessSwarm;
  let first: RoundOutcome;
  /** Signature replies (record-signature) each member gave, per round id, as seen on the wire. */
  const signed = new Map<string, number>();

  const coordinator = () => {
    const peers = rewritingPeers(async () => undefined);
    const counting = {
      ...peers,
      async post(endpoint: string, p: string, envelope: unknown, o: { signal?: AbortSignal; timeoutMs: number }) {
        const reply = (await peers.post(endpoint, p, envelope, o)) as Envelope;
        if (reply.kind === "record-signature")
          signed.set(reply.roundId.toLowerCase(), (signed.get(reply.roundId.toLowerCase()) ?? 0) + 1);
        return reply;
      },
    };
    return {
      c: new Coordinator(
        {
          domain,
          signer: evil,
          directory,
          peers: counting,
          artifacts,
          rules: countRules,
          records,
          sequencer: seq,
          settle: async () => {},
        },
        round,
      ),
      peers,
    };
  };
  const ticket = (n: bigint, seedBlock = 1000n): RoundTicket => ({
    roundId: makeRoundId(evil.address, n),
    seq: n,
    batchSeed: memoryBlockHash(seedBlock),
    seedBlock,
    period: 1,
  });
  /** Runs a round on `t`; resolves with the refusals of the answer-request, and fails the test if it completed. */
  const refusedRun = async (t: RoundTicket, query = ask) => {
    seq.replay.push(t);
    const { c, peers } = coordinator();
    const err = await c.run(query).then(
      (o) => expect.fail(`round ${t.roundId} completed with ${Object.keys(o.signatures).length} signatures`),
      (e: unknown) => e as ChorusError,
    );
    expect(err.code).to.equal("ROUND_NO_QUORUM");
    return peers.refusals;
  };
  const syncEntries = () => {
    entries.length = 0;
    for (const n of s.nodes)
      entries.push({ address: n.address, endpoint: n.url, stake: 10n ** 20n, reputation: 500_000 });
    entries.push({ address: evil.address, endpoint: "http://127.0.0.1:9", stake: 10n ** 20n, reputation: 0 });
  };

  before(async () => {
    s = await startProcessSwarm({
      n: N,
      extra: [{ address: evil.address, reputation: 0 }],
      latestBlock: LATEST,
      limits,
    });
    syncEntries();
    // Round R (sequence 1): every member answers, judges and signs its record.
    seq.replay.push(ticket(1n));
    first = await coordinator().c.run(ask);
    expect(Object.keys(first.signatures)).to.have.length(N);
    // Every member is killed by its PID and started again on the same data directory.
    const pids = s.nodes.map((n) => n.pid);
    await Promise.all(s.nodes.map((_n, i) => s.restart(i)));
    expect(
      s.nodes.map((n) => n.pid).some((p) => pids.includes(p)),
      "new processes",
    ).to.equal(false);
    syncEntries();
  });
  after(() => closeStarted(s));

  it("the same round id with the same requests: every request kind is refused by every restarted member; R stays signed once", async () => {
    const R = first.roundId.toLowerCase();
    const { answer, reveal, judge } = first.transcript.requests;
    const sign = {
      ...signEnvelope(domain, evil, "sign-request", first.roundId, { transcriptCid: first.transcriptCid }),
      attachment: first.transcript,
    };
    for (const n of s.nodes) {
      expect(await post(n.url, answer), "answer-request").to.deep.equal({
        status: 409,
        code: "PEER_DUPLICATE",
        kind: undefined,
      });
      for (const env of [reveal, judge, sign])
        expect(await post(n.url, env), env.kind).to.deep.equal({ status: 404, code: "ROUND_UNKNOWN", kind: undefined });
    }
    // Through the coordinator: the round runs again on R and no member answers.
    const refusals = await refusedRun(ticket(1n));
    expect(refusals.map((r) => [r.kind, r.code])).to.deep.equal(Array(N).fill(["answer-request", "PEER_DUPLICATE"]));
    expect(signed.get(R)).to.equal(N);
    for (let i = 0; i < N; i++)
      expect(
        journalLines(s, i).filter((l) => l === `s ${R}`),
        `node ${i} journal`,
      ).to.have.length(1);
  });

  it("the same round id with different content (another query, a rewritten transcript): refused, no second signature", async () => {
    const R = first.roundId.toLowerCase();
    const refusals = await refusedRun(ticket(1n), {
      ...ask,
      messages: [{ role: "user", content: "Why is the sky green?" }],
    });
    expect(refusals.map((r) => r.code)).to.deep.equal(Array(N).fill("PEER_DUPLICATE"));
    // A sign-request for a different transcript of R (another query), signed by the coordinator.
    const t = structuredClone<Transcript>(first.transcript);
    t.query.messages[0].content = "Why is the sky green?";
    const other = {
      ...signEnvelope(domain, evil, "sign-request", first.roundId, { transcriptCid: await artifacts.cidOf(t) }),
      attachment: t,
    };
    // A judge-request for R with other answers.
    const judge = signEnvelope(domain, evil, "judge-request", first.roundId, {
      answers: { [s.nodes[0].address]: "another answer" },
      assignments: {},
    });
    for (const n of s.nodes) {
      expect(await post(n.url, other)).to.deep.equal({ status: 404, code: "ROUND_UNKNOWN", kind: undefined });
      expect(await post(n.url, judge)).to.deep.equal({ status: 404, code: "ROUND_UNKNOWN", kind: undefined });
    }
    expect(signed.get(R)).to.equal(N);
    for (let i = 0; i < N; i++)
      expect(journalLines(s, i).filter((l) => l.endsWith(R))).to.deep.equal([`a ${R}`, `s ${R}`]);
  });

  it("a sequence not above the coordinator's last sequence settled (or voided) on chain is refused by a restarted member, one above it is served", async () => {
    // Sequences 2..5 never reached these members (the coordinator voided them); the chain closed them through 5.
    await s.closeSequences({ [evil.address]: 5n });
    for (const n of [2n, 4n, 5n]) {
      const refusals = await refusedRun(ticket(n));
      expect(
        refusals.map((r) => r.code),
        `sequence ${n}`,
      ).to.deep.equal(Array(N).fill("PEER_REPLAYED"));
      const id = makeRoundId(evil.address, n).toLowerCase();
      for (let i = 0; i < N; i++)
        expect(
          journalLines(s, i).some((l) => l.endsWith(id)),
          `node ${i} recorded ${n}`,
        ).to.equal(false);
    }
    seq.replay.push(ticket(6n));
    const ok = await coordinator().c.run(ask);
    expect(Object.keys(ok.signatures)).to.have.length(N);
  });

  it("a round whose seed block is stale or ahead of the chain, or whose deadline is past or too far ahead, is refused by a restarted member", async () => {
    // Seed blocks: 996 is more than 8 blocks behind the latest (1005); 1008 is more than 2 ahead of it.
    for (const block of [996n, 1008n]) {
      const refusals = await refusedRun(ticket(7n, block));
      expect(
        refusals.map((r) => r.code),
        `seed block ${block}`,
      ).to.deep.equal(Array(N).fill("PEER_BAD_SEED"));
    }
    // Deadlines: a minute in the past, an hour ahead (the bound is 10 minutes).
    const t = ticket(7n);
    const weights = await directory.weightsAt(1);
    const c = snapshotOf(t, weights);
    const query = {
      type: "chorus/query@1" as const,
      ...ask,
      coordinator: evil.address,
      createdAt: Date.now(),
    };
    for (const deadline of [Date.now() - 60_000, Date.now() + 3_600_000]) {
      const env = signEnvelope(domain, evil, "answer-request", t.roundId, {
        queryCid: await artifacts.cidOf(query),
        query,
        seedBlock: c.seedBlock,
        seed: c.seed,
        period: c.period,
        committeeSize: c.size,
        totalStake: c.totalStake,
        minCommittee: c.minCommittee,
        candidates: c.candidates,
        committee: c.members,
        seats: c.seats,
        answerDeadline: deadline,
      });
      for (const n of s.nodes)
        expect(await post(n.url, env), `deadline ${deadline}`).to.deep.equal({
          status: 400,
          code: "PEER_BAD_ROUND_TIME",
          kind: undefined,
        });
    }
    const id = t.roundId.toLowerCase();
    for (let i = 0; i < N; i++) expect(journalLines(s, i).some((l) => l.endsWith(id))).to.equal(false);
    // The same sequence with a fresh seed block and deadline is served: nothing above was recorded against it.
    seq.replay.push(t);
    const ok = await coordinator().c.run(ask);
    expect(Object.keys(ok.signatures)).to.have.length(N);
  });

  it("a member killed by SIGKILL with a torn write at the end of its WAL (power loss mid-commit) restarts, keeps every committed entry and still refuses R", async () => {
    const before = journalLines(s, 2);
    await s.kill(2);
    const wal = path.join(s.dataDirOf(2), "state.db-wal");
    appendFileSync(wal, Buffer.alloc(1500, 0xa5));
    await s.restart(2);
    syncEntries();
    expect(journalLines(s, 2)).to.deep.equal(before);
    const { answer } = first.transcript.requests;
    expect(await post(s.nodes[2].url, answer)).to.deep.equal({ status: 409, code: "PEER_DUPLICATE", kind: undefined });
    seq.replay.push(ticket(8n));
    expect(Object.keys((await coordinator().c.run(ask)).signatures)).to.have.length(N);
  });
});

describe("round journal cut by a power loss", () => {
  const coordinator = "0x1111111111111111111111111111111111111111" as Address;
  const id = (n: bigint) => makeRoundId(coordinator, n).toLowerCase() as Hex;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "chorus-powerloss-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));

  it("an old journal file cut at every byte of its last entry, or with a zero-filled tail: every complete entry is imported", async () => {
    const file = path.join(dir, "rounds.journal");
    let full = "";
    for (let n = 1n; n <= 20n; n++) full += `a ${id(n)}\ns ${id(n)}\n`;
    full += `a ${id(21n)}\n`;
    const lastStart = full.lastIndexOf("\n", full.length - 2) + 1;
    for (let cut = lastStart; cut < full.length; cut++) {
      writeFileSync(file, full.slice(0, cut), "latin1");
      const k = RoundJournal.open(path.join(dir, `state-${cut}.db`), { legacyFile: file });
      for (let n = 1n; n <= 20n; n++)
        expect(k.hasAnswered(id(n)) && k.hasSigned(id(n)), `cut at ${cut}: round ${n}`).to.equal(true);
      expect(k.hasAnswered(id(21n)), `cut at ${cut}`).to.equal(false);
      expect(k.highWater(id(1n))).to.equal(BigInt(id(20n)));
      expect(k.db!.quarantine(), "a cut last line is not damage").to.deep.equal([]);
      await k.close();
      expect(readFileSync(`${file}.migrated`, "latin1")).to.equal(full.slice(0, cut));
      rmSync(`${file}.migrated`);
    }
    // A file system that extended the file but never wrote the last block: zeros after the last complete line.
    writeFileSync(file, full.slice(0, lastStart) + "\0".repeat(100), "latin1");
    const z = RoundJournal.open(path.join(dir, "state-z.db"), { legacyFile: file });
    expect(z.size).to.deep.equal({ answered: 20, signed: 20 });
    await z.close();
  });

  it("a node starts on a journal cut mid-line and refuses the rounds it holds", async () => {
    const [me] = makeSigners(1);
    // The old journal format (before the state database), cut mid-line: the node imports it at start.
    const file = path.join(dir, "node", "member", "rounds.journal");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `a ${id(3n)}\ns ${id(3n)}\n` + `a ${id(4n)}`.slice(0, 20), "latin1");
    const entries: NodeEntry[] = [];
    const directory = chainDirectoryOf(entries);
    const node = await startNode(
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
        dataDir: path.join(dir, "node"),
        round: {
          committeeSize: 1,
          answerTimeoutMs: 1000,
          revealTimeoutMs: 1000,
          judgeTimeoutMs: 1000,
          signTimeoutMs: 1000,
        },
        epoch: { maxRounds: 5, intervalMs: 60_000 },
        limits: { concurrentRounds: 1, queuedRounds: 1, bodyLimit: "64kb" },
        net: { allowPrivate: LOOPBACK },
      },
    );
    try {
      entries.push({ address: me.address, endpoint: node.url, stake: 10n ** 20n, reputation: 500_000 });
      expect((await fetch(`${node.url}/health`)).status).to.equal(200);
      const refusal = (roundId: Hex) =>
        node.member.admit({ kind: "answer-request", roundId, from: coordinator }).then(
          () => "admitted",
          (e: ChorusError) => e.code,
        );
      expect(await refusal(id(3n)), "the complete entry").to.equal("PEER_DUPLICATE");
      // The cut entry was never acknowledged: round 4 is not taken as answered (its coordinator is not staked here).
      expect(await refusal(id(4n)), "the cut entry").to.equal("PEER_NOT_AUTHORIZED");
    } finally {
      await node.close();
    }
  });
});
