/**
 * A member's retrieval for one RAG round (the I/O part, through the `Retrieval` port): list the sources on
 * chain at the round's seed block, draw its own sample, ask each drawn source in parallel with a timeout,
 * verify what comes back (a source that times out, is unreachable, or serves something malformed, wrongly
 * bound or badly signed is skipped and recorded with the reason), rerank, and return the evidence the
 * member commits to and reveals plus the contexts for its prompt. When the source list cannot be read, the
 * member answers from its model alone and its evidence says why.
 */
import type { Address, Hex } from "viem";
import { asError, ChorusError, messageOf } from "../core/index.js";
import type { SkippedSource, UsedContext } from "../protocol/index.js";
import { toWire } from "../protocol/index.js";
import type { AnswerRequest, QueryDoc, RagEvidence, RagParams, SignedStored } from "../protocol/index.js";
import { RagParams as RagParamsSchema, ragPrompt } from "../protocol/index.js";
import type { Retrieval } from "./ports.js";
import {
  boundListing,
  checkServed,
  chooseContexts,
  drawSources,
  MAX_LISTED_SOURCES,
  queryHashOf,
  skipReasonOf,
  sortSources,
} from "../protocol/index.js";

export interface RetrieveForRound {
  retrieval: Retrieval;
  params: RagParams;
  /** Per source. */
  timeoutMs: number;
  roundId: Hex;
  queryCid: string;
  query: QueryDoc;
  seed: Hex;
  seedBlock: bigint;
  member: Address;
  signal?: AbortSignal;
}

export async function retrieveForRound(
  input: RetrieveForRound,
): Promise<{ evidence: RagEvidence; used: UsedContext[] }> {
  const { retrieval, params } = input;
  let listed;
  try {
    // Bounded whatever the active set: a port that returned more is cut to the seeded sample here.
    const maxListed = retrieval.maxListed ?? MAX_LISTED_SOURCES;
    const got = await retrieval.sources({
      blockNumber: input.seedBlock,
      seed: input.seed,
      maxListed,
      signal: input.signal,
    });
    listed = sortSources(boundListing(got, input.seed, maxListed));
  } catch (err) {
    // The member still answers, from its model alone, and says why.
    input.signal?.throwIfAborted();
    return {
      evidence: {
        retrieval: "none",
        reason: clip(`cannot list the data sources at block ${input.seedBlock}: ${messageOf(err)}`),
      },
      used: [],
    };
  }
  const drawn = drawSources(listed, params, input.seed, input.member);
  const queryHash = queryHashOf(input.queryCid);
  const results = await Promise.all(
    drawn.map(async (source): Promise<{ served?: SignedStored; skipped?: SkippedSource }> => {
      try {
        const got = await withDeadline(input.timeoutMs, input.signal, (signal) =>
          retrieval.retrieve(
            source,
            { roundId: input.roundId, query: input.query, k: params.k },
            { timeoutMs: input.timeoutMs, signal },
          ),
        );
        // Checked here again whatever the client did: the evidence must hold for every auditor.
        let stored: SignedStored;
        try {
          stored = { served: toWire(got.served), servedCid: got.servedCid, signature: got.signature };
        } catch (err) {
          return {
            skipped: {
              source: source.address,
              reason: "malformed",
              detail: clip(`served document: ${(err as Error).message}`),
            },
          };
        }
        const fault = checkServed(stored, {
          roundId: input.roundId,
          queryHash,
          source: source.address,
          k: params.k,
          domain: retrieval.domain,
        });
        return fault ? { skipped: { source: source.address, ...fault } } : { served: stored };
      } catch (err) {
        input.signal?.throwIfAborted();
        return {
          skipped: {
            source: source.address,
            reason: skipReasonOf(err),
            detail: clip(messageOf(err)),
          },
        };
      }
    }),
  );
  const served = results.flatMap((r) => (r.served ? [r.served] : []));
  const skipped = results.flatMap((r) => (r.skipped ? [r.skipped] : []));
  const used = chooseContexts(drawn, served, params);
  const evidence: RagEvidence = {
    retrieval: "sources",
    params,
    listed,
    served,
    used: used.map((u) => ({ source: u.source, id: u.id })),
    skipped,
  };
  return { evidence, used };
}

/** Runs `fn` with a signal that fires at the deadline too; rejects with RAG_SOURCE_TIMEOUT then, whatever `fn` does. */
async function withDeadline<T>(
  timeoutMs: number,
  outer: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timer = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([outer, timer]) : timer;
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        timer.aborted && !outer?.aborted
          ? new ChorusError("RAG_SOURCE_TIMEOUT", `no answer within ${timeoutMs} ms`)
          : asError(signal.reason),
      );
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([fn(signal), aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function clip(s: string): string {
  return s.length > 500 ? `${s.slice(0, 497)}...` : s;
}

/** A member's retrieval settings (MemberDeps.rag): valid RagParams and a positive integer timeout, else CONFIG_INVALID. */
export function checkRagSettings(rag: RagParams & { timeoutMs: number }): void {
  const { timeoutMs, ...params } = rag;
  const r = RagParamsSchema.safeParse(params);
  const bad = r.success
    ? Number.isInteger(timeoutMs) && timeoutMs > 0
      ? undefined
      : `timeoutMs: must be a positive integer`
    : `${r.error.issues[0].path.join(".")}: ${r.error.issues[0].message}`;
  if (bad) throw new ChorusError("CONFIG_INVALID", `retrieval settings ${bad}`);
}

/**
 * A member's retrieval for a RAG query (member.ts): the evidence it commits to with its answer and the prompt
 * with the top contexts. Without retrieval configured it answers from its model alone and says so.
 */
export async function memberRetrieval(
  deps: { retrieval?: Retrieval; rag?: RagParams & { timeoutMs: number }; member: Address },
  roundId: Hex,
  req: AnswerRequest,
  opts: { signal?: AbortSignal },
): Promise<{ evidence: RagEvidence; messages: { role: string; content: string }[] }> {
  const { retrieval, rag } = deps;
  if (!retrieval || !rag) {
    return {
      evidence: {
        retrieval: "none",
        reason: "this node has no retrieval configured; it answered from its model alone",
      },
      messages: req.query.messages,
    };
  }
  const { timeoutMs, ...params } = rag;
  const got = await retrieveForRound({
    retrieval,
    params,
    timeoutMs,
    roundId,
    queryCid: req.queryCid,
    query: req.query,
    seed: req.seed as Hex,
    seedBlock: BigInt(req.seedBlock.number),
    member: deps.member,
    signal: opts.signal,
  });
  return { evidence: got.evidence, messages: ragPrompt(req.query.messages, got.used) };
}
