/**
 * Source reliability from the consensus: which sources a member asks, how it ranks their contexts, and how a
 * settled round moves each source's on-chain reliability and usefulness. Pure, no I/O, deterministic bit for
 * bit (integers and IEEE + - * / only), shared by members, the coordinator, the auditor and the RAG bench.
 *
 * Sampling: `count` sources without replacement, chance ∝ max(usefulness, floor) (integers), from the seeded
 * stream of src/consensus/prng.ts over the candidates in address order, so an auditor re-derives the draw from
 * (round seed, member). The floor (default 0.1 of the scale) keeps new or unlucky sources in the draw.
 * Rerank: score = (1 − w) · relevance + w · reliability / 1e6 (w default 0.5, Reliable-dRAG's), best first;
 * ties by relevance, then source address, then context id.
 *
 * Deltas (S = 1,000,000; every division truncates toward zero, as in Solidity):
 *   words(x)  distinct content words of x (reliability-text.ts), minus the query's words when `query` is given
 *   W         words(winner's answer): the claim the consensus chose
 *   agree_i   |words(a_i) ∩ W| · S / |words(a_i) ∪ W|                 how far answer i says what the winner says
 *   rejected  answers (never the winner) with at least half of all answers scoring strictly higher;
 *             their turned-down claims L_i = words(a_i) \ W
 *   κ         Σ_i score_i · agree_i / Σ_i score_i                      (S when every score is 0): the share of
 *             consensus score behind the winner's claim, i.e. how sure the round is
 *   per use of a context c (each context in each answer's list counts once), with best = the largest
 *   |words(c') ∩ W| over every used context c' of the round and rel_c its relevance at the source (micro-units):
 *     support_c = |words(c) ∩ W| · S / best      (0 when best = 0): how much of the winner's claim c states,
 *                 against the best-supported context of the round (so long free-text answers are not punished
 *                 for words no context holds)
 *     contra_c  = max( max over rejected i with L_i ≠ ∅ of |words(c) ∩ L_i| · S / |L_i|,   it states a rejected claim
 *                      rel_c · (S − support_c) / S  when best > 0 )      it is on the question but does not
 *                 state what the consensus concluded (Reliable-dRAG's "contains an answer, but not the right one")
 *     stated_c  = max(support_c, max over non-winning answers i with D_i = words(a_i) \ W ≠ ∅ of
 *                 |words(c) ∩ D_i| · S / |D_i|)          c states some answer of the round, right or wrong
 *     r_c       = support_c − contra_c                       reliability: it states the consensus's claim
 *     u_c       = stated_c − rel_c · (S − stated_c) / S      usefulness: it answers the question (a context its
 *                 source ranked relevant that answers nothing counts against it; low-relevance filler ~0)
 *   per source, over its m uses:  R = Σ r_c / m,  U = Σ u_c / m
 *     Δreliability = (R · κ / S) · B / S       Δusefulness = (U · κ / S) · B / S     B = maxDelta ≤ 50,000
 * so |Δ| ≤ B, and a source whose contexts say what the consensus said rises while one whose relevant contexts
 * say something else falls, scaled by how united the consensus was. Leave-one-out importance is not used: it is
 * 0 for every context as soon as two sources agree (it would punish agreement); the single-context importance
 * above is the coverage game's value of c alone, independent of what else was retrieved. No ground truth is
 * needed: the winner is chosen by peers' judgments, so the claim a source is measured against is the one the
 * stake-weighted committee converged on; a source earns reliability by agreeing with converged consensus,
 * which is right as long as most of the consensus's evidence is (a majority assumption, like any oracle).
 * `groundTruthDeltas` is the evaluation mode: the same formula with the known answer as the claim, every
 * answer that differs from it rejected, κ = S.
 */
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { applyDelta, divTrunc, MAX_REP_DELTA, REP_SCALE } from "../core/index.js";
import { SeededRandom } from "../consensus/prng.js";
import { ChorusError, compareAddress, present } from "../core/index.js";
import { contentWords, overlap } from "./reliability-text.js";
import type { ServedContext, SourceInfo, SourceScoreDelta, UsedContext } from "./rag-types.js";

