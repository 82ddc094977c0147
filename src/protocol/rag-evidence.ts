/**
 * Retrieval in a round, the pure part shared by members, the coordinator and auditors: a member's own
 * source draw (seeded by the round seed and its address), checking a served document (shape, binding to
 * round, query and source, CID, the source's EIP-712 `SourceService` signature), the rerank that picks the
 * contexts of the prompt, the prompt itself, checking a member's whole evidence, and the sources' deltas of a
 * round with, per source, the one served document and signature the settlement record carries.
 */
import { encodePacked, isAddressEqual, type Address, type Hex } from "viem";
import { keccak256 } from "../core/index.js";
import { serviceDigest, type SettlementDomain } from "../core/index.js";
import { ChorusError, compareAddress, present } from "../core/index.js";
import { cidToBytes32 } from "../core/index.js";
import { rerankContexts, sampleSources, sourceDeltas } from "./reliability.js";
import type { SkippedSource, SourceInfo, SourceScoreDelta, UsedContext } from "./rag-types.js";
import { canonicalBytes, cidOfCanonical } from "../core/index.js";
import { SignedStored as SignedStoredSchema, type RagEvidence, type RagParams, type SignedStored } from "./wire.js";
import { recoverDigestSigner } from "../core/index.js";

export type SkipReason = SkippedSource["reason"];

/** A source's deltas in a round, with the served document (CID) and signature its record entry carries. */
export interface RoundSource extends SourceScoreDelta {
  servedCid: string;
  signature: Hex;
}

/** The seed of one member's source draw: keccak256(roundSeed ‖ member). */
export function drawSeed(seed: Hex, member: Address): Hex {
  return keccak256(encodePacked(["bytes32", "address"], [seed, member]));
}

/** The query hash a served document is bound to: the round's query CID as bytes32. */
export function queryHashOf(queryCid: string): Hex {
  return cidToBytes32(queryCid);
}

/** Sources sorted by address (the canonical order the draw runs over). */
export function sortSources(sources: readonly SourceInfo[]): SourceInfo[] {
  return [...sources].sort((a, b) => compareAddress(a.address, b.address));
}

/** The error code of src/source/client.ts `retrieveFrom` for each skip reason. */
export const SKIP_CODES: Record<string, SkipReason> = {
  RAG_SOURCE_TIMEOUT: "timeout",
  RAG_SOURCE_UNREACHABLE: "unreachable",
  RAG_SOURCE_MALFORMED: "malformed",
  RAG_SOURCE_BAD_SIGNATURE: "bad-signature",
  RAG_SOURCE_WRONG_BINDING: "wrong-binding",
};

/** Why retrieving from a source failed, from the error its client threw (an abort or anything else: unreachable). */
export function skipReasonOf(err: unknown): SkipReason {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (typeof code === "string" && code in SKIP_CODES) return SKIP_CODES[code];
  const name = (err as { name?: unknown } | null | undefined)?.name;
  return name === "TimeoutError" ? "timeout" : "unreachable";
}

export interface ServedExpectation {
  roundId: Hex;
  queryHash: Hex;
  source: Address;
  k: number;
  /** The Settlement contract's EIP-712 domain, under which sources sign `SourceService(roundId, servedCid)`. */
  domain: SettlementDomain;
}

/** Stored scores are integer micro-units; relevance is [0, 1] (as src/protocol/served.ts `fromWire`). */
export const SCORE_SCALE = 1_000_000;

/**
 * Checks one signed served document (stored form) against what the member asked for. Returns null when it
 * holds, else the skip reason and what is wrong. Never throws.
 */
export function checkServed(x: unknown, expect: ServedExpectation): { reason: SkipReason; detail: string } | null {
  const parsed = SignedStoredSchema.safeParse(x);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return { reason: "malformed", detail: `served document ${i.path.join(".")}: ${i.message}` };
  }
  const { served, servedCid, signature } = parsed.data;
  if (!isAddressEqual(served.source as Address, expect.source))
    return { reason: "wrong-binding", detail: `served by ${served.source}, asked ${expect.source}` };
  if (served.roundId.toLowerCase() !== expect.roundId.toLowerCase())
    return { reason: "wrong-binding", detail: `bound to round ${served.roundId}` };
  if (served.queryHash.toLowerCase() !== expect.queryHash.toLowerCase())
    return { reason: "wrong-binding", detail: `bound to query ${served.queryHash}` };
  if (served.k !== expect.k || served.contexts.length > expect.k) {
    return {
      reason: "malformed",
      detail: `asked for ${expect.k} contexts, got k=${served.k} with ${served.contexts.length}`,
    };
  }
  if (new Set(served.contexts.map((c) => c.id)).size !== served.contexts.length)
    return { reason: "malformed", detail: "context ids repeat" };
  const cid = cidOfCanonical(canonicalBytes(served));
  if (cid !== servedCid) return { reason: "malformed", detail: `served document hashes to ${cid}, not ${servedCid}` };
  const signer = recoverDigestSigner(
    serviceDigest(expect.domain, { roundId: served.roundId as Hex, servedCid: cidToBytes32(servedCid) }),
    signature as Hex,
  );
  if (!signer || !isAddressEqual(signer, expect.source))
    return { reason: "bad-signature", detail: `SourceService signature recovers to ${signer ?? "nothing"}` };
  return null;
}

