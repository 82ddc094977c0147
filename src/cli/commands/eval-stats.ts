/**
 * The pure part of `chorus eval`: the data set's format, the prompt, the answer a reply chose, and the
 * figures with 95% bootstrap intervals. No I/O.
 */
import { z } from "zod";
import { ChorusError } from "../../core/index.js";
import { choiceLetter, majorityVote, normalizeAnswer, SeededRandom } from "../../consensus/index.js";

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** One line of the data set (GPQA's fields; extra fields are ignored). `answer`: a letter, a 0-based index or the right choice's text. */
const ItemSchema = z.object({
  id: z.string().optional(),
  question: z.string().min(1).max(16_000),
  choices: z.array(z.string().min(1).max(4_000)).min(2).max(26),
  answer: z.union([z.string().min(1), z.number().int().min(0)]),
});

export interface EvalItem {
  id: string;
  question: string;
  choices: string[];
  /** The right option's letter, upper case. */
  answer: string;
}

/** Parses a JSONL data set; every error names its line. */
export function parseDataset(text: string, file = "dataset"): EvalItem[] {
  const items: EvalItem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}:${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new ChorusError("INPUT_INVALID", `${where}: not a JSON object`);
    }
    const p = ItemSchema.safeParse(raw);
    if (!p.success)
      throw new ChorusError(
        "INPUT_INVALID",
        `${where}: ${p.error.issues.map((x) => `${x.path.join(".") || "item"}: ${x.message}`).join("; ")}`,
      );
    const { question, choices, answer } = p.data;
    let index = -1;
    if (typeof answer === "number") index = answer;
    else if (/^[A-Za-z]$/.test(answer.trim())) index = LETTERS.indexOf(answer.trim().toUpperCase());
    else index = choices.findIndex((c) => normalizeAnswer(c) === normalizeAnswer(answer));
    if (index < 0 || index >= choices.length) {
      throw new ChorusError(
        "INPUT_INVALID",
        `${where}: answer ${JSON.stringify(answer)} is neither a letter, an index nor one of the ${choices.length} choices`,
      );
    }
    items.push({ id: p.data.id ?? String(items.length + 1), question, choices, answer: LETTERS[index] });
  });
  if (items.length === 0) throw new ChorusError("INPUT_INVALID", `${file}: no items`);
  return items;
}

/** The prompt every model gets: the question, the lettered options, and how to answer. */
export function promptOf(item: EvalItem): string {
  const options = item.choices.map((c, i) => `${LETTERS[i]}) ${c}`).join("\n");
  return `${item.question}\n\n${options}\n\nAnswer with the letter of the correct option, as "Answer: X".`;
}

/** The letter a reply chose (upper case), or undefined. */
export function chosen(reply: string | undefined): string | undefined {
  return reply === undefined ? undefined : choiceLetter(reply)?.toUpperCase();
}

/** What one question gave. */
export interface QuestionResult {
  id: string;
  answer: string;
  /** The swarm's (winner's) letter. */
  swarm?: string;
  /** Each committee member's letter, from the round's transcript (empty when it could not be read). */
  members: Record<string, string | undefined>;
  /** Each --nodes backend's letter when asked directly. */
  backends: Record<string, string | undefined>;
  latencyMs: number;
  tokens?: number;
  error?: string;
}

/** A point estimate with its 95% bootstrap interval (percentile), in the unit of the figure. */
export interface Estimate {
  value: number;
  lo: number;
  hi: number;
  /** Questions it is measured on (for a node: the questions it answered). */
  n: number;
  who?: string;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);

/** Majority over the letters given (normalised as majorityVote does; a reply without a letter votes for nothing). */
export function majorityLetter(letters: Readonly<Record<string, string | undefined>>): string | undefined {
  const given = Object.fromEntries(Object.entries(letters).filter((e): e is [string, string] => e[1] !== undefined));
  if (Object.keys(given).length === 0) return undefined;
  return majorityVote(given).answer.toUpperCase();
}

