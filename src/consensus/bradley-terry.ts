import { ChorusError } from "../core/index.js";
import type { Outcome } from "./types.js";

/** One comparison between answers given by index. */
export interface WeightedComparison {
  /** Index of the answer shown first. */
  a: number;
  /** Index of the answer shown second. */
  b: number;
  outcome: Outcome;
  /** The judge's weight, finite and >= 0 (0 contributes nothing). */
  weight: number;
}

export interface FitOptions {
  /**
   * Strength of the prior, > 0: every answer plays `prior` virtual comparisons against a fixed anchor of
   * strength 1 and wins half of them. The virtual comparisons weigh as much as the average real one (mean
   * weight of the comparisons with weight > 0), so multiplying every weight by a constant changes nothing.
   * The prior keeps an answer that wins or loses everything finite and ties the components of a disconnected
   * comparison graph to one scale (each component is centred on the anchor), so every input has one defined
   * result; an answer nobody compared gets strength 1 (before normalisation). Default 0.5.
   */
  prior?: number;
  /**
   * Default 10,000. MM converges linearly, slowly when the data are nearly separable (a unanimous order over
   * many comparisons); the iterate where it stops is still one deterministic result whose order is settled.
   */
  maxIterations?: number;
  /** Stop when no strength moves by more than this, relative. Default 1e-10. */
  tolerance?: number;
}

/** Bradley–Terry strengths, normalised to sum to n. */
export interface BradleyTerryFit {
  strengths: number[];
  /** Iterations run. */
  iterations: number;
  /** False when `maxIterations` stopped the fit first (the result is still deterministic). */
  converged: boolean;
}

const OUTCOME_ORDER: Record<Outcome, number> = { A: 0, B: 1, tie: 2 };

/**
 * Bradley–Terry strengths by the MM (Zermelo) iteration, all strengths updated together from the previous ones:
 *
 *   p_i <- W_i / ( sum_j n_ij / (p_i + p_j)  +  c / (p_i + 1) )
 *
 * where n_ij is the total weight of the comparisons between i and j, W_i the weight i won (a tie gives half to
 * each side) plus c/2, and c = prior x mean positive weight (the anchor's virtual comparisons).
 *
 * Deterministic for audit: each comparison is first rewritten as (lower index, higher index) with the outcome
 * seen from the lower index (so "a vs b: A" and "b vs a: B" are the same record, and a tie is a tie either way),
 * then all are sorted; every sum runs in that canonical order and only + - * / and comparisons touch the
 * numbers. The same multiset of comparisons gives bit-identical strengths on every machine, whatever the
 * arrival order. Throws CONSENSUS_BAD_INPUT for an index outside 0..n-1, a self-comparison, a negative or
 * non-finite weight, an unknown outcome or a prior <= 0.
 */
export function fitBradleyTerry(
  n: number,
  comparisons: readonly WeightedComparison[],
  opts: FitOptions = {},
): BradleyTerryFit {
  const prior = opts.prior ?? 0.5;
  const maxIterations = opts.maxIterations ?? 10_000;
  const tolerance = opts.tolerance ?? 1e-10;
  if (!(prior > 0) || !Number.isFinite(prior))
    throw new ChorusError("CONSENSUS_BAD_INPUT", `prior must be a finite number > 0, got ${prior}`);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ChorusError("CONSENSUS_BAD_INPUT", `answer count must be a whole number, got ${n}`);
  if (n === 0) return { strengths: [], iterations: 0, converged: true };

  // Canonical records: lo < hi, s = lo's result (1 won, 0 lost, 0.5 tie).
  const recs: { lo: number; hi: number; s: number; w: number }[] = [];
  for (const c of comparisons) {
    if (!Number.isInteger(c.a) || !Number.isInteger(c.b) || c.a < 0 || c.b < 0 || c.a >= n || c.b >= n || c.a === c.b) {
      throw new ChorusError(
        "CONSENSUS_BAD_INPUT",
        `comparison ${c.a} vs ${c.b} is not between two of the ${n} answers`,
        { a: c.a, b: c.b },
      );
    }
    if (!(c.weight >= 0) || !Number.isFinite(c.weight))
      throw new ChorusError("CONSENSUS_BAD_INPUT", `comparison weight must be finite and >= 0, got ${c.weight}`);
    // Callers outside TypeScript can pass anything: the outcome is checked as the string it is at run time.
    const outcome: string = c.outcome;
    if (!Object.hasOwn(OUTCOME_ORDER, outcome))
      throw new ChorusError("CONSENSUS_BAD_INPUT", `unknown outcome ${outcome}`);
    if (c.weight === 0) continue;
    const aWon = c.outcome === "A" ? 1 : c.outcome === "B" ? 0 : 0.5;
    recs.push(c.a < c.b ? { lo: c.a, hi: c.b, s: aWon, w: c.weight } : { lo: c.b, hi: c.a, s: 1 - aWon, w: c.weight });
  }
  recs.sort((x, y) => x.lo - y.lo || x.hi - y.hi || x.s - y.s || x.w - y.w);

  let totalWeight = 0;
  for (const r of recs) totalWeight += r.w;
  const c = recs.length > 0 ? prior * (totalWeight / recs.length) : prior;

  // Wins and pair weights, summed in canonical order; pairs as a compressed sparse row adjacency.
  const wins = new Float64Array(n).fill(c / 2);
  const pairLo: number[] = [];
  const pairHi: number[] = [];
  const pairW: number[] = [];
  for (const r of recs) {
    wins[r.lo] += r.w * r.s;
    wins[r.hi] += r.w * (1 - r.s);
    const last = pairW.length - 1;
    if (last >= 0 && pairLo[last] === r.lo && pairHi[last] === r.hi) pairW[last] += r.w;
    else {
      pairLo.push(r.lo);
      pairHi.push(r.hi);
      pairW.push(r.w);
    }
  }
  // Neighbour lists, each ascending by neighbour index (a fixed summation order), flattened.
  const rows: { j: number; w: number }[][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < pairW.length; k++) {
    rows[pairLo[k]].push({ j: pairHi[k], w: pairW[k] });
    rows[pairHi[k]].push({ j: pairLo[k], w: pairW[k] });
  }
  const start = new Int32Array(n + 1);
  const nbr = new Int32Array(2 * pairW.length);
  const nw = new Float64Array(2 * pairW.length);
  for (let i = 0, k = 0; i < n; i++) {
    start[i] = k;
    for (const e of rows[i].sort((x, y) => x.j - y.j)) {
      nbr[k] = e.j;
      nw[k++] = e.w;
    }
    start[i + 1] = k;
  }

  let p = new Float64Array(n).fill(1);
  let next = new Float64Array(n);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const pi = p[i];
      let denom = c / (pi + 1);
      for (let k = start[i]; k < start[i + 1]; k++) denom += nw[k] / (pi + p[nbr[k]]);
      const v = wins[i] / denom;
      next[i] = v;
      const change = (v > pi ? v - pi : pi - v) / pi;
      if (change > moved) moved = change;
    }
    [p, next] = [next, p];
    if (moved < tolerance) {
      converged = true;
      break;
    }
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i];
  const strengths = new Array<number>(n);
  for (let i = 0; i < n; i++) strengths[i] = (p[i] * n) / sum;
  return { strengths, iterations, converged };
}
