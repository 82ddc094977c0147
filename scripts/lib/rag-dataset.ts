/**
 * The RAG bench's data (scripts/bench-rag.ts): a seeded world of fictional countries with six attributes, K
 * sources that each describe every country in their own wording with a share of their documents polluted
 * (every fact of a polluted document altered), questions with known answers, and a deterministic extractive
 * reader. Everything here is written for this project; nothing is downloaded.
 */
import { SeededRandom } from "../../src/consensus/prng.js";
import { ChorusError } from "../../src/core/index.js";

export const ATTRIBUTES = ["capital", "founded", "population", "flag", "currency", "language"] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

const COLOURS = [
  "red",
  "blue",
  "green",
  "yellow",
  "purple",
  "orange",
  "white",
  "black",
  "crimson",
  "teal",
  "silver",
  "golden",
];
const ONSETS = [
  "b",
  "d",
  "f",
  "g",
  "k",
  "l",
  "m",
  "n",
  "p",
  "r",
  "s",
  "t",
  "v",
  "z",
  "br",
  "dr",
  "gl",
  "kr",
  "st",
  "th",
  "tr",
  "sh",
];
const VOWELS = ["a", "e", "i", "o", "u", "ae", "ia", "ou"];
const CODAS = ["", "", "n", "r", "l", "s", "m"];

/** Sentence templates per attribute ({E} entity, {V} value). Each source writes with its own choice. */
export const FACT_TEMPLATES: Record<Attribute, string[]> = {
  capital: ["The capital of {E} is {V}.", "{V} is the capital city of {E}.", "{E} is governed from its capital, {V}."],
  founded: ["{E} was founded in {V}.", "The founding of {E} dates to the year {V}.", "In {V}, {E} was founded."],
  population: [
    "{E} has a population of {V}.",
    "The population of {E} is {V}.",
    "About {V} people live in {E}, its population count.",
  ],
  flag: ["The flag of {E} is {V}.", "{E} flies a {V} flag.", "The national flag of {E} is mostly {V}."],
  currency: [
    "The currency of {E} is the {V}.",
    "People in {E} pay with the {V}, the national currency.",
    "{E} uses the {V} as its currency.",
  ],
  language: [
    "The language of {E} is {V}.",
    "Most people in {E} speak {V}, the national language.",
    "{V} is the official language of {E}.",
  ],
};

/** Question templates; the reader recognises exactly these. */
export const QUESTION_TEMPLATES: Record<Attribute, string> = {
  capital: "What is the capital of {E}?",
  founded: "In which year was {E} founded?",
  population: "What is the population of {E}?",
  flag: "What colour is the flag of {E}?",
  currency: "What is the currency of {E}?",
  language: "Which language is spoken in {E}?",
};

const FILLERS = [
  "Its winters are mild and its summers long.",
  "Travellers often praise the local food.",
  "The country is known for its old bridges.",
  "Many festivals are held there every spring.",
  "Its coastline is rocky in the north.",
  "Farming remains important in the valleys.",
  "The railway network was extended recently.",
  "Several rivers cross the central plains.",
];

export interface Entity {
  name: string;
  facts: Record<Attribute, string>;
  /** The false value polluted documents state for each attribute (consistent misinformation). */
  falseFacts: Record<Attribute, string>;
}

export interface SourceDoc {
  /** Chunk-id prefix; a hash-like tag so that tie-breaks by id do not favour any source. */
  doc: string;
  entity: number;
  polluted: boolean;
  text: string;
}

export interface Question {
  entity: number;
  attribute: Attribute;
  text: string;
  answer: string;
}

export interface DatasetParams {
  seed: string;
  entities: number;
  /** Pollution rate of each source in [0, 1]; its length is K. */
  pollution: number[];
  /** `consistent`: every polluted document states the same false value; `random`: each its own. */
  wrong: "consistent" | "random";
}

export interface Dataset {
  entities: Entity[];
  sources: SourceDoc[][];
  questions: Question[];
}

function name(r: SeededRandom, syllables: number, suffix: string): string {
  let s = "";
  for (let i = 0; i < syllables; i++)
    s +=
      ONSETS[r.below(ONSETS.length)] +
      VOWELS[r.below(VOWELS.length)] +
      (i === syllables - 1 ? CODAS[r.below(CODAS.length)] : "");
  s += suffix;
  return s[0].toUpperCase() + s.slice(1);
}

const SUFFIX: Record<"entity" | "capital" | "currency" | "language", string[]> = {
  entity: ["ia", "and", "ovia", "istan", "enia"],
  capital: ["haven", "ford", "burg", "mouth", "holm"],
  currency: ["mark", "crown", "piece", "dal"],
  language: ["ish", "ese", "ic"],
};

/** Draws a value of `a` that is not in `used` (names are unique across the whole world). */
function drawValue(r: SeededRandom, a: Attribute, used: Set<string>, not?: string): string {
  for (;;) {
    let v: string;
    if (a === "founded") v = String(1000 + r.below(1000));
    else if (a === "population") v = String(10_000 + r.below(9_990_000));
    else if (a === "flag") v = COLOURS[r.below(COLOURS.length)];
    else {
      const kind = a === "capital" ? "capital" : a === "currency" ? "currency" : "language";
      v = name(r, 1 + r.below(2), SUFFIX[kind][r.below(SUFFIX[kind].length)]);
    }
    if (v === not) continue;
    if (a === "flag" || a === "founded" || a === "population") return v;
    if (used.has(v.toLowerCase())) continue;
    used.add(v.toLowerCase());
    return v;
  }
}

