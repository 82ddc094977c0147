import type { NodeId } from "./types.js";

/** Lower-case, drop punctuation and collapse white space: answers that differ only in form count as one. */
export function normalizeAnswer(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, "").replace(/\s+/g, " ").trim();
}

/**
 * The majority-vote baseline: the most frequent normalised answer wins (ties: the one given first in id
 * order). Returns the winning node (the first, by id, that gave it) and the vote counts.
 */
export function majorityVote(answers: Readonly<Record<NodeId, string>>): { winner: NodeId; answer: string; votes: Record<string, number> } {
  const ids = Object.keys(answers).sort();
  const votes: Record<string, number> = {};
  for (const id of ids) votes[normalizeAnswer(answers[id])] = (votes[normalizeAnswer(answers[id])] ?? 0) + 1;
  let best = normalizeAnswer(answers[ids[0]]);
  for (const id of ids) {
    const a = normalizeAnswer(answers[id]);
    if (votes[a] > votes[best]) best = a;
  }
  const winner = ids.find((id) => normalizeAnswer(answers[id]) === best)!;
  return { winner, answer: best, votes };
}