/** Largest |delta| one round may apply to one source score: the Settlement contract's bound (FixedPoint.MAX_DELTA). */
export const SOURCE_DELTA_BOUND = MAX_REP_DELTA;
/** Source scores are integers in [0, SOURCE_SCALE]; SOURCE_SCALE stands for 1.0. */
export const SOURCE_SCALE = REP_SCALE;
/** Weight of on-chain reliability in the rerank (Reliable-dRAG used 0.5). */
export const DEFAULT_RELIABILITY_WEIGHT = 0.5;
/** Usefulness below this counts as this in the draw: 0.1 of the scale. */
export const DEFAULT_EXPLORATION_FLOOR = 100_000;
/** Most candidate sources one draw accepts (keeps the integer draw below 2^32). */
export const MAX_SAMPLE_SOURCES = 4096;
/** Domain separation of the draw's seeded stream. */
export const SAMPLE_STREAM = "chorus/rag-sample@1";

const S = SOURCE_SCALE;

// ------------------------------------------------------------------ validation

const address = z.string().refine((a) => isAddress(a, { strict: false }), "not an address");
const score = z.number().int().min(0).max(S);
const sourceInfo = z.object({ address, endpoint: z.string(), reliability: score, usefulness: score });
const servedContext = z.object({ id: z.string(), doc: z.string(), text: z.string(), score: z.number().min(0).max(1) });
const usedContext = z.object({
  source: address,
  id: z.string(),
  text: z.string().max(100_000),
  relevance: z.number().min(0).max(1),
});
const answer = z.object({ member: address, text: z.string().max(100_000), contexts: z.array(usedContext).max(1000) });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ChorusError(
      "RAG_RELIABILITY_BAD_INPUT",
      `${what}${i.path.length ? "." + i.path.join(".") : ""}: ${i.message}`,
      {
        issues: r.error.issues.slice(0, 5).map((x) => `${x.path.join(".")}: ${x.message}`),
      },
    );
  }
  return r.data;
}

const bad = (message: string, details: Record<string, unknown> = {}): never => {
  throw new ChorusError("RAG_RELIABILITY_BAD_INPUT", message, details);
};

const byAddress = compareAddress;

// ------------------------------------------------------------------ sampling

export interface SampleOptions {
  /** Usefulness below this counts as this; integer in [0, 1e6]. 0 means a source at usefulness 0 is never drawn. */
  explorationFloor?: number;
}

/**
 * Draws up to `count` of `sources` without replacement, chance ∝ max(usefulness, floor), seeded by `seed`
 * (callers pass keccak256(round seed ‖ member)). Candidates are taken in address order, so the input order
 * does not matter; the result is in draw order. Fewer than `count` come back only when fewer have weight > 0.
 */
export function sampleSources(sources: SourceInfo[], count: number, seed: Hex, opts: SampleOptions = {}): SourceInfo[] {
  const list = parse(z.array(sourceInfo).max(MAX_SAMPLE_SOURCES), sources, "sources");
  parse(z.number().int().min(0), count, "count");
  parse(z.string().regex(/^0x[0-9a-fA-F]*$/, "not a 0x hex string"), seed, "seed");
  const floor = parse(score, opts.explorationFloor ?? DEFAULT_EXPLORATION_FLOOR, "explorationFloor");
  const seen = new Set<string>();
  for (const s of list) {
    const k = s.address.toLowerCase();
    if (seen.has(k)) bad(`source ${s.address} is listed twice`, { source: s.address });
    seen.add(k);
  }
  const order = sources.map((s, i) => ({ s, i })).sort((a, b) => byAddress(a.s.address, b.s.address));
  const pool = order.map(({ s }) => ({ s, w: Math.max(s.usefulness, floor) })).filter((x) => x.w > 0);
  const rng = new SeededRandom(`${SAMPLE_STREAM}:${seed.toLowerCase()}`);
  const out: SourceInfo[] = [];
  while (out.length < count && pool.length > 0) {
    let total = 0;
    for (const x of pool) total += x.w;
    let r = rng.below(total);
    let j = 0;
    while (r >= pool[j].w) r -= pool[j++].w;
    out.push(pool[j].s);
    pool.splice(j, 1);
  }
  return out;
}

// ------------------------------------------------------------------ rerank

export interface RerankOptions {
  /** Weight w of reliability in [0, 1]; default 0.5. */
  reliabilityWeight?: number;
}

/**
 * The `k` best contexts by (1 − w) · relevance + w · reliability / 1e6, best first; ties by relevance, then
 * source address, then context id. A source serving one context id twice is bad input.
 */
