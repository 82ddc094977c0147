/**
 * In-memory data sources for RAG round tests: a `Retrieval` whose sources answer from fixed contexts and
 * sign with their own keys through the real src/source/signer.ts, or misbehave on purpose (sign with another
 * key, serve more contexts than asked, never answer). The round code under test is the real one.
 */
import { keccak256, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { settlementDomain, type SettlementDomain } from "../../src/core/index.js";
import { cidToBytes32 } from "../../src/core/index.js";
import { canonicalBytes, cidOfCanonical } from "../../src/core/index.js";
import type { Retrieval } from "../../src/round/ports.js";
import type { QueryDoc } from "../../src/protocol/index.js";
import { SERVED_TYPE, type ServedContext, type ServedDoc, type SourceInfo } from "../../src/protocol/index.js";
import { signServed } from "../../src/source/signer.js";

export const RAG_DOMAIN: SettlementDomain = settlementDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");

export type Behaviour = "honest" | "bad-signature" | "malformed" | "timeout";

export interface MemorySource {
  account: PrivateKeyAccount;
  info: SourceInfo;
  behaviour: Behaviour;
  contexts: Omit<ServedContext, "score">[];
}

export function memorySource(
  label: string,
  behaviour: Behaviour,
  texts: string[],
  scores: Partial<Omit<SourceInfo, "address" | "endpoint">> = {},
): MemorySource {
  const account = privateKeyToAccount(keccak256(toHex(`chorus-test-rag-source-${label}`)));
  return {
    account,
    behaviour,
    info: {
      address: account.address,
      endpoint: `mem://source/${label}`,
      reliability: scores.reliability ?? 500_000,
      usefulness: scores.usefulness ?? 500_000,
    },
    contexts: texts.map((text, i) => ({ id: `${label}.md#${i}`, doc: `${label}.md`, text })),
  };
}

/** The query hash a source binds to: the query document's dag-json CID as bytes32. */
export function queryHash(query: QueryDoc): Hex {
  return cidToBytes32(cidOfCanonical(canonicalBytes(query)));
}

/** A Retrieval over `sources`; `domain` is the Settlement domain the sources sign under (and the member checks). */
export function memoryRetrieval(
  sources: MemorySource[],
  opts: { domain?: SettlementDomain; calls?: Address[] } = {},
): Retrieval {
  const domain = opts.domain ?? RAG_DOMAIN;
  const stranger = privateKeyToAccount(keccak256(toHex("chorus-test-rag-stranger")));
  return {
    domain,
    async sources() {
      return sources.map((s) => ({ ...s.info }));
    },
    async retrieve(source, req) {
      const s = sources.find((x) => x.info.address.toLowerCase() === source.address.toLowerCase());
      if (!s) throw new Error(`unknown source ${source.address}`);
      opts.calls?.push(s.info.address);
      if (s.behaviour === "timeout") return new Promise<never>(() => {}); // never answers, ignores the signal
      const count = s.behaviour === "malformed" ? req.k + 1 : Math.min(req.k, s.contexts.length);
      const contexts = Array.from({ length: count }, (_, i) => ({
        ...s.contexts[i % s.contexts.length],
        id: `${s.contexts[i % s.contexts.length].id}.${i}`,
        score: (1000 - i) / 1000,
      }));
      const doc: ServedDoc = {
        type: SERVED_TYPE,
        source: s.info.address,
        roundId: req.roundId,
        queryHash: queryHash(req.query),
        manifestCid: "bagaaierafake",
        k: req.k,
        contexts,
      };
      return signServed(s.behaviour === "bad-signature" ? stranger : s.account, domain, doc);
    },
  };
}
