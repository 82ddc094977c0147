import type { Address } from "viem";
import type { ConsensusRules, RoundResult } from "../../src/protocol/index.js";

/** Minimal rules for protocol tests (the real ones are src/consensus): all ordered pairs, win counts. */
export const countRules: ConsensusRules = {
  screen: false,
  schedule({ answers, judges }) {
    const out: Record<string, [Address, Address][]> = {};
    for (const j of judges) out[j] = [];
    let k = 0;
    for (const a of answers)
      for (const b of answers) {
        if (a === b) continue;
        const eligible = judges.filter((j) => j !== a && j !== b);
        out[eligible[k++ % eligible.length]].push([a, b]);
      }
    return out;
  },
  aggregate({ answers, members, judgments, excluded }): RoundResult {
    const scores: Record<string, number> = Object.fromEntries(answers.map((a) => [a, 0]));
    for (const j of judgments) {
      if (j.outcome === "A") scores[j.a] += 1;
      else if (j.outcome === "B") scores[j.b] += 1;
      else {
        scores[j.a] += 0.5;
        scores[j.b] += 0.5;
      }
    }
    const ranking = [...answers].sort((x, y) => scores[y] - scores[x] || (x < y ? -1 : 1));
    const deltas = Object.fromEntries(
      members.map((m) => [m.address, excluded.includes(m.address) ? -1000 : ranking[0] === m.address ? 1000 : 0]),
    );
    return { scores, ranking, winner: ranking[0], deltas };
  },
};