export function rerankContexts(
  items: { source: SourceInfo; context: ServedContext }[],
  k: number,
  opts: RerankOptions = {},
): UsedContext[] {
  parse(z.array(z.object({ source: sourceInfo, context: servedContext })), items, "items");
  parse(z.number().int().min(0), k, "k");
  const w = parse(z.number().min(0).max(1), opts.reliabilityWeight ?? DEFAULT_RELIABILITY_WEIGHT, "reliabilityWeight");
  const seen = new Set<string>();
  const scored = items.map(({ source, context }) => {
    const key = `${source.address.toLowerCase()}\n${context.id}`;
    if (seen.has(key))
      bad(`source ${source.address} served context ${context.id} twice`, { source: source.address, id: context.id });
    seen.add(key);
    return { source, context, score: (1 - w) * context.score + (w * source.reliability) / S };
  });
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      b.context.score - a.context.score ||
      byAddress(a.source.address, b.source.address) ||
      (a.context.id < b.context.id ? -1 : a.context.id > b.context.id ? 1 : 0),
  );
  return scored.slice(0, k).map(({ source, context }) => ({
    source: source.address,
    id: context.id,
    text: context.text,
    relevance: context.score,
  }));
}

// ------------------------------------------------------------------ deltas

export interface DeltaInput {
  answers: { member: Address; text: string; contexts: UsedContext[] }[];
  /** Consensus score per member (the transcript's integer strengths); keys compared case-insensitively. */
  scores: Record<string, number>;
  winner: Address;
  /** The query's text: its words are left out of every claim (they restate the question, not an answer). */
  query?: string;
}

export interface DeltaOptions {
  /** B: the largest |delta|, integer in [0, SOURCE_DELTA_BOUND]; default SOURCE_DELTA_BOUND. */
  maxDelta?: number;
}

/** One delta per source any answer used (zeros included), sorted by address. See the module comment. */
export function sourceDeltas(input: DeltaInput, opts: DeltaOptions = {}): SourceScoreDelta[] {
  const { answers, winner, query } = parse(
    z.object({
      answers: z.array(answer).min(1).max(1000),
      scores: z.record(z.string(), z.number()),
      winner: address,
      query: z.string().max(100_000).optional(),
    }),
    input,
    "input",
  );
  const B = maxDeltaOf(opts);
  const scores = new Map<string, number>();
  for (const [k, v] of Object.entries(input.scores)) {
    if (!Number.isSafeInteger(v) || v < 0)
      bad(`score of ${k} must be a non-negative safe integer, got ${v}`, { member: k, score: v });
    if (scores.has(k.toLowerCase())) bad(`score of ${k} is given twice`, { member: k });
    scores.set(k.toLowerCase(), v);
  }
  const members = new Set<string>();
  for (const a of answers) {
    const m = a.member.toLowerCase();
    if (members.has(m)) bad(`member ${a.member} answered twice`, { member: a.member });
    members.add(m);
    if (!scores.has(m)) bad(`no score for member ${a.member}`, { member: a.member });
  }
  const win =
    answers.find((a) => a.member.toLowerCase() === winner.toLowerCase()) ??
    bad(`winner ${winner} did not answer`, { winner });
  const minus = query === undefined ? undefined : contentWords(query);
  const claims = answers.map((a) => contentWords(a.text, minus));
  const W = contentWords(win.text, minus);
  const s = answers.map((a) => present(scores.get(a.member.toLowerCase()), `the score of ${a.member}`));

  let sum = 0;
  let weighted = 0;
  const rejected: Set<string>[] = [];
  const others: Set<string>[] = [];
  answers.forEach((a, i) => {
    const inter = overlap(claims[i], W);
    const union = claims[i].size + W.size - inter;
    const agree = union === 0 ? S : divTrunc(inter * S, union);
    sum += s[i];
    weighted += s[i] * agree;
    const D = new Set([...claims[i]].filter((w) => !W.has(w)));
    if (a === win || D.size === 0) return;
    others.push(D);
    if (2 * s.filter((x) => x > s[i]).length >= answers.length) rejected.push(D);
  });
  if (!Number.isSafeInteger(weighted)) bad("scores are too large for exact integer arithmetic", { sum });
  const kappa = sum === 0 ? S : divTrunc(weighted, sum);
  return deltasFrom(answers, W, rejected, others, kappa, B);
}

