/**
 * The word sets the reliability logic compares (src/protocol/reliability.ts): a text's distinct content words.
 * Pure and deterministic: NFKC, lower case, split on every character that is not a letter or a digit, minus a
 * fixed list of English stop words. No stemming, no model: an auditor re-derives the same sets anywhere.
 */

/** Function words that carry no claim; fixed (changing it changes settled deltas, so it is versioned). */
export const STOP_WORDS_VERSION = "chorus/rag-stopwords@1";
const STOP_WORDS = new Set(
  (
    "a an and are as at be been being but by can could did do does for from had has have he her his how i if in " +
    "into is it its me my no not of on or our she so than that the their them then there these they this those " +
    "to was we were what when where which who whom why will with would you your yes also about after all any " +
    "because before both each few more most other over same some such only own just very s t"
  ).split(" "),
);

/** The distinct content words of `text` (see the module comment), minus the words of `minus`, if given. */
export function contentWords(text: string, minus?: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const w of text
    .normalize("NFKC")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)) {
    if (w === "" || STOP_WORDS.has(w) || minus?.has(w)) continue;
    out.add(w);
  }
  return out;
}

/** |a ∩ b| */
export function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  let n = 0;
  for (const w of small) if (big.has(w)) n++;
  return n;
}
