/**
 * The RAG bench's simulation (scripts/bench-rag.ts): a centralized RAG (one pooled index over every source's
 * documents) against Chorus rounds (each member draws sources with `sampleSources`, retrieves from each,
 * `rerankContexts`, reads; peers judge pairwise; Bradley–Terry through src/consensus picks the winner; the
 * round's `sourceDeltas` are settled every `epochRounds` rounds exactly as the chain applies them). Only the
 * members' model is simulated (by the extractive reader); every retrieval and reliability decision is made by
 * the production code.
 */
import { concat, keccak256, toHex, type Address } from "viem";
import {
  aggregate,
  assignPairs,
  schedulePairs,
  scoreKey,
  uniformWeights,
  type Judgment,
} from "../../src/consensus/index.js";
import { chunkText } from "../../src/rag/chunk.js";
import { loadEmbedder, type Embedder, type EmbedOptions } from "../../src/rag/embeddings.js";
import { createHybridIndex, type HybridIndex } from "../../src/rag/hybrid-index.js";
import {
  applySourceDeltas,
  groundTruthDeltas,
  rerankContexts,
  sampleSources,
  sourceDeltas,
  SOURCE_SCALE,
} from "../../src/protocol/index.js";
import type { Chunk, ServedContext, SourceInfo, SourceScoreDelta, UsedContext } from "../../src/protocol/index.js";
import { answerSentence, parseQuestion, readAnswer, statedValues, type Dataset, type Question } from "./rag-dataset.js";

export interface SimParams {
  seed: string;
  /** Members per round. */
  committee: number;
  /** Sources each member draws. */
  draw: number;
  /** Contexts asked of each drawn source. */
  perSourceK: number;
  /** Contexts in a prompt (the centralized RAG's top-k as well). */
  k: number;
  warmup: number;
  questions: number;
  epochRounds: number;
  reliabilityWeight: number;
  explorationFloor: number;
  /** Give sourceDeltas the query text (its words are left out of claims). */
  passQuery: boolean;
}

export interface World {
  data: Dataset;
  sourceIndexes: HybridIndex[];
  pooled: HybridIndex;
  /** `${source address lower}|${chunk id}` → polluted; pooled chunks by id. */
  pollutedOf: Map<string, boolean>;
  addresses: Address[];
  model: string;
}

export interface ArmResult {
  correct: number;
  total: number;
  usedContexts: number;
  pollutedContexts: number;
  /** Final on-chain scores per source (Chorus arms). */
  finalScores?: SourceInfo[];
}

/**
 * Source s's address: hashed from the seed, so address order (the rerank's last tie-break, and the draw's
 * candidate order) says nothing about pollution. Every relevant document has relevance 1 at its own source
 * (BM25 is normalised per query), so a pollution-ordered address would decide ties in favour of clean sources.
 */
export const sourceAddress = (seed: string, s: number): Address =>
  `0x${keccak256(toHex(`${seed}:source-address:${s}`)).slice(26)}`;
const memberAddress = (m: number): Address => `0x${(0xb000n + BigInt(m)).toString(16).padStart(40, "0")}`;

/** An embedder that remembers every vector it made (queries repeat across sources and arms). */
function cachingEmbedder(inner: Embedder): Embedder {
  const cache = new Map<string, Float32Array>();
  return {
    dim: inner.dim,
    model: inner.model,
    async embed(texts: string[], opts: EmbedOptions = {}) {
      const missing = [...new Set(texts.filter((t) => !cache.has(t)))];
      if (missing.length > 0) (await inner.embed(missing, opts)).forEach((v, i) => cache.set(missing[i], v));
      return texts.map((t) => cache.get(t)!);
    },
    async embedOne(text: string, opts = {}) {
      return (await this.embed([text], opts))[0];
    },
  };
}

/** Chunks, per-source indexes and the pooled index. `embeddings: false` means BM25 only. */
export async function buildWorld(data: Dataset, seed: string, embeddings: boolean): Promise<World> {
  const embedder = embeddings ? cachingEmbedder(await loadEmbedder()) : null;
  const addresses = data.sources.map((_, s) => sourceAddress(seed, s));
  const pollutedOf = new Map<string, boolean>();
  const perSource: Chunk[][] = data.sources.map((docs, s) =>
    docs.flatMap((d) => {
      const chunks = chunkText(d.doc, d.text);
      for (const c of chunks) {
        pollutedOf.set(`${addresses[s].toLowerCase()}|${c.id}`, d.polluted);
        pollutedOf.set(`pooled|${c.id}`, d.polluted);
      }
      return chunks;
    }),
  );
  const sourceIndexes: HybridIndex[] = [];
  for (const chunks of perSource) sourceIndexes.push(await createHybridIndex(chunks, { embedder }));
  const pooled = await createHybridIndex(perSource.flat(), { embedder });
  return { data, sourceIndexes, pooled, pollutedOf, addresses, model: pooled.model ?? "BM25 only" };
}

/** The centralized RAG: pooled top-k, the reader. */
export async function runCentralized(world: World, questions: Question[], k: number): Promise<ArmResult> {
  const r: ArmResult = { correct: 0, total: 0, usedContexts: 0, pollutedContexts: 0 };
  for (const q of questions) {
    const ctx = await world.pooled.search(q.text, k);
    const a = readAnswer(
      q.text,
      ctx.map((c) => c.text),
    );
    r.total++;
    if (a.value === q.answer) r.correct++;
    r.usedContexts += ctx.length;
    r.pollutedContexts += ctx.filter((c) => world.pollutedOf.get(`pooled|${c.id}`)).length;
  }
  return r;
}

