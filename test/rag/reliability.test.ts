/** The pure reliability logic: seeded source draw, reliability-weighted rerank, bounded source deltas. */
import { expect } from "chai";
import type { Address } from "viem";
import { isChorusError, type ErrorCode } from "../../src/core/index.js";
import {
  applySourceDelta,
  applySourceDeltas,
  DEFAULT_EXPLORATION_FLOOR,
  groundTruthDeltas,
  rerankContexts,
  sampleSources,
  SOURCE_DELTA_BOUND,
  sourceDeltas,
} from "../../src/protocol/index.js";
import type { SourceInfo, UsedContext } from "../../src/protocol/index.js";

const addr = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}`;
const src = (n: number, usefulness: number, reliability = 500_000): SourceInfo => ({
  address: addr(n),
  endpoint: `http://127.0.0.1:${n}`,
  reliability,
  usefulness,
});
const ctx = (s: number, id: string, text: string, relevance = 1): UsedContext => ({
  source: addr(s),
  id,
  text,
  relevance,
});
const throwsCode = (fn: () => unknown, code: ErrorCode) => {
  try {
    fn();
  } catch (err) {
    expect(isChorusError(err, code), String(err)).to.equal(true);
    return;
  }
  expect.fail(`expected ${code}`);
};

describe("rag / reliability: sampleSources", () => {
  it("is deterministic per seed, independent of input order, without replacement", () => {
    const list = [1, 2, 3, 4, 5, 6].map((i) => src(i, i * 100_000));
    const a = sampleSources(list, 3, "0xabcd");
    expect(sampleSources([...list].reverse(), 3, "0xabcd")).to.deep.equal(a);
    expect(new Set(a.map((s) => s.address)).size).to.equal(3);
    const seeds = Array.from({ length: 20 }, (_, i) => `0x${(i + 1).toString(16)}` as const);
    const draws = new Set(
      seeds.map((s) =>
        sampleSources(list, 3, s)
          .map((x) => x.address)
          .join(),
      ),
    );
    expect(draws.size).to.be.greaterThan(5);
    expect(sampleSources(list, 10, "0x01")).to.have.length(6);
    expect(sampleSources(list, 0, "0x01")).to.deep.equal([]);
  });

  it("draws roughly in proportion to max(usefulness, floor) (fixed seeds, 6000 draws)", () => {
    const list = [src(1, 600_000), src(2, 300_000), src(3, 0)];
    const counts = new Map<string, number>();
    const N = 6000;
    for (let i = 0; i < N; i++) {
      const [s] = sampleSources(list, 1, `0x${i.toString(16).padStart(4, "0")}`);
      counts.set(s.address, (counts.get(s.address) ?? 0) + 1);
    }
    const total = 600_000 + 300_000 + DEFAULT_EXPLORATION_FLOOR;
    for (const [s, w] of [
      [1, 600_000],
      [2, 300_000],
      [3, DEFAULT_EXPLORATION_FLOOR],
    ]) {
      const expected = (N * w) / total;
      expect(counts.get(addr(s)) ?? 0, `source ${s}`).to.be.closeTo(expected, 4 * Math.sqrt(expected));
    }
  });

  it("honours the floor: a useless source is still drawn with the floor, never with floor 0", () => {
    const list = [src(1, 1_000_000), src(2, 0)];
    let drawn = 0;
    for (let i = 0; i < 500; i++)
      if (sampleSources(list, 1, `0x${(i + 1).toString(16)}`)[0].address === addr(2)) drawn++;
    expect(drawn).to.be.greaterThan(20);
    for (let i = 0; i < 200; i++)
      expect(
        sampleSources(list, 2, `0x${(i + 1).toString(16)}`, { explorationFloor: 0 }).map((s) => s.address),
      ).to.deep.equal([addr(1)]);
    // a high floor flattens the draw
    let flat = 0;
    for (let i = 0; i < 1000; i++)
      if (sampleSources(list, 1, `0x${(i + 1).toString(16)}`, { explorationFloor: 1_000_000 })[0].address === addr(2))
        flat++;
    expect(flat).to.be.closeTo(500, 80);
  });

  it("rejects bad input with RAG_RELIABILITY_BAD_INPUT", () => {
    throwsCode(() => sampleSources([src(1, 1), src(1, 2)], 1, "0x01"), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sampleSources([src(1, 1_000_001)], 1, "0x01"), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sampleSources([src(1, 1.5)], 1, "0x01"), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sampleSources([src(1, 1)], -1, "0x01"), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sampleSources([src(1, 1)], 1, "seed" as `0x${string}`), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sampleSources([src(1, 1)], 1, "0x01", { explorationFloor: -1 }), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sampleSources([{ ...src(1, 1), address: "0x12" }], 1, "0x01"), "RAG_RELIABILITY_BAD_INPUT");
  });
});