const fill = (t: string, e: string, v: string) => t.replaceAll("{E}", e).replaceAll("{V}", v);

/** The seeded dataset: entities, K sources of one document per entity, and one question per fact (shuffled). */
export function makeDataset(p: DatasetParams): Dataset {
  if (!Number.isInteger(p.entities) || p.entities < 1 || p.entities > 5000)
    throw new ChorusError("BENCH_BAD_PARAMS", `entities must be 1..5000, got ${p.entities}`);
  if (p.pollution.length < 1 || p.pollution.some((x) => !(x >= 0 && x <= 1)))
    throw new ChorusError("BENCH_BAD_PARAMS", "every pollution rate must be in [0, 1], at least one source");
  const r = new SeededRandom(`${p.seed}:world`);
  const used = new Set<string>();
  const entities: Entity[] = [];
  for (let i = 0; i < p.entities; i++) {
    let n: string;
    do n = name(r, 2 + r.below(2), SUFFIX.entity[r.below(SUFFIX.entity.length)]);
    while (used.has(n.toLowerCase()));
    used.add(n.toLowerCase());
    const facts = {} as Record<Attribute, string>;
    const falseFacts = {} as Record<Attribute, string>;
    for (const a of ATTRIBUTES) facts[a] = drawValue(r, a, used);
    for (const a of ATTRIBUTES) falseFacts[a] = drawValue(r, a, used, facts[a]);
    entities.push({ name: n, facts, falseFacts });
  }
  const sources = p.pollution.map((rate, s) => {
    const sr = new SeededRandom(`${p.seed}:source:${s}`);
    const polluted = new Set(sr.shuffle(entities.map((_, i) => i)).slice(0, Math.round(rate * entities.length)));
    return entities.map((e, i): SourceDoc => {
      const bad = polluted.has(i);
      const sentences = ATTRIBUTES.map((a, ai) => {
        const v = !bad ? e.facts[a] : p.wrong === "consistent" ? e.falseFacts[a] : drawValue(sr, a, used, e.facts[a]);
        return fill(FACT_TEMPLATES[a][(s + ai) % FACT_TEMPLATES[a].length], e.name, v);
      });
      for (let f = sr.below(3); f > 0; f--) sentences.push(FILLERS[sr.below(FILLERS.length)]);
      const text = `${e.name} is a country. ${sr.shuffle(sentences).join(" ")}`;
      const tag = sr.nextUint32().toString(16).padStart(8, "0");
      return { doc: `${tag}-s${s}/${e.name.toLowerCase()}`, entity: i, polluted: bad, text };
    });
  });
  const questions = new SeededRandom(`${p.seed}:questions`).shuffle(
    entities.flatMap((e, i) =>
      ATTRIBUTES.map((a) => ({
        entity: i,
        attribute: a,
        text: fill(QUESTION_TEMPLATES[a], e.name, ""),
        answer: e.facts[a],
      })),
    ),
  );
  return { entities, sources, questions };
}

// ------------------------------------------------------------------ the extractive reader

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const VALUE = "([\\p{L}\\p{N}]+)";

/** The (attribute, entity) a question asks about, or null when it is not one of QUESTION_TEMPLATES. */
export function parseQuestion(q: string): { attribute: Attribute; entity: string } | null {
  for (const a of ATTRIBUTES) {
    const [pre, post] = QUESTION_TEMPLATES[a].split("{E}");
    const m = new RegExp(`^${escape(pre)}([\\p{L}\\p{N}]+)${escape(post)}$`, "u").exec(q.trim());
    if (m) return { attribute: a, entity: m[1] };
  }
  return null;
}

/** The value each sentence of `context` states for (attribute, entity), in order. */
export function statedValues(context: string, attribute: Attribute, entity: string): string[] {
  const out: string[] = [];
  const patterns = FACT_TEMPLATES[attribute].map(
    (t) => new RegExp(escape(t).replace(escape("{E}"), escape(entity)).replace(escape("{V}"), VALUE), "u"),
  );
  for (const sentence of context.split(/(?<=\.)\s+/)) {
    for (const re of patterns) {
      const m = re.exec(sentence);
      if (m) {
        out.push(m[1]);
        break;
      }
    }
  }
  return out;
}

/** The sentence an answer is given in. */
export function answerSentence(attribute: Attribute, entity: string, value: string): string {
  return fill(FACT_TEMPLATES[attribute][0], entity, value);
}

export const NO_ANSWER = "The contexts do not say.";

/**
 * The extractive reader: parses the question, collects the values the contexts state for it and answers with
 * the most frequent one (ties: the one stated by the best-ranked context). `value` is null when no context
 * states one. Deterministic and pure.
 */
export function readAnswer(question: string, contexts: readonly string[]): { value: string | null; text: string } {
  const q = parseQuestion(question);
  if (!q) throw new ChorusError("BENCH_BAD_QUESTION", `the reader does not understand: ${question}`);
  const votes = new Map<string, { n: number; first: number }>();
  contexts.forEach((c, rank) => {
    for (const v of statedValues(c, q.attribute, q.entity)) {
      const e = votes.get(v) ?? { n: 0, first: rank };
      e.n++;
      votes.set(v, e);
    }
  });
  let best: [string, { n: number; first: number }] | undefined;
  for (const e of votes)
    if (!best || e[1].n > best[1].n || (e[1].n === best[1].n && e[1].first < best[1].first)) best = e;
  return best
    ? { value: best[0], text: answerSentence(q.attribute, q.entity, best[0]) }
    : { value: null, text: NO_ANSWER };
}
