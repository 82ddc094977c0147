/**
 * Reads dag-json documents from any IPFS trustless gateway (a Chorus node's /ipfs, or a public one) and
 * verifies each block against its CID before decoding: the gateway is not trusted. So its reply is read
 * through src/net: no redirect is followed and the body is capped while it streams (4 MiB, the artifact
 * limit, by default): a gateway that streams gigabytes is cut off at the cap, not buffered.
 */
import { ChorusError } from "../core/index.js";
import { cidOfJson, decodeJson, parseCid, verifyBlock } from "../ipfs/index.js";
import { ANY_ADDRESS, netReasonOf, netRequest, NET_REASONS, type AddressPolicy } from "../net/index.js";

/** The artifact size limit (config ipfs.maxArtifactBytes default). */
export const DEFAULT_MAX_GATEWAY_BYTES = 4 * 1024 * 1024;

export interface GatewayJsonOptions {
  timeoutMs?: number;
  maxBytes?: number;
  /** Which addresses the gateway may be at; default any (the user chose this URL). */
  policy?: AddressPolicy;
}

export function gatewayJson(baseUrl: string, opts: GatewayJsonOptions = {}) {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_GATEWAY_BYTES;
  return {
    async getJson(cidText: string): Promise<unknown> {
      const cid = parseCid(cidText);
      const url = new URL(`/ipfs/${cid.toString()}?format=raw`, baseUrl);
      let res;
      try {
        res = await netRequest(url, {
          headers: { accept: "application/vnd.ipld.raw" },
          timeoutMs: opts.timeoutMs ?? 15_000,
          maxBytes,
          policy: opts.policy ?? ANY_ADDRESS,
        });
      } catch (err) {
        const reason = netReasonOf(err);
        if (reason === NET_REASONS.tooLarge) {
          throw new ChorusError(
            "IPFS_TOO_LARGE",
            `gateway ${url.origin} sent more than ${maxBytes} bytes for ${cid.toString()}: refused`,
            { maxBytes },
            { cause: err },
          );
        }
        if (reason === NET_REASONS.redirect)
          throw new ChorusError(
            "GATEWAY_REDIRECT",
            `gateway ${url.origin} answered with a redirect for ${cid.toString()}: not followed`,
            {},
            { cause: err },
          );
        const why = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
        throw new ChorusError(
          "GATEWAY_UNREACHABLE",
          `IPFS gateway ${url.origin} is unreachable (${why})`,
          {},
          { cause: err },
        );
      }
      if (res.status !== 200)
        throw new ChorusError("IPFS_NOT_FOUND", `gateway ${url.origin} answered ${res.status} for ${cid.toString()}`);
      const bytes = new Uint8Array(res.body);
      await verifyBlock(cid, bytes);
      return decodeJson(cid, bytes);
    },
    async cidOf(value: unknown): Promise<string> {
      return (await cidOfJson(value)).toString();
    },
  };
}