/** The contexts of the prompt: every verified served context, reranked; sources in draw order. */
export function chooseContexts(
  drawn: readonly SourceInfo[],
  served: readonly SignedStored[],
  params: RagParams,
): UsedContext[] {
  const items = drawn.flatMap((source) => {
    const doc = served.find((s) => isAddressEqual(s.served.source as Address, source.address));
    return doc
      ? doc.served.contexts.map((c) => ({
          source,
          context: { id: c.id, doc: c.doc, text: c.text, score: c.score / SCORE_SCALE },
        }))
      : [];
  });
  return rerankContexts(items, params.k, { reliabilityWeight: params.reliabilityWeight / SCORE_SCALE });
}

/**
 * Most sources a RAG round reads, whatever the size of the active set: above it, the round lists a sample of
 * this many, drawn from the round seed (`listingIndices`), the same for every member and for an auditor.
 */
export const MAX_LISTED_SOURCES = 64;

/**
 * Which of `count` enumerated sources (SourceRegistry.activeSources order at the seed block) a round reads:
 * all of them when `count <= max`, else `max` distinct indices by a partial Fisher-Yates shuffle seeded by
 * keccak256(seed ‖ "chorus/listing" ‖ i). Pure and deterministic: an auditor re-derives it from the seed.
 */
export function listingIndices(count: number, seed: Hex, max: number = MAX_LISTED_SOURCES): number[] {
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(max) || max < 1) {
    throw new ChorusError("RAG_BAD_LISTING", "listing needs a count >= 0 and a bound >= 1", { count, max });
  }
  if (count <= max) return Array.from({ length: count }, (_, i) => i);
  const swapped = new Map<number, number>(); // sparse Fisher-Yates: only touched positions are stored
  const at = (i: number) => swapped.get(i) ?? i;
  const out: number[] = [];
  for (let i = 0; i < max; i++) {
    const r = BigInt(keccak256(encodePacked(["bytes32", "string", "uint256"], [seed, "chorus/listing", BigInt(i)])));
    const j = i + Number(r % BigInt(count - i));
    const pick = at(j);
    swapped.set(j, at(i));
    out.push(pick);
  }
  return out;
}

/** `listed` (in enumeration order) cut to the round's bound with `listingIndices`. */
export function boundListing<T>(listed: readonly T[], seed: Hex, max: number = MAX_LISTED_SOURCES): T[] {
  return listingIndices(listed.length, seed, max).map((i) => listed[i]);
}

/** The draw of one member: `count` of the listed sources, chance from on-chain usefulness with a floor. */
export function drawSources(
  listed: readonly SourceInfo[],
  params: RagParams,
  seed: Hex,
  member: Address,
): SourceInfo[] {
  return sampleSources(sortSources(listed), params.sources, drawSeed(seed, member), {
    explorationFloor: params.explorationFloor,
  });
}

/** The text retrieval and the deltas are about: the last user message (as src/protocol/served.ts `queryText`). */
export function queryTextOf(messages: readonly { role: string; content: string }[]): string {
  const users = messages.filter((m) => m.role === "user");
  return users.length > 0 ? users[users.length - 1].content : messages.map((m) => m.content).join("\n");
}

/** The query's messages with the contexts as a system message just before the last user message. */
export function ragPrompt(
  messages: readonly { role: string; content: string }[],
  used: readonly UsedContext[],
): { role: string; content: string }[] {
  const out: { role: string; content: string }[] = messages.map((m) => ({ role: m.role, content: m.content }));
  if (used.length === 0) return out;
  const block = used.map((c, i) => `[${i + 1}] (source ${c.source}, ${c.id})\n${c.text}`).join("\n\n");
  const system = {
    role: "system",
    content: `Answer using these retrieved contexts where they are relevant; they may be incomplete or wrong.\n\n${block}`,
  };
  let at = out.length;
  for (let i = out.length - 1; i >= 0; i--)
    if (out[i].role === "user") {
      at = i;
      break;
    }
  out.splice(at, 0, system);
  return out;
}

export interface EvidenceContext {
  roundId: Hex;
  queryCid: string;
  seed: Hex;
  member: Address;
  domain?: SettlementDomain;
}