describe("rag / reliability: rerankContexts", () => {
  const items = [
    { source: src(1, 0, 100_000), context: { id: "a#0", doc: "a", text: "alpha", score: 0.9 } },
    { source: src(2, 0, 900_000), context: { id: "b#0", doc: "b", text: "beta", score: 0.2 } },
    { source: src(3, 0, 500_000), context: { id: "c#0", doc: "c", text: "gamma", score: 0.5 } },
  ];
  it("weight 0 is relevance order, weight 1 is reliability order, 0.5 mixes; k cuts", () => {
    expect(rerankContexts(items, 3, { reliabilityWeight: 0 }).map((c) => c.id)).to.deep.equal(["a#0", "c#0", "b#0"]);
    expect(rerankContexts(items, 3, { reliabilityWeight: 1 }).map((c) => c.id)).to.deep.equal(["b#0", "c#0", "a#0"]);
    // 0.5: a 0.5, b 0.55, c 0.5 -> b, then a and c tie on score; relevance breaks it
    expect(rerankContexts(items, 3).map((c) => c.id)).to.deep.equal(["b#0", "a#0", "c#0"]);
    const top = rerankContexts(items, 1);
    expect(top).to.deep.equal([{ source: addr(2), id: "b#0", text: "beta", relevance: 0.2 }]);
  });
  it("breaks full ties by source address then id, whatever the input order", () => {
    const same = [3, 1, 2].map((s) => ({
      source: src(s, 0),
      context: { id: `x${s}`, doc: "d", text: "t", score: 0.5 },
    }));
    expect(rerankContexts(same, 3).map((c) => c.source)).to.deep.equal([addr(1), addr(2), addr(3)]);
    expect(rerankContexts([...same].reverse(), 3)).to.deep.equal(rerankContexts(same, 3));
  });
  it("rejects bad input", () => {
    throwsCode(() => rerankContexts([items[0], items[0]], 2), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => rerankContexts(items, 2, { reliabilityWeight: 1.5 }), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(
      () => rerankContexts([{ ...items[0], context: { ...items[0].context, score: 2 } }], 2),
      "RAG_RELIABILITY_BAD_INPUT",
    );
    throwsCode(() => rerankContexts(items, 1.5), "RAG_RELIABILITY_BAD_INPUT");
  });
});

const Q = "What is the capital of Veloria?";
const CLEAN = "Veloria is a country. The capital of Veloria is Drumhaven. It was founded in 1203.";
const POLLUTED = "Veloria is a country. The capital of Veloria is Kestrel. It was founded in 1203.";
const OTHER = "Norland is a country. Its winters are long.";
const right = "The capital of Veloria is Drumhaven.";
const wrong = "The capital of Veloria is Kestrel.";

describe("rag / reliability: sourceDeltas", () => {
  const round = () => ({
    answers: [
      {
        member: addr(11),
        text: right,
        contexts: [ctx(1, "c#0", CLEAN), ctx(2, "p#0", POLLUTED), ctx(3, "o#0", OTHER, 0.01)],
      },
      { member: addr(12), text: right, contexts: [ctx(1, "c#0", CLEAN)] },
      { member: addr(13), text: wrong, contexts: [ctx(2, "p#0", POLLUTED)] },
    ],
    scores: { [addr(11)]: 1_400_000, [addr(12)]: 1_300_000, [addr(13)]: 300_000 },
    winner: addr(11),
    query: Q,
  });

  it("raises a source that says what the consensus said and lowers one that says what it turned down", () => {
    const d = sourceDeltas(round());
    expect(d.map((x) => x.source)).to.deep.equal([addr(1), addr(2), addr(3)]);
    const [clean, polluted, other] = d;
    expect(clean.reliability).to.be.greaterThan(0);
    expect(clean.usefulness).to.be.greaterThan(0);
    expect(polluted.reliability).to.be.lessThan(0);
    expect(polluted.usefulness).to.equal(45_000); // it answered the question (an answer of the round), wrongly
    expect(other.usefulness).to.be.within(-1000, -1); // barely relevant and no help: a little down
    expect(Math.abs(other.reliability)).to.be.lessThan(1000); // but says nothing false
    for (const x of d) {
      for (const v of [x.reliability, x.usefulness]) {
        expect(Number.isSafeInteger(v)).to.equal(true);
        expect(Math.abs(v)).to.be.at.most(SOURCE_DELTA_BOUND);
      }
    }
    // kappa = (1.4 + 1.3) / 3.0 of the consensus score agrees with the winner: 0.9 * 50,000
    expect(clean.reliability).to.equal(45_000);
    expect(polluted.reliability).to.equal(-45_000);
  });

  it("is symmetric: swapping which claim won swaps the signs", () => {
    const r = round();
    const flipped = {
      ...r,
      winner: addr(13),
      scores: { [addr(11)]: 300_000, [addr(12)]: 300_000, [addr(13)]: 1_400_000 },
    };
    flipped.answers = [r.answers[2], { ...r.answers[0], text: right }, r.answers[1]];
    const d = sourceDeltas(flipped);
    expect(d[0].reliability).to.be.lessThan(0);
    expect(d[1].reliability).to.be.greaterThan(0);
  });

  it("needs no query, but without it only the rejected claim separates the sources", () => {
    const r = round();
    delete (r as { query?: string }).query;
    const [clean, polluted] = sourceDeltas(r);
    expect(clean.reliability).to.be.greaterThan(0);
    expect(polluted.reliability).to.be.lessThan(clean.reliability);
  });

  it("is deterministic bit for bit and independent of key case and answer order; maxDelta scales", () => {
    const r = round();
    const a = sourceDeltas(r);
    expect(sourceDeltas(round())).to.deep.equal(a);
    const upper = {
      ...r,
      scores: Object.fromEntries(Object.entries(r.scores).map(([k, v]) => [k.toUpperCase().replace("0X", "0x"), v])),
    };
    expect(sourceDeltas(upper)).to.deep.equal(a);
    expect(sourceDeltas({ ...r, answers: [...r.answers].reverse() })).to.deep.equal(a);
    const small = sourceDeltas(r, { maxDelta: 10_000 });
    expect(small[0].reliability).to.equal(9_000);
    expect(sourceDeltas(r, { maxDelta: 0 }).every((x) => x.reliability === 0 && x.usefulness === 0)).to.equal(true);
  });

  it("a unanimous round with equal scores moves nothing it cannot judge and keeps |delta| <= bound", () => {
    const ans = [11, 12, 13].map((m) => ({ member: addr(m), text: right, contexts: [ctx(1, "c#0", CLEAN)] }));
    const d = sourceDeltas({
      answers: ans,
      scores: { [addr(11)]: 1, [addr(12)]: 1, [addr(13)]: 1 },
      winner: addr(12),
      query: Q,
    });
    expect(d).to.deep.equal([{ source: addr(1), reliability: SOURCE_DELTA_BOUND, usefulness: SOURCE_DELTA_BOUND }]);
  });

  it("a relevant context that states something else counts against its source even when it fooled nobody", () => {
    const answers = [11, 12, 13].map((m) => ({
      member: addr(m),
      text: right,
      contexts: [ctx(1, "c#0", CLEAN), ctx(2, "p#0", POLLUTED, 0.9), ctx(3, "o#0", OTHER, 0)],
    }));
    const d = sourceDeltas({
      answers,
      scores: { [addr(11)]: 1, [addr(12)]: 1, [addr(13)]: 1 },
      winner: addr(11),
      query: Q,
    });
    expect(d[0]).to.deep.equal({ source: addr(1), reliability: SOURCE_DELTA_BOUND, usefulness: SOURCE_DELTA_BOUND });
    // relevance 0.9, states neither the winner's claim nor any other answer: -0.9 of the bound on both scores
    expect(d[1]).to.deep.equal({ source: addr(2), reliability: -45_000, usefulness: -45_000 });
    // relevance 0, says nothing: no change
    expect(d[2]).to.deep.equal({ source: addr(3), reliability: 0, usefulness: 0 });
  });

  it("rejects bad input with typed errors", () => {
    const r = round();
    throwsCode(() => sourceDeltas({ ...r, winner: addr(99) }), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sourceDeltas({ ...r, scores: { [addr(11)]: 1, [addr(12)]: 1 } }), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sourceDeltas({ ...r, scores: { ...r.scores, [addr(11)]: 1.5 } }), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sourceDeltas({ ...r, scores: { ...r.scores, [addr(11)]: -1 } }), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sourceDeltas({ ...r, answers: [...r.answers, r.answers[0]] }), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sourceDeltas({ ...r, answers: [] }), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sourceDeltas(r, { maxDelta: SOURCE_DELTA_BOUND + 1 }), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => sourceDeltas({ ...r, query: 7 as unknown as string }), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(
      () => sourceDeltas({ ...r, answers: [{ ...r.answers[0], member: "0xnope" }] }),
      "RAG_RELIABILITY_BAD_INPUT",
    );
    throwsCode(
      () => sourceDeltas({ ...r, answers: [{ ...r.answers[0], contexts: [{ ...ctx(1, "x", "t"), relevance: -1 }] }] }),
      "RAG_RELIABILITY_BAD_INPUT",
    );
  });
});

describe("rag / reliability: over rounds", () => {
  it("reliability rises for a clean source and falls for a polluted one, with the chain's clamping", () => {
    let sources = [src(1, 500_000), src(2, 500_000)];
    const history: number[][] = [];
    for (let r = 0; r < 30; r++) {
      const d = sourceDeltas({
        answers: [
          { member: addr(11), text: right, contexts: [ctx(1, "c#0", CLEAN), ctx(2, "p#0", POLLUTED)] },
          { member: addr(12), text: right, contexts: [ctx(1, "c#0", CLEAN)] },
          { member: addr(13), text: r % 3 === 0 ? wrong : right, contexts: [ctx(2, "p#0", POLLUTED)] },
        ],
        scores: { [addr(11)]: 1_200_000, [addr(12)]: 1_100_000, [addr(13)]: r % 3 === 0 ? 700_000 : 1_000_000 },
        winner: addr(11),
        query: Q,
      });
      sources = applySourceDeltas(sources, d);
      history.push(sources.map((s) => s.reliability));
    }
    expect(history[4][0]).to.be.greaterThan(500_000);
    expect(history[4][1]).to.be.lessThan(500_000);
    expect(history.at(-1)).to.deep.equal([1_000_000, 0]);
    for (const h of history) for (const v of h) expect(v).to.be.within(0, 1_000_000);
  });

  it("ground-truth mode scores against the known answer, whatever the consensus said", () => {
    const answers = [{ member: addr(11), text: wrong, contexts: [ctx(1, "c#0", CLEAN), ctx(2, "p#0", POLLUTED)] }];
    const [clean, polluted] = groundTruthDeltas({ answers, truth: right, query: Q });
    expect(clean.reliability).to.equal(SOURCE_DELTA_BOUND);
    expect(polluted.reliability).to.equal(-SOURCE_DELTA_BOUND);
  });

  it("applies deltas as the contract does and refuses what it would revert", () => {
    expect(applySourceDelta(990_000, 50_000)).to.equal(1_000_000);
    expect(applySourceDelta(10_000, -50_000)).to.equal(0);
    expect(applySourceDelta(500_000, -1)).to.equal(499_999);
    throwsCode(() => applySourceDelta(500_000, 50_001), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(() => applySourceDelta(1_000_001, 0), "RAG_RELIABILITY_BAD_INPUT");
    throwsCode(
      () => applySourceDeltas([src(1, 0)], [{ source: addr(2), reliability: 1, usefulness: 1 }]),
      "RAG_RELIABILITY_BAD_INPUT",
    );
    const before = [src(1, 10, 20)];
    const after = applySourceDeltas(before, [{ source: addr(1), reliability: -50_000, usefulness: 5 }]);
    expect(after[0]).to.include({ reliability: 0, usefulness: 15 });
    expect(before[0].reliability).to.equal(20);
  });
});
