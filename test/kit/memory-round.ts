/**
 * An in-memory world for round-protocol tests: a directory of nodes, a peer transport that calls members
 * directly (with timeouts and failure injection), a content-addressed dag-json store, and deterministic
 * minds. The protocol code under test is the real one; only the transport and the model are stand-ins.
 */
import * as dagJson from "@ipld/dag-json";
import { canonicalBytes, cidOfCanonical } from "../../src/core/index.js";
import type { Address } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { createSigner, type DigestSigner } from "../../src/core/index.js";
import type { Artifacts, Directory, Mind, NodeEntry, PeerClient } from "../../src/round/ports.js";

export class MemoryArtifacts implements Artifacts {
  readonly blocks = new Map<string, Uint8Array>();
  async cidOf(value: unknown): Promise<string> {
    return cidOfCanonical(canonicalBytes(value));
  }
  async putJson(value: unknown): Promise<string> {
    const bytes = canonicalBytes(value);
    const cid = cidOfCanonical(bytes);
    this.blocks.set(cid, bytes);
    return cid;
  }
  async getJson<T>(cid: string): Promise<T> {
    const b = this.blocks.get(cid);
    if (!b) throw new Error(`not found ${cid}`);
    return dagJson.decode<T>(b);
  }
}

export function makeSigners(n: number): DigestSigner[] {
  return Array.from({ length: n }, () => createSigner(generatePrivateKey()));
}

/**
 * A directory over a fixed (possibly growing) list of nodes: every node is a candidate with its stake and
 * reputation in every period; tau defaults to 7 (with 7 or fewer equal nodes at full reputation, everyone is drawn
 * with at least one seat), and any committee size is accepted (minCommittee 1).
 */
export function directoryOf(nodes: NodeEntry[], opts: { tau?: number; minCommittee?: number } = {}): Directory {
  return {
    candidates: async () => nodes,
    weightsAt: async (period: number) => ({
      period,
      candidates: [...nodes],
      totalStake: nodes.reduce((a, n) => a + n.stake, 0n),
      tau: opts.tau ?? 7,
      minCommittee: opts.minCommittee ?? 1,
    }),
  };
}

export type Handler = (envelope: unknown) => Promise<unknown>;

/** Routes POSTs to handlers by endpoint; `faults` can delay or break a member for some message kinds. */
export class DirectPeers implements PeerClient {
  readonly handlers = new Map<string, Handler>();
  readonly faults = new Map<
    string,
    { kinds: string[]; mode: "hang" | "error" | "tamper"; tamper?: (reply: any) => any }
  >();
  async post(
    endpoint: string,
    _path: string,
    envelope: unknown,
    opts: { signal?: AbortSignal; timeoutMs: number },
  ): Promise<unknown> {
    const h = this.handlers.get(endpoint);
    if (!h) throw new Error(`connect ECONNREFUSED ${endpoint}`);
    const fault = this.faults.get(endpoint);
    const kind = (envelope as { kind: string }).kind;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    });
    try {
      if (fault && fault.kinds.includes(kind)) {
        if (fault.mode === "hang") return await timeout;
        if (fault.mode === "error") throw new Error("socket hang up");
        return fault.tamper!(await h(envelope));
      }
      return await Promise.race([h(envelope), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A deterministic mind: answers with its fixed text; judges by a fixed preference order of texts. */
export function fixedMind(answer: string, prefer: (a: string, b: string) => "A" | "B" | "tie"): Mind {
  return {
    answer: async () => answer,
    compare: async ({ answerA, answerB }) => ({ outcome: prefer(answerA, answerB) }),
    screen: async () => "GOOD",
  };
}

export const addressKey = (a: Address) => a.toLowerCase();