const bad = (member: Address, message: string): never => {
  // Clipped: the message may quote a source's text, and it becomes an exclusion reason in the transcript.
  throw new ChorusError("ROUND_BAD_EVIDENCE", `retrieval evidence of ${member}: ${message.slice(0, 400)}`, { member });
};

/**
 * Checks a member's revealed retrieval evidence and returns the contexts it used (text and relevance from
 * the signed served documents). Throws ChorusError ROUND_BAD_EVIDENCE naming the fault: sources not sorted,
 * a draw that is not the seeded one, a drawn source neither served nor skipped, a served document that does
 * not verify, or used contexts that are not the rerank of the served ones.
 */
export function checkEvidence(ctx: EvidenceContext, ev: RagEvidence): UsedContext[] {
  if (ev.retrieval === "none") return [];
  const { member } = ctx;
  const listed = ev.listed as SourceInfo[];
  listed.forEach((s, i) => {
    if (i > 0 && BigInt(s.address) <= BigInt(listed[i - 1].address))
      bad(member, "listed sources are not sorted by address");
  });
  const drawn = drawSources(listed, ev.params, ctx.seed, member);
  const key = (a: string) => a.toLowerCase();
  const drawnSet = new Set(drawn.map((s) => key(s.address)));
  const seen = new Set<string>();
  for (const a of [...ev.served.map((s) => s.served.source), ...ev.skipped.map((s) => s.source)]) {
    if (!drawnSet.has(key(a))) bad(member, `source ${a} is not in its seeded draw`);
    if (seen.has(key(a))) bad(member, `source ${a} appears twice`);
    seen.add(key(a));
  }
  if (seen.size !== drawnSet.size)
    bad(member, `${drawnSet.size - seen.size} drawn source(s) neither served nor skipped`);
  if (ev.served.length > 0 && !ctx.domain) {
    throw new ChorusError(
      "ROUND_RAG_UNVERIFIABLE",
      "checking source signatures needs the Settlement domain (records.serviceDomain)",
    );
  }
  const queryHash = queryHashOf(ctx.queryCid);
  for (const s of ev.served) {
    const fault = checkServed(s, {
      roundId: ctx.roundId,
      queryHash,
      source: s.served.source as Address,
      k: ev.params.k,
      domain: present(ctx.domain, "the Settlement domain"),
    });
    if (fault) bad(member, `served document of ${s.served.source} (${fault.reason}): ${fault.detail}`);
  }
  const used = chooseContexts(drawn, ev.served, ev.params);
  const same =
    used.length === ev.used.length &&
    used.every((u, i) => isAddressEqual(u.source, ev.used[i].source as Address) && u.id === ev.used[i].id);
  if (!same) bad(member, "used contexts are not the rerank of the served ones");
  return used;
}

/** One valid answer of a RAG round with the contexts behind it. */
export interface RagAnswer {
  member: Address;
  text: string;
  used: UsedContext[];
  served: readonly SignedStored[];
}

/**
 * The sources' deltas of a round (src/protocol/reliability.ts `sourceDeltas` over the answers, their contexts, the
 * consensus scores and the query's text), without all-zero entries, each with one served document: the one most of the members that used
 * the source used (ties: the lowest CID), with the signature of the first such member by address.
 */
export function roundSources(
  answers: readonly RagAnswer[],
  scores: Record<string, number>,
  winner: Address,
  query: string,
): RoundSource[] {
  if (!answers.some((a) => a.used.length > 0)) return [];
  const deltas = sourceDeltas({
    answers: answers.map((a) => ({ member: a.member, text: a.text, contexts: a.used })),
    scores,
    winner,
    query,
  });
  const byMember = [...answers].sort((a, b) => compareAddress(a.member, b.member));
  const out: RoundSource[] = [];
  for (const d of deltas) {
    if (d.reliability === 0 && d.usefulness === 0) continue;
    const docs: SignedStored[] = [];
    for (const a of byMember) {
      if (!a.used.some((u) => isAddressEqual(u.source, d.source))) continue;
      const doc = a.served.find((s) => isAddressEqual(s.served.source as Address, d.source));
      if (doc) docs.push(doc);
    }
    if (docs.length === 0)
      throw new ChorusError("ROUND_BAD_EVIDENCE", `source ${d.source} got a delta but no answer used it`, {
        source: d.source,
      });
    const counts = new Map<string, number>();
    for (const doc of docs) counts.set(doc.servedCid, (counts.get(doc.servedCid) ?? 0) + 1);
    const [servedCid] = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))[0];
    const signature = present(
      docs.find((doc) => doc.servedCid === servedCid),
      `a document served as ${servedCid}`,
    ).signature;
    out.push({
      source: d.source,
      reliability: d.reliability,
      usefulness: d.usefulness,
      servedCid,
      signature: signature as Hex,
    });
  }
  return out;
}
