/**
 * Where an auditor finds a round's transcript (issue 16, "every signer keeps what it signed"): every member
 * that signed a round stores and pins its transcript and query, so when the first gateway cannot serve it the
 * auditor tries each configured public gateway and then the gateway of every member of the round's settled
 * record (their endpoints as NodeRegistry lists them), in that order, and gives up only when none of them
 * serves content that verifies against the CID. Every block is verified against its CID (gateway-fetch.ts),
 * so a gateway cannot substitute content; a failure only moves on to the next one.
 */
import { type Address, type Hex } from "viem";
import type { ChorusChain, DeployedContract } from "../chain/index.js";
import { getNode } from "../chain/registry.js";
import { ChorusError, isChorusError, messageOf } from "../core/index.js";
import { decodeEpochCalldata } from "./epoch-calldata.js";

/** The other places to look, and how to read one. */
export interface Fallbacks {
  /** Public IPFS gateways (config `gateway.ipfsGateways`), tried before the members. */
  publicGateways: readonly string[];
  /** The endpoint (gateway URL) of each member; default: NodeRegistry's `endpoint`. */
  endpointOf?: (member: Address) => Promise<string | undefined>;
  /** Reads and verifies one document from one gateway (gateway-fetch.ts `gatewayJson(url).getJson`). */
  fetchFrom: (gatewayUrl: string, cid: string) => Promise<unknown>;
}

/**
 * The deployment's Settlement entry, or undefined when the deployments file (read from disk, so it may lack one)
 * lists none.
 */
export function deployedSettlement(chain: ChorusChain): DeployedContract | undefined {
  const entry: unknown = chain.deployments.contracts.Settlement;
  return entry ? (entry as DeployedContract) : undefined;
}

/** The round's members as the settlement transaction that settled it lists them (record `participants`). */
export async function settledMembers(chain: ChorusChain, roundId: Hex, txHash: Hex): Promise<Address[]> {
  if (!deployedSettlement(chain)) return [];
  const tx = await chain.publicClient.getTransaction({ hash: txHash });
  const rec = decodeEpochCalldata(tx.input).find((d) => d.record.roundId.toLowerCase() === roundId.toLowerCase());
  return rec ? rec.record.participants : [];
}

/**
 * Reads `cid` with `first`; when that fails, from each public gateway, then from each member's gateway.
 * Throws ChorusError AUDIT_UNAVAILABLE naming every place tried and why it failed.
 */
export async function fetchWithFallback(
  cid: string,
  first: (cid: string) => Promise<unknown>,
  opts: { fallbacks?: Fallbacks; members: () => Promise<Address[]>; chain: ChorusChain },
): Promise<unknown> {
  const tried: { where: string; why: string }[] = [];
  const why = (err: unknown) => (isChorusError(err) ? `${err.code}: ${err.message}` : messageOf(err));
  try {
    return await first(cid);
  } catch (err) {
    tried.push({ where: "the configured gateway", why: why(err) });
  }
  const fb = opts.fallbacks;
  if (fb) {
    const seen = new Set<string>();
    const attempt = async (url: string, where: string) => {
      if (seen.has(url)) return undefined;
      seen.add(url);
      try {
        return { value: await fb.fetchFrom(url, cid) };
      } catch (err) {
        tried.push({ where: `${where} ${url}`, why: why(err) });
        return undefined;
      }
    };
    for (const url of fb.publicGateways) {
      const got = await attempt(url, "public gateway");
      if (got) return got.value;
    }
    let members: Address[] = [];
    try {
      members = await opts.members();
    } catch (err) {
      tried.push({ where: "the settlement transaction (committee list)", why: why(err) });
    }
    const endpointOf = fb.endpointOf ?? (async (m: Address) => (await getNode(opts.chain, m)).endpoint || undefined);
    for (const m of members) {
      let url: string | undefined;
      try {
        url = await endpointOf(m);
      } catch (err) {
        tried.push({ where: `member ${m}`, why: why(err) });
        continue;
      }
      if (!url) {
        tried.push({ where: `member ${m}`, why: "no endpoint registered" });
        continue;
      }
      const got = await attempt(url, `member ${m} at`);
      if (got) return got.value;
    }
  }
  throw new ChorusError(
    "AUDIT_UNAVAILABLE",
    `${cid} is not available from any of ${tried.length} place(s) tried: ${tried.map((t) => `${t.where} (${t.why})`).join("; ")}`.slice(
      0,
      4000,
    ),
    { cid, tried },
  );
}
