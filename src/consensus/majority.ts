import { ChorusError, present } from "../core/index.js";
import type { NodeId } from "./types.js";

/** Unicode NFKC, lower case, punctuation dropped, white space collapsed: answers that differ only in form are one. */
export function normalizeAnswer(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** The majority-vote baseline's result. */
export interface MajorityResult {
  /** The node (lowest id) that gave the winning answer. */
  winner: NodeId;
  /** The winning normalised answer. */
  answer: string;
  /** Votes per normalised answer. */
  votes: Record<string, number>;
}

/**
 * The majority-vote baseline: the most frequent normalised answer wins; a tie in votes goes to the answer
 * given by the lowest node id. Throws CONSENSUS_NO_ANSWERS for an empty round.
 */
export function majorityVote(answers: Readonly<Record<NodeId, string>>): MajorityResult {
  const ids = Object.keys(answers).sort();
  if (ids.length === 0) throw new ChorusError("CONSENSUS_NO_ANSWERS", "majority vote over no answers");
  const norm = new Map(ids.map((id) => [id, normalizeAnswer(answers[id])]));
  const votes: Record<string, number> = {};
  for (const id of ids) votes[present(norm.get(id), "answer")] = (votes[present(norm.get(id), "answer")] ?? 0) + 1;
  let winner = ids[0];
  for (const id of ids)
    if (votes[present(norm.get(id), "answer")] > votes[present(norm.get(winner), "answer")]) winner = id;
  return { winner, answer: present(norm.get(winner), "answer"), votes };
}