/**
 * Evaluation mode with ground truth: the same formula with `truth` as the claim, every answer whose words
 * differ from the truth's rejected, and κ = S. For benchmarks only: production rounds have no ground truth.
 */
export function groundTruthDeltas(
  input: { answers: DeltaInput["answers"]; truth: string; query?: string },
  opts: DeltaOptions = {},
): SourceScoreDelta[] {
  const { answers, truth, query } = parse(
    z.object({
      answers: z.array(answer).max(1000),
      truth: z.string().max(100_000),
      query: z.string().max(100_000).optional(),
    }),
    input,
    "input",
  );
  const B = maxDeltaOf(opts);
  const minus = query === undefined ? undefined : contentWords(query);
  const W = contentWords(truth, minus);
  const rejected: Set<string>[] = [];
  for (const a of answers) {
    const L = new Set([...contentWords(a.text, minus)].filter((w) => !W.has(w)));
    if (L.size > 0) rejected.push(L);
  }
  return deltasFrom(answers, W, rejected, rejected, S, B);
}

function maxDeltaOf(opts: DeltaOptions): number {
  return parse(z.number().int().min(0).max(SOURCE_DELTA_BOUND), opts.maxDelta ?? SOURCE_DELTA_BOUND, "maxDelta");
}

function deltasFrom(
  answers: DeltaInput["answers"],
  W: Set<string>,
  rejected: Set<string>[],
  others: Set<string>[],
  kappa: number,
  B: number,
): SourceScoreDelta[] {
  const uses = answers.flatMap((a) => a.contexts.map((c) => ({ c, words: contentWords(c.text) })));
  let best = 0;
  for (const u of uses) best = Math.max(best, overlap(u.words, W));
  const per = new Map<string, { rel: number; use: number; m: number }>();
  for (const { c, words } of uses) {
    const support = best === 0 ? 0 : divTrunc(overlap(words, W) * S, best);
    let contra = 0;
    for (const L of rejected) contra = Math.max(contra, divTrunc(overlap(words, L) * S, L.size));
    const relevance = Math.round(c.relevance * S);
    if (best > 0) contra = Math.max(contra, divTrunc(relevance * (S - support), S));
    let stated = support;
    for (const D of others) stated = Math.max(stated, divTrunc(overlap(words, D) * S, D.size));
    const key = getAddress(c.source);
    const acc = per.get(key) ?? { rel: 0, use: 0, m: 0 };
    acc.rel += support - contra;
    acc.use += stated - divTrunc(relevance * (S - stated), S);
    acc.m += 1;
    per.set(key, acc);
  }
  const delta = (total: number, m: number) => {
    const d = divTrunc(divTrunc(divTrunc(total, m) * kappa, S) * B, S);
    return d === 0 ? 0 : d;
  };
  return [...per.entries()]
    .sort(([a], [b]) => byAddress(a, b))
    .map(([source, { rel, use, m }]) => ({
      source: source as Address,
      reliability: delta(rel, m),
      usefulness: delta(use, m),
    }));
}

// ------------------------------------------------------------------ what the chain does

/** One score after one delta, as Settlement applies it: clamp(score + delta, 0, 1e6), |delta| ≤ the bound. */
export function applySourceDelta(scoreValue: number, delta: number): number {
  parse(score, scoreValue, "score");
  parse(z.number().int().min(-SOURCE_DELTA_BOUND).max(SOURCE_DELTA_BOUND), delta, "delta");
  return applyDelta(scoreValue, delta);
}

/**
 * The sources after one round's deltas, as Settlement applies a record (each delta clamped in turn; a delta for
 * a source that is not listed is bad input, as the contract reverts for an inactive source). A new array.
 */
export function applySourceDeltas(sources: SourceInfo[], deltas: SourceScoreDelta[]): SourceInfo[] {
  const index = new Map(sources.map((s, i) => [s.address.toLowerCase(), i]));
  const out = sources.map((s) => ({ ...s }));
  for (const d of deltas) {
    const i = index.get(d.source.toLowerCase()) ?? bad(`delta for unknown source ${d.source}`, { source: d.source });
    out[i].reliability = applySourceDelta(out[i].reliability, d.reliability);
    out[i].usefulness = applySourceDelta(out[i].usefulness, d.usefulness);
  }
  return out;
}
