/**
 * A member's checks on a sign-request (member.ts hands each one here): the attached transcript is validated
 * strictly and must hash to the CID to sign; its round, chain, registry, coordinator, query, committee and requests
 * must equal the member's own verified copies; its gold standings must be the public ones as of the seed block
 * (issue 20); the member's own messages must be in it unaltered; the result must recompute from its signed
 * material; and the transcript and query are stored and pinned before any signature leaves. Every refusal throws.
 */
import { isAddressEqual, type Address, type Hex } from "viem";
import { ChorusError, isChorusError } from "../core/index.js";
import { canonicalBytes, canonicalHash, cidOfCanonical } from "../core/index.js";
import {
  computeResult,
  goldSnapshot,
  parseTranscript,
  type AnswerRequest,
  type ConsensusRules,
  type Envelope,
  type PeerDomain,
  type Transcript,
} from "../protocol/index.js";
import type { RecordSigning } from "./coordinator.js";
import { checkGoldStandings, checkTranscript, sameDocument } from "./member-checks.js";
import type { Artifacts, GoldStandingsPort } from "./ports.js";

/** What the checks read of the member. */
export interface SignCheckDeps {
  domain: PeerDomain;
  signer: { address: Address };
  artifacts: Artifacts;
  rules: ConsensusRules;
  records: RecordSigning;
  gold?: GoldStandingsPort;
}

/** What the member kept of the round: the answer-request, the requests it verified and the replies it sent. */
export interface SignRoundState {
  request: AnswerRequest;
  received: Envelope[];
  sent: Map<string, Envelope>;
}

/** Checks a sign-request's transcript (see the module comment); resolves with the validated copy to sign. */
export async function verifySignRequest(
  deps: SignCheckDeps,
  s: SignRoundState,
  req: { roundId: Hex; coordinator: Address; transcriptCid: string },
  attachment: unknown,
): Promise<Transcript> {
  // The whole transcript against the protocol's schema before anything is computed from it.
  const t = parseTranscript(attachment);
  if (cidOfCanonical(canonicalBytes(t)) !== req.transcriptCid) {
    throw new ChorusError("PEER_BAD_MESSAGE", `transcript does not match its CID ${req.transcriptCid}`);
  }
  checkTranscript(t, {
    roundId: req.roundId,
    chainId: deps.domain.chainId,
    registry: deps.domain.registry,
    coordinator: req.coordinator,
    request: s.request,
    requests: { answer: s.received[0], reveal: s.received[1], judge: s.received[2] },
  });
  // The standings the deltas use: recomputed from public data as of the seed block, never taken on trust.
  const seedBlock = t.committee.seedBlock.number;
  checkGoldStandings(
    t,
    deps.gold
      ? goldSnapshot(t.committee.members, await deps.gold.standingsAt(BigInt(seedBlock)), seedBlock)
      : undefined,
  );
  // My own messages must be in it, unaltered.
  const me = deps.signer.address;
  const find = (list: Envelope[]) => list.find((e) => isAddressEqual(e.from, me));
  for (const [requestKind, list] of [
    ["answer-request", t.commits],
    ["reveal-request", t.reveals],
    ["judge-request", t.judgments],
  ] as const) {
    const sent = s.sent.get(requestKind);
    const listed = find(list);
    if (sent && (!listed || !sameDocument(listed, sent))) {
      throw new ChorusError(
        "PEER_TRANSCRIPT_MISMATCH",
        `transcript misrepresents my ${requestKind.replace("-request", "")}`,
        { field: requestKind },
      );
    }
  }
  let result;
  try {
    result = computeResult(t, deps.rules, {
      known: [...s.received, ...s.sent.values()],
      skipCommitSignatures: true,
      serviceDomain: deps.records.serviceDomain,
    });
  } catch (err) {
    // The coordinator's transcript does not compute: its fault (400), not this member's (CONSENSUS_* is 500).
    if (isChorusError(err) && err.code.startsWith("CONSENSUS_"))
      throw new ChorusError(
        "PEER_BAD_TRANSCRIPT",
        `the transcript does not compute: ${err.message}`,
        { code: err.code, ...err.details },
        { cause: err },
      );
    throw err;
  }
  if (canonicalHash(result) !== canonicalHash(t.result)) {
    throw new ChorusError("PEER_BAD_MESSAGE", "the transcript's result is not what its judgments give");
  }
  // Every signer keeps what it signed: the transcript (the validated copy) and its query are stored and
  // pinned before the signature leaves, so this member's gateway serves them to any auditor (issue 16).
  const [cid] = await Promise.all([deps.artifacts.putJson(t), deps.artifacts.putJson(t.query)]);
  if (cid !== req.transcriptCid)
    throw new ChorusError("PEER_BAD_MESSAGE", `stored transcript has CID ${cid}, not ${req.transcriptCid}`);
  return t;
}
