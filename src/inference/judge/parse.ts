/**
 * Reading a verdict out of whatever a model wrote. In order:
 *  1. the last `VERDICT: X` (any case, markdown emphasis ignored, `is`/`=`/`-` accepted, "Answer A" too);
 *  2. a reply that is only the verdict ("B", "Answer A.", "tie", "GOOD");
 *  3. plain-language verdicts ("Answer B is better", "I prefer A", "the answer is bad"), used only when all
 *     of them agree.
 * Anything else is unparsable: `parsed: false`, and the caller applies the documented default (a tie for a
 * comparison, GOOD for a screen).
 */

export type Outcome = "A" | "B" | "tie";
export type Verdict = "GOOD" | "BAD";

const TIE_WORDS = /^(?:tie|tied|draw|equal|equally good|equally bad|both|neither|same)$/i;

/** Outcome of a comparison reply, or `undefined` when it cannot be read. */
export function parseCompare(raw: string): Outcome | undefined {
  const text = normalize(raw);
  const verdicts = [
    ...text.matchAll(/\bverdict\s*(?:is|:|=|-)?\s*(?:answer\s+)?["'([]?\s*(a|b|tie|draw|equal|both|neither)\b/gi),
  ];
  if (verdicts.length > 0) return toOutcome(verdicts[verdicts.length - 1][1]);
  const bare = text
    .trim()
    .replace(/[.!"'()[\]]+$/g, "")
    .replace(/^["'([]+/, "")
    .trim();
  const only = /^(?:answer\s+)?(a|b)$/i.exec(bare);
  if (only) return toOutcome(only[1]);
  if (TIE_WORDS.test(bare)) return "tie";
  const found = new Set<Outcome>();
  const letter = [
    /\b(?:answer\s+)?([ab])\s+is\s+(?:clearly\s+|slightly\s+|much\s+|far\s+)?(?:better|stronger|more (?:accurate|correct))\b/gi,
    /\bbetter\s+(?:answer|one|response)\s+is\s+(?:answer\s+)?([ab])\b/gi,
    /\bi\s+(?:would\s+)?(?:prefer|choose|pick)\s+(?:answer\s+)?([ab])\b/gi,
    /\b(?:winner|choice)\s*(?:is|:)\s*(?:answer\s+)?([ab])\b/gi,
    /\b(?:answer\s+)?([ab])\s+(?:wins|is preferred)\b/gi,
  ];
  for (const re of letter) for (const m of text.matchAll(re)) found.add(toOutcome(m[1]));
  if (
    /\b(?:it'?s\s+a\s+tie|(?:they\s+are|both\s+are|both\s+answers\s+are)\s+equally\s+(?:good|bad|flawed)|neither\s+(?:answer\s+)?is\s+better)\b/i.test(
      text,
    )
  )
    found.add("tie");
  return found.size === 1 ? [...found][0] : undefined;
}

/** Verdict of a screening reply, or `undefined` when it cannot be read. */
export function parseScreen(raw: string): Verdict | undefined {
  const text = normalize(raw);
  const verdicts = [
    ...text.matchAll(/\bverdict\s*(?:is|:|=|-)?\s*["'([]?\s*(good|bad|pass|fail|acceptable|unacceptable)\b/gi),
  ];
  if (verdicts.length > 0) return toVerdict(verdicts[verdicts.length - 1][1]);
  const bare = text
    .trim()
    .replace(/[.!"'()[\]]+$/g, "")
    .replace(/^["'([]+/, "")
    .trim();
  if (/^(good|bad|pass|fail)$/i.test(bare)) return toVerdict(bare);
  const found = new Set<Verdict>();
  for (const m of text.matchAll(/\b(?:the\s+)?answer\s+is\s+(good|bad|acceptable|unacceptable)\b/gi))
    found.add(toVerdict(m[1]));
  return found.size === 1 ? [...found][0] : undefined;
}

/** `raw` is a backend's text: typed a string, but a misbehaving backend's missing text reads as "". */
function normalize(raw: string | undefined): string {
  return (raw ?? "").replace(/[*_`#>]+/g, " ").replace(/[ \t]+/g, " ");
}

function toOutcome(s: string): Outcome {
  const l = s.toLowerCase();
  return l === "a" ? "A" : l === "b" ? "B" : "tie";
}

function toVerdict(s: string): Verdict {
  return /^(good|pass|acceptable)$/i.test(s) ? "GOOD" : "BAD";
}
