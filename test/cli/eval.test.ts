/**
 * `chorus eval` end to end (issue 20, item 4): a JSONL multiple-choice data set through a real gateway (real
 * nodes, scripted models), the committee's own answers read back from each round's transcript, and scripted
 * OpenAI-compatible backends asked directly with --nodes.
 */
import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { main } from "../../src/cli/main.js";
import { parseDataset, summarize, type QuestionResult } from "../../src/cli/commands/eval-stats.js";
import { keyOf, startEvalSwarm, startScriptedBackend } from "./eval-fakes.js";

const N = 5;
const QUESTIONS = 12;

function dataset(): string {
  return Array.from({ length: QUESTIONS }, (_, k) => {
    const choices = ["alpha", "beta", "gamma", "delta"].map((c) => `${c} ${k}`);
    const idx = "ABCD".indexOf(keyOf(k));
    // the three accepted spellings of the key: a letter, a 0-based index, the right choice's text
    const answer = k % 3 === 0 ? keyOf(k) : k % 3 === 1 ? idx : choices[idx];
    return JSON.stringify({ question: `Q${k}: which one?`, choices, answer, extra: "ignored" });
  }).join("\n");
}

describe("chorus eval (issue 20)", function () {
  this.timeout(120_000);
  let swarm: Awaited<ReturnType<typeof startEvalSwarm>>;
  let right: Awaited<ReturnType<typeof startScriptedBackend>>;
  let alwaysA: Awaited<ReturnType<typeof startScriptedBackend>>;
  /** What before() started, closed by after(). */
  const closers: (() => Promise<unknown>)[] = [];
  let dir: string;
  let file: string;
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["node", "chorus", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
    return { code, out, err };
  };

  before(async () => {
    swarm = await startEvalSwarm(N);
    closers.push(() => swarm.close());
    right = await startScriptedBackend((k) => `Let me think. The answer is ${keyOf(k)}.`);
    closers.push(() => right.close());
    alwaysA = await startScriptedBackend(() => "A");
    closers.push(() => alwaysA.close());
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-eval-test-"));
    file = path.join(dir, "set.jsonl");
    await writeFile(file, dataset());
  });
  after(async () => {
    for (const close of closers.splice(0)) await close();
    await rm(dir, { recursive: true, force: true });
  });

  it("reports swarm, majority, best and mean node from the transcripts, and the --nodes backends, with bootstrap intervals", async () => {
    const r = await run([
      "--gateway",
      swarm.gateway,
      "eval",
      "--dataset",
      file,
      "--nodes",
      `${right.url},m2@${alwaysA.url}`,
      "--resamples",
      "400",
      "--json",
    ]);
    expect(r.code, r.err.join("\n")).to.equal(0);
    const report = JSON.parse(r.out.join("\n"));
    const s = report.summary;
    expect(s.questions).to.equal(QUESTIONS);
    expect(s.errors).to.equal(0);
    // every question went through a round; the committee's answers were read back from each transcript
    for (const q of report.results) expect(Object.keys(q.members)).to.have.length(N);
    expect(s.swarm.value).to.equal(100); // the scripted judges prefer the right answer
    expect(s.members.majority.value).to.equal(100); // 4 of 5 members right on every question
    // node i is wrong on questions k with k % 5 == i: nodes 0, 1 on 3 of 12, nodes 2-4 on 2 of 12
    expect(s.members.best.value).to.be.closeTo((100 * 10) / 12, 1e-9);
    expect(s.members.mean.value).to.be.closeTo((2 * 75 + 3 * ((100 * 10) / 12)) / 5, 1e-9);
    // every question has exactly 4 of 5 members right, so the mean node is 80% on every resample (a zero-width
    // interval, up to rounding), while the best node varies with the resample
    expect(s.members.mean.hi - s.members.mean.lo).to.be.below(1e-9);
    expect(Math.abs(s.members.mean.lo - 80)).to.be.below(1e-9);
    expect(s.members.best.hi > s.members.best.lo, JSON.stringify(s.members.best)).to.equal(true);
    // backends asked directly: one always right, one always "A" (right on k % 4 == 0: 3 of 12)
    expect(s.backends.best.value).to.equal(100);
    expect(s.backends.mean.value).to.equal((100 + 25) / 2);
    expect(right.state.calls).to.equal(QUESTIONS);
    expect(alwaysA.state.models.every((m) => m === "m2")).to.equal(true);
    expect(s.latencyMs.value > 0).to.equal(true);
  });

  it("prints the table in text mode", async () => {
    const r = await run(["--gateway", swarm.gateway, "eval", "--dataset", file, "--limit", "4", "--resamples", "200"]);
    expect(r.code, r.err.join("\n")).to.equal(0);
    const text = r.out.join("\n");
    expect(text).to.match(/4 questions/);
    expect(text).to.match(/swarm\s+100\.0%\s+\[100\.0, 100\.0\]/);
    expect(text).to.match(/mean committee node\s+\d+\.\d%\s+\[/);
    expect(text).to.match(/latency per question\s+\d+ ms/);
  });

  it("refuses a malformed data set line by line, and bad flags, with one clear error", async () => {
    const bad = path.join(dir, "bad.jsonl");
    await writeFile(
      bad,
      `${JSON.stringify({ question: "q", choices: ["a", "b"], answer: "a" })}\n${JSON.stringify({ question: "q", choices: ["a", "b"], answer: "zzz" })}\n`,
    );
    const r = await run(["--gateway", swarm.gateway, "eval", "--dataset", bad]);
    expect(r.code).to.not.equal(0);
    expect(r.err.join("\n")).to.match(
      /bad\.jsonl:2: answer "zzz" is neither a letter, an index nor one of the 2 choices/,
    );
    const r2 = await run(["--gateway", swarm.gateway, "eval", "--dataset", file, "--nodes", "ftp://x"]);
    expect(r2.err.join("\n")).to.match(/--nodes: 'ftp:\/\/x' is not an http\(s\) URL/);
    expect(() => parseDataset('{"question":"q","choices":["only one"],"answer":0}', "f")).to.throw(/f:1: choices/);
  });

  it("bootstrap intervals: a seeded run is reproducible and covers the point estimate", () => {
    const results: QuestionResult[] = Array.from({ length: 50 }, (_, i) => ({
      id: String(i),
      answer: "A",
      swarm: i % 4 === 0 ? "B" : "A",
      members: {},
      backends: {},
      latencyMs: 100 + i,
    }));
    const a = summarize(results, { resamples: 500, seed: "x" });
    const b = summarize(results, { resamples: 500, seed: "x" });
    expect(a).to.deep.equal(b);
    expect(a.swarm.value).to.equal(74);
    expect(a.swarm.lo < 74 && a.swarm.hi > 74).to.equal(true);
    expect(a.swarm.hi - a.swarm.lo).to.be.within(15, 35); // about ±1.96 · sqrt(0.74 · 0.26 / 50) = ±12 points
  });
});
