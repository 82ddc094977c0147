import type { Outcome } from "./types.js";

export interface WeightedComparison {
  /** Index of the answer shown first. */
  a: number;
  /** Index of the answer shown second. */
  b: number;
  outcome: Outcome;
  /** The judge's weight (0 contributes nothing). */
  weight: number;
}

export interface FitOptions {
  /**
   * Strength of the prior: every answer plays `prior` virtual comparisons, half won, against a fixed anchor of
   * strength 1. It keeps an answer that wins or loses everything finite and ties a disconnected comparison
   * graph together through the anchor, so every input has one defined result. Default 0.5.
   */
  prior?: number;
  maxIterations?: number;
  /** Stop when no strength moves by more than this (relative). Default 1e-9. */
  tolerance?: number;
}

/**
 * Bradley–Terry strengths by the MM (Zermelo) iteration
 *   p_i <- W_i / ( sum_j n_ij / (p_i + p_j) + prior / (p_i + 1) )
 * with weighted wins W_i (a tie gives half of its weight to each side, and the prior half a win against the
 * anchor) and weighted comparison counts n_ij. Only + - * / in a fixed order (comparisons sorted first), so
 * the same input gives bit-identical output on every machine. Strengths are returned normalised to sum to n.
 */
export function fitBradleyTerry(n: number, comparisons: readonly WeightedComparison[], opts: FitOptions = {}): { strengths: number[]; iterations: number } {
  const prior = opts.prior ?? 0.5;
  const maxIterations = opts.maxIterations ?? 1000;
  const tolerance = opts.tolerance ?? 1e-9;
  if (n === 0) return { strengths: [], iterations: 0 };
  const sorted = [...comparisons].sort((x, y) => x.a - y.a || x.b - y.b || (x.outcome < y.outcome ? -1 : x.outcome > y.outcome ? 1 : 0) || x.weight - y.weight);
  const wins = new Array<number>(n).fill(prior / 2);
  // Pair counts, symmetric, as a dense matrix: committees are small (<= 64 answers).
  const count: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const c of sorted) {
    if (c.weight <= 0) continue;
    if (c.outcome === "A") wins[c.a] += c.weight;
    else if (c.outcome === "B") wins[c.b] += c.weight;
    else {
      wins[c.a] += c.weight / 2;
      wins[c.b] += c.weight / 2;
    }
    count[c.a][c.b] += c.weight;
    count[c.b][c.a] += c.weight;
  }
  let p = new Array<number>(n).fill(1);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const next = new Array<number>(n);
    let moved = 0;
    for (let i = 0; i < n; i++) {
      let denom = prior / (p[i] + 1);
      const row = count[i];
      for (let j = 0; j < n; j++) if (row[j] > 0) denom += row[j] / (p[i] + p[j]);
      next[i] = wins[i] / denom;
      const change = Math.abs(next[i] - p[i]) / p[i];
      if (change > moved) moved = change;
    }
    p = next;
    if (moved < tolerance) {
      iterations++;
      break;
    }
  }
  let sum = 0;
  for (const v of p) sum += v;
  return { strengths: p.map((v) => (v * n) / sum), iterations };
}
