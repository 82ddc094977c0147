/**
 * The production consensus rules of a round, built from src/consensus: the Fortytwo pairing over the
 * revealed answers (placed in a seeded order), load-balanced assignment to judges that never see their own
 * answer, reputation-and-stake weighted Bradley–Terry with GOOD/BAD screens, and the fixed-point reputation
 * deltas. Addresses are compared lower-case; the transcript keeps the members' own spelling.
 */
import type { Address } from "viem";
import {
  aggregate,
  assignPairs,
  anchoredReputationDeltas,
  judgeWeights,
  schedulePairs,
  scoreKey,
  SeededRandom,
  type PairingMode,
} from "../consensus/index.js";
import { present } from "../core/index.js";
import type { ConsensusRules, RoundResult } from "./transcript.js";
import { compareAddress } from "../core/index.js";

export function productionRules(
  opts: { pairing?: PairingMode; screen?: boolean; maxShare?: number } = {},
): ConsensusRules {
  return {
    screen: opts.screen ?? false,
    schedule({ answers, judges, seed }) {
      const sortedAnswers = [...answers].sort(compareAddress);
      const order = new SeededRandom(`order:${seed}`).shuffle(sortedAnswers.map((_, i) => i));
      const pairs = schedulePairs(sortedAnswers.length, { mode: opts.pairing, order }).map(
        ([a, b]) => [sortedAnswers[a], sortedAnswers[b]] as [Address, Address],
      );
      // assignPairs compares ids exactly: give it lower-case ids and map back.
      const original = new Map([...answers, ...judges].map((a) => [a.toLowerCase(), a]));
      const { assignments } = assignPairs(
        pairs.map(([a, b]) => [a.toLowerCase(), b.toLowerCase()]),
        judges.map((j) => j.toLowerCase()),
        seed,
      );
      return Object.fromEntries(
        Object.entries(assignments).map(([j, ps]) => [
          present(original.get(j), `judge ${j}`),
          ps.map(
            ([a, b]) =>
              [present(original.get(a), `member ${a}`), present(original.get(b), `member ${b}`)] as [Address, Address],
          ),
        ]),
      );
    },
    aggregate({ answers, members, judgments, screens, assigned, standing }): RoundResult {
      const lower = (a: string) => a.toLowerCase();
      const original = new Map(members.map((m) => [lower(m.address), m.address]));
      // Weights over the whole committee (docs/protocol.md, "Judge weights"): a member's weight does not
      // depend on who else missed a deadline, so one late member cannot flatten the weights under the cap.
      const weights = judgeWeights(
        members.map((m) => ({ address: lower(m.address), stake: m.stake, reputation: m.reputation })),
        { maxShare: opts.maxShare },
      );
      const js = judgments.map((j) => ({ judge: lower(j.judge), a: lower(j.a), b: lower(j.b), outcome: j.outcome }));
      const ss = screens.map((s) => ({ judge: lower(s.judge), answer: lower(s.answer), verdict: s.verdict }));
      const result = aggregate({ answers: answers.map(lower), judgments: js, screens: ss, weights });
      // The truth-anchored rule (issue 20): with no standing (no `gold` in the transcript) it is exactly
      // reputationDeltas, the consensus rule.
      const deltas = anchoredReputationDeltas({
        members: members.map((m) => ({ address: lower(m.address), stake: m.stake, reputation: m.reputation })),
        ranking: result.ranking,
        tiers: result.tiers,
        judgments: js,
        assigned: assigned ? Object.fromEntries(Object.entries(assigned).map(([j, k]) => [lower(j), k])) : undefined,
        // Each judge is scored against the consensus without its own judgments.
        leaveOut: { weights, screens: ss },
        standing: standing ?? {},
      });
      const back = (a: string) => original.get(a) ?? (a as Address);
      return {
        // Strengths as integers (x SCORE_SCALE, rounded): transcripts are dag-json artifacts, which hold no floats.
        scores: Object.fromEntries(Object.entries(result.scores).map(([a, s]) => [back(a), scoreKey(s)])),
        ranking: result.ranking.map(back),
        winner: back(result.winner),
        deltas: Object.fromEntries(Object.entries(deltas).map(([a, d]) => [back(a), d])),
      };
    },
  };
}