export interface MemberAnswer {
  member: Address;
  value: string | null;
  text: string;
  contexts: UsedContext[];
  /** Values this member's own contexts state, for judging. */
  stated: string[];
}

/**
 * A judge's pairwise verdict without ground truth: the answer equal to its own reading wins; otherwise the
 * answer its own contexts state more often; otherwise a tie.
 */
export function judge(own: MemberAnswer, a: MemberAnswer, b: MemberAnswer): "A" | "B" | "tie" {
  if (a.value === b.value) return "tie";
  if (own.value !== null && a.value === own.value) return "A";
  if (own.value !== null && b.value === own.value) return "B";
  const na = own.stated.filter((v) => v === a.value).length;
  const nb = own.stated.filter((v) => v === b.value).length;
  return na > nb ? "A" : nb > na ? "B" : "tie";
}

/** One round: every member's answer, the consensus winner and scores, and the round's source deltas. */
export type DeltaMode = "consensus" | "truth" | "none";

async function round(world: World, p: SimParams, state: SourceInfo[], q: Question, r: number, mode: DeltaMode) {
  const seed = keccak256(toHex(`${p.seed}:round:${r}`));
  const served = new Map<number, ServedContext[]>();
  const parsed = parseQuestion(q.text)!;
  const answers: MemberAnswer[] = [];
  for (let m = 0; m < p.committee; m++) {
    const member = memberAddress(m);
    const drawn = sampleSources(state, p.draw, keccak256(concat([seed, member])), {
      explorationFloor: p.explorationFloor,
    });
    const items: { source: SourceInfo; context: ServedContext }[] = [];
    for (const source of drawn) {
      const s = world.addresses.findIndex((a) => a === source.address);
      if (!served.has(s)) served.set(s, await world.sourceIndexes[s].search(q.text, p.perSourceK));
      for (const context of served.get(s)!) items.push({ source, context });
    }
    const contexts = rerankContexts(items, p.k, { reliabilityWeight: p.reliabilityWeight });
    const a = readAnswer(
      q.text,
      contexts.map((c) => c.text),
    );
    const stated = contexts.flatMap((c) => statedValues(c.text, parsed.attribute, parsed.entity));
    answers.push({ member: member.toLowerCase() as Address, value: a.value, text: a.text, contexts, stated });
  }
  const ids = answers.map((a) => a.member);
  const pairs = schedulePairs(ids.length, { seed }).map(([i, j]) => [ids[i], ids[j]] as [string, string]);
  const { assignments } = assignPairs(pairs, ids, seed);
  const byId = new Map(answers.map((a) => [a.member as string, a]));
  const judgments: Judgment[] = [];
  for (const [j, list] of Object.entries(assignments)) {
    for (const [x, y] of list)
      judgments.push({ judge: j, a: x, b: y, outcome: judge(byId.get(j)!, byId.get(x)!, byId.get(y)!) });
  }
  const agg = aggregate({ answers: ids, judgments, weights: uniformWeights(ids) });
  const scores = Object.fromEntries(Object.entries(agg.scores).map(([id, s]) => [id, scoreKey(s)]));
  const winner = byId.get(agg.winner)!;
  const input = answers.map((a) => ({ member: a.member, text: a.text, contexts: a.contexts }));
  const query = p.passQuery ? q.text : undefined;
  const deltas =
    mode === "consensus"
      ? sourceDeltas({ answers: input, scores, winner: winner.member, query })
      : mode === "truth"
        ? groundTruthDeltas({ answers: input, truth: answerSentence(parsed.attribute, parsed.entity, q.answer), query })
        : [];
  return { answers, winner, deltas };
}

/**
 * A Chorus arm: `warmup` settled rounds, then `questions` measured rounds (still settling: production keeps
 * learning, and no ground truth enters unless mode is "truth"; "none" settles nothing: the committee alone).
 * Sources start at 0.5 / 0.5, as registered.
 */
export async function runChorus(
  world: World,
  p: SimParams,
  warmQs: Question[],
  evalQs: Question[],
  mode: DeltaMode,
  log?: (s: string) => void,
): Promise<ArmResult> {
  let state: SourceInfo[] = world.addresses.map((address) => ({
    address,
    endpoint: "sim://",
    reliability: SOURCE_SCALE / 2,
    usefulness: SOURCE_SCALE / 2,
  }));
  let pending: SourceScoreDelta[][] = [];
  const res: ArmResult = { correct: 0, total: 0, usedContexts: 0, pollutedContexts: 0 };
  const all = [...warmQs, ...evalQs];
  for (let r = 0; r < all.length; r++) {
    const q = all[r];
    const { answers, winner, deltas } = await round(world, p, state, q, r, mode);
    pending.push(deltas);
    if ((r + 1) % p.epochRounds === 0) {
      for (const d of pending) state = applySourceDeltas(state, d);
      pending = [];
    }
    if (r >= warmQs.length) {
      res.total++;
      if (winner.value === q.answer) res.correct++;
      for (const a of answers) {
        res.usedContexts += a.contexts.length;
        res.pollutedContexts += a.contexts.filter((c) =>
          world.pollutedOf.get(`${c.source.toLowerCase()}|${c.id}`),
        ).length;
      }
    }
    if (log && (r + 1) % 100 === 0)
      log(
        `  ${mode} round ${r + 1}: ${state.map((s) => `${(s.reliability / 1e4).toFixed(0)}/${(s.usefulness / 1e4).toFixed(0)}`).join(" ")}  (reliability/usefulness %, sources by pollution order)`,
      );
  }
  res.finalScores = state;
  return res;
}

export const pct = (a: ArmResult, f: "correct" | "polluted") =>
  f === "correct" ? (100 * a.correct) / a.total : (100 * a.pollutedContexts) / Math.max(1, a.usedContexts);
