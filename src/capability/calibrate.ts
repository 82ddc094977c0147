/**
 * Taking a calibration suite (proof of capability): the node's own model judges each pairwise item and the
 * choices become the bitmap the node commits to and later reveals. Bit i set = "the second answer of item i
 * is better". An unparsable or tied judgment picks the first answer (bit 0); a judge that cannot tell
 * simply scores lower.
 */
import { ChorusError } from "../core/index.js";
import type { Mind } from "../round/ports.js";

export interface SuiteItem {
  question: string;
  answerA: string;
  answerB: string;
}

export interface SuiteDocument {
  type: "chorus/calibration-suite@1";
  title: string;
  items: SuiteItem[];
}

export function assertSuite(doc: unknown): SuiteDocument {
  // any JSON value, from a file or IPFS: every field is checked before it is taken as a suite
  const d = doc as { type?: unknown; items?: unknown } | null | undefined;
  if (
    d?.type !== "chorus/calibration-suite@1" ||
    !Array.isArray(d.items) ||
    d.items.length === 0 ||
    d.items.length > 256
  ) {
    throw new ChorusError(
      "CAPABILITY_BAD_SUITE",
      "not a calibration suite document (chorus/calibration-suite@1 with 1..256 items)",
    );
  }
  for (const [i, item] of (d.items as unknown[]).entries()) {
    const it = item as { question?: unknown; answerA?: unknown; answerB?: unknown } | null | undefined;
    if (typeof it?.question !== "string" || typeof it.answerA !== "string" || typeof it.answerB !== "string") {
      throw new ChorusError("CAPABILITY_BAD_SUITE", `suite item ${i} needs question, answerA and answerB strings`);
    }
  }
  return doc as SuiteDocument;
}

export async function answerSuite(
  mind: Mind,
  suite: SuiteDocument,
  opts: { signal?: AbortSignal } = {},
): Promise<bigint> {
  let bits = 0n;
  for (const [i, item] of suite.items.entries()) {
    const r = await mind.compare(item, opts);
    if (r.outcome === "B") bits |= 1n << BigInt(i);
  }
  return bits;
}
