/**
 * The index of rounds this node coordinated (append-only JSON lines under its data dir), served at
 * GET /chorus/v1/rounds and /chorus/v1/rounds/:id. The transcripts themselves are on IPFS; this index only
 * says where, and how far settlement got.
 */
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Router } from "express";
import { ChorusError } from "../core/index.js";
import type { RoundOutcome } from "../round/coordinator.js";
import { route } from "../http/index.js";

export interface RoundSummary {
  roundId: string;
  queryCid: string;
  transcriptCid: string;
  winner: string;
  ranking: string[];
  scores: Record<string, number>;
  committee: string[];
  excluded: { member: string; phase: string; reason: string }[];
  createdAt: number;
}

export class RoundIndex {
  private readonly byId = new Map<string, RoundSummary>();
  private readonly file: string;
  private loaded?: Promise<void>;

  constructor(dir: string) {
    this.file = path.join(dir, "rounds.jsonl");
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const text = await readFile(this.file, "utf8").catch(() => "");
      for (const line of text.split("\n")) if (line.trim()) this.remember(JSON.parse(line) as RoundSummary);
    })();
    return this.loaded;
  }

  private remember(s: RoundSummary) {
    this.byId.set(s.roundId.toLowerCase(), s);
    if (this.byId.size > 10_000) this.byId.delete(this.byId.keys().next().value!);
  }

  async add(out: RoundOutcome): Promise<void> {
    await this.load();
    const s: RoundSummary = {
      roundId: out.roundId,
      queryCid: out.queryCid,
      transcriptCid: out.transcriptCid,
      winner: out.result.winner,
      ranking: out.result.ranking,
      scores: out.result.scores,
      committee: out.transcript.committee.members,
      excluded: [...out.transcript.excluded, ...(out.signExcluded ?? [])].map((e) => ({ member: e.member, phase: e.phase, reason: e.reason })),
      createdAt: out.transcript.query.createdAt,
    };
    this.remember(s);
    await appendFile(this.file, JSON.stringify(s) + "\n");
  }

  async get(roundId: string): Promise<RoundSummary | undefined> {
    await this.load();
    return this.byId.get(roundId.toLowerCase());
  }

  async recent(limit: number): Promise<RoundSummary[]> {
    await this.load();
    return [...this.byId.values()].slice(-limit).reverse();
  }
}

export function roundsRouter(index: RoundIndex, settlement: (roundId: string) => Promise<{ status: string; txHash?: string }>): Router {
  const r = Router();
  r.get(
    "/chorus/v1/rounds",
    route(async (req, res) => {
      const raw = String(req.query.limit ?? "50");
      const limit = Number(raw);
      if (!/^\d+$/.test(raw) || limit < 1 || limit > 500) throw new ChorusError("INPUT_INVALID", "limit must be a whole number from 1 to 500");
      res.json({ rounds: await index.recent(limit) });
    }),
  );
  r.get(
    "/chorus/v1/rounds/:id",
    route(async (req, res) => {
      const id = String(req.params.id);
      if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new ChorusError("INPUT_INVALID", "round id must be 0x + 64 hex digits");
      const s = await index.get(id);
      if (!s) throw new ChorusError("NOT_FOUND", `this node did not coordinate round ${id}`);
      const st = await settlement(id);
      res.json({ ...s, settlement: st.status, txHash: st.txHash });
    }),
  );
  return r;
}

/** Rounds this node coordinated that still wait in its settlement queue (for the explorer). */
export function pendingRounds(index: RoundIndex, queue: { status(id: string): Promise<string> }) {
  return async (): Promise<RoundSummary[]> => {
    const out: RoundSummary[] = [];
    for (const r of await index.recent(200)) if ((await queue.status(r.roundId)) === "pending") out.push(r);
    return out;
  };
}