/**
 * The figures of an eval: swarm accuracy, majority over the members' answers (the same answers the swarm
 * ranked), best and mean node among members that answered at least half the questions, the same three over the
 * --nodes backends, latency and tokens per question. Intervals: `resamples` bootstrap resamples of the
 * questions (seeded, so a run is reproducible), 2.5th and 97.5th percentiles; every figure, the best node
 * included, is recomputed on each resample.
 */
export function summarize(results: readonly QuestionResult[], opts: { resamples?: number; seed?: string } = {}) {
  const B = opts.resamples ?? 2000;
  const rng = new SeededRandom(`eval:${opts.seed ?? "chorus-eval"}`);
  const n = results.length;
  const draws: number[][] = [];
  for (let b = 0; b < B; b++) draws.push(Array.from({ length: n }, () => rng.below(n)));
  const all = results.map((_, i) => i);

  const estimate = (f: (idx: readonly number[]) => number, count: number, who?: string): Estimate => {
    const vs = draws
      .map(f)
      .filter((v) => !Number.isNaN(v))
      .sort((x, y) => x - y);
    const pick = (q: number) =>
      vs.length ? vs[Math.min(vs.length - 1, Math.max(0, Math.round(q * (vs.length - 1))))] : NaN;
    return { value: f(all), lo: pick(0.025), hi: pick(0.975), n: count, ...(who ? { who } : {}) };
  };
  const acc = (pick: (r: QuestionResult) => string | undefined) => (idx: readonly number[]) =>
    100 * mean(idx.map((i) => (pick(results[i]) === results[i].answer ? 1 : 0)));
  /** Accuracy of `who` over the questions of `idx` it answered (NaN if none). */
  const nodeAcc = (key: "members" | "backends", who: string) => (idx: readonly number[]) => {
    const seen = idx.filter((i) => who in results[i][key]);
    return seen.length ? 100 * mean(seen.map((i) => (results[i][key][who] === results[i].answer ? 1 : 0))) : NaN;
  };
  const group = (key: "members" | "backends", minShare: number) => {
    const counts = new Map<string, number>();
    for (const r of results) for (const who of Object.keys(r[key])) counts.set(who, (counts.get(who) ?? 0) + 1);
    const nodes = [...counts]
      .filter(([, c]) => c >= minShare * n)
      .map(([w]) => w)
      .sort();
    if (nodes.length === 0) return undefined;
    const fs = nodes.map((w) => nodeAcc(key, w));
    const bestOf = (idx: readonly number[]) => Math.max(...fs.map((f) => f(idx)).filter((v) => !Number.isNaN(v)));
    const top = nodes.reduce((b, w, i) => (fs[i](all) > fs[nodes.indexOf(b)](all) ? w : b), nodes[0]);
    return {
      nodes: nodes.map((w, i) => ({ node: w, accuracy: fs[i](all), questions: counts.get(w) ?? 0 })),
      best: estimate(bestOf, counts.get(top) ?? 0, top),
      mean: estimate((idx) => mean(fs.map((f) => f(idx)).filter((v) => !Number.isNaN(v))), n),
      majority: estimate(
        acc((r) => majorityLetter(r[key])),
        n,
      ),
    };
  };
  const tokens = results.filter((r) => r.tokens !== undefined).length;
  return {
    questions: n,
    errors: results.filter((r) => r.error).length,
    swarm: estimate(
      acc((r) => r.swarm),
      n,
    ),
    members: group("members", 0.5),
    backends: group("backends", 0),
    latencyMs: estimate((idx) => mean(idx.map((i) => results[i].latencyMs)), n),
    tokens: tokens
      ? estimate((idx) => mean(idx.map((i) => results[i].tokens).filter((t): t is number => t !== undefined)), tokens)
      : undefined,
  };
}

export type EvalSummary = ReturnType<typeof summarize>;
