/**
 * `npm run bench:rag`: answer accuracy of a centralized RAG (one pooled index over every source) against
 * Chorus's decentralized, reliability-weighted retrieval when some sources are polluted (Reliable-dRAG's
 * setting, whose claim is +10.7 points). Data: scripts/lib/rag-dataset.ts; simulation: scripts/lib/rag-sim.ts.
 *
 * Parameters (flags; env CHORUS_RAG_SOURCES for K):
 *   --seed S            "chorus-bench-rag-v1"   seeds everything; the run is deterministic
 *   --entities N        300      fictional countries, 6 facts each (1,800 questions)
 *   --sources K         6        pollution rates spread evenly over 0..100% (K = 6: 0/20/40/60/80/100%)
 *   --wrong MODE        random   each polluted document states its own false value; `consistent`: all polluted
 *                       documents of a fact state one shared false value (coordinated misinformation; with
 *                       the 0..100% spread, half the documents then say T and half F, and nothing but ground
 *                       truth can tell which half is right: see README)
 *   --committee N       7        members per round; each draws --draw 4 sources, asks each for --per-source-k 2
 *                       contexts, keeps the top --k 3 after the rerank (the centralized RAG also reads 3)
 *   --warmup N          200      settled rounds before measuring; --questions N 400 measured (held out)
 *   --epoch N           10       rounds per settled epoch (scores change only when an epoch settles)
 *   --weight W          0.5      reliability weight of the rerank; --floor F 100000 exploration floor
 *   --no-query                   do not give sourceDeltas the query text
 *   --embeddings        hybrid retrieval, BM25 + the offline USE-lite embeddings (alpha 0.5, as source nodes
 *                       serve by default); default BM25 only (embedder null): ~4x faster, and bit-identical on
 *                       every machine (batched embeddings differ in the 7th decimal across batch shapes)
 *
 * stdout: only `BENCH <name> <value> <unit>` lines; stderr: parameters, the sources' scores as they move,
 * and diagnostics.
 */
import { makeDataset } from "./lib/rag-dataset.js";
import { buildWorld, pct, runCentralized, runChorus, type SimParams } from "./lib/rag-sim.js";

const log = (s: string) => process.stderr.write(`${s}\n`);
const bench = (name: string, value: number, unit: string) => console.log(`BENCH ${name} ${value.toFixed(2)} ${unit}`);

function args(argv: string[]) {
  const out = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    if (key === "embeddings" || key === "no-query") out.set(key, true);
    else if (i + 1 < argv.length) out.set(key, argv[++i]);
    else throw new Error(`--${key} needs a value`);
  }
  const known = new Set([
    "seed",
    "entities",
    "sources",
    "wrong",
    "committee",
    "draw",
    "per-source-k",
    "k",
    "warmup",
    "questions",
    "epoch",
    "weight",
    "floor",
    "no-query",
    "embeddings",
  ]);
  for (const k of out.keys()) if (!known.has(k)) throw new Error(`unknown flag --${k}`);
  const num = (k: string, d: number, int = true) => {
    const v = out.get(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || (int && !Number.isInteger(n)))
      throw new Error(`--${k} must be ${int ? "an integer" : "a number"}, got ${String(v)}`);
    return n;
  };
  const wrong = (out.get("wrong") ?? "random") as string;
  if (wrong !== "consistent" && wrong !== "random")
    throw new Error(`--wrong must be consistent or random, got ${wrong}`);
  const wrongMode: "consistent" | "random" = wrong;
  const K = num("sources", Number(process.env.CHORUS_RAG_SOURCES ?? 6));
  if (K < 2 || K > 50) throw new Error(`--sources must be 2..50, got ${K}`);
  return {
    seed: (out.get("seed") as string | undefined) ?? "chorus-bench-rag-v1",
    entities: num("entities", 300),
    pollution: Array.from({ length: K }, (_, i) => i / (K - 1)),
    wrong: wrongMode,
    embeddings: out.has("embeddings"),
    sim: {
      committee: num("committee", 7),
      draw: num("draw", 4),
      perSourceK: num("per-source-k", 2),
      k: num("k", 3),
      warmup: num("warmup", 200),
      questions: num("questions", 400),
      epochRounds: num("epoch", 10),
      reliabilityWeight: num("weight", 0.5, false),
      explorationFloor: num("floor", 100_000),
      passQuery: !out.has("no-query"),
    },
  };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const a = args(process.argv.slice(2));
  const data = makeDataset({ seed: a.seed, entities: a.entities, pollution: a.pollution, wrong: a.wrong });
  const p: SimParams = { seed: a.seed, ...a.sim };
  if (p.warmup + p.questions > data.questions.length)
    throw new Error(`warmup + questions must be at most ${data.questions.length}`);
  const warmQs = data.questions.slice(0, p.warmup);
  const evalQs = data.questions.slice(p.warmup, p.warmup + p.questions);
  log(
    `bench:rag seed ${a.seed}; ${a.entities} entities x 6 facts; ${a.pollution.length} sources polluted at ${a.pollution.map((x) => `${Math.round(100 * x)}%`).join("/")} (${a.wrong} false values)`,
  );
  log(
    `committee ${p.committee}, draw ${p.draw} sources x ${p.perSourceK} contexts, prompt top ${p.k}; rerank weight ${p.reliabilityWeight}, floor ${p.explorationFloor}; warm-up ${p.warmup} rounds, ${p.questions} held-out questions; epochs of ${p.epochRounds} rounds; query given to sourceDeltas: ${p.passQuery}`,
  );
  const world = await buildWorld(data, a.seed, a.embeddings);
  log(
    `retrieval: ${world.model}${a.embeddings ? " + BM25 (hybrid, alpha 0.5)" : ""}; reader: extractive (the offline test model cannot answer questions)`,
  );

  const central = await runCentralized(world, evalQs, p.k);
  const chorus = await runChorus(world, p, warmQs, evalQs, "consensus", log);
  const truth = await runChorus(world, p, warmQs, evalQs, "truth");
  const plain = await runChorus(world, { ...p, reliabilityWeight: 0 }, warmQs, evalQs, "none");
  const accC = pct(central, "correct");
  const accX = pct(chorus, "correct");
  bench("rag_acc_centralized", accC, "%");
  bench("rag_acc_chorus", accX, "%");
  bench("rag_gain_points", accX - accC, "pp");
  bench("rag_polluted_context_share", pct(chorus, "polluted"), "%");
  bench("rag_acc_chorus_groundtruth", pct(truth, "correct"), "%");
  log(
    `ablation, the same committee without reliability (uniform draw, rerank weight 0, no deltas): accuracy ${pct(plain, "correct").toFixed(2)} %, polluted context share ${pct(plain, "polluted").toFixed(2)} %`,
  );
  log(
    `centralized polluted context share ${pct(central, "polluted").toFixed(2)} %; ground-truth arm ${pct(truth, "polluted").toFixed(2)} %`,
  );
  const show = (xs = chorus.finalScores!) =>
    xs.map((s, i) => `${Math.round(100 * a.pollution[i])}%: ${s.reliability}/${s.usefulness}`).join(", ");
  log(`final reliability/usefulness (consensus deltas): ${show()}`);
  log(`final reliability/usefulness (ground-truth deltas): ${show(truth.finalScores)}`);
  log(`elapsed ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  process.stderr.write(`bench:rag: ${(err as Error).message}\n`);
  process.exit(1);
});
