/**
 * Reads dag-json documents from any IPFS trustless gateway (a Chorus node's /ipfs, or a public one) and
 * verifies each block against its CID before decoding: the gateway is not trusted.
 */
import { ChorusError } from "../errors.js";
import { cidOfJson, decodeJson, parseCid, verifyBlock } from "../ipfs/index.js";

export function gatewayJson(baseUrl: string, opts: { timeoutMs?: number } = {}) {
  return {
    async getJson(cidText: string): Promise<unknown> {
      const cid = parseCid(cidText);
      const url = new URL(`/ipfs/${cid.toString()}?format=raw`, baseUrl);
      let res: Response;
      try {
        res = await fetch(url, { headers: { accept: "application/vnd.ipld.raw" }, signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
      } catch (err) {
        throw new ChorusError("GATEWAY_UNREACHABLE", `IPFS gateway ${url.origin} is unreachable (${((err as Error).cause as Error)?.message ?? (err as Error).message})`);
      }
      if (!res.ok) throw new ChorusError("IPFS_NOT_FOUND", `gateway ${url.origin} answered ${res.status} for ${cid}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      await verifyBlock(cid, bytes);
      return decodeJson(cid, bytes);
    },
    async cidOf(value: unknown): Promise<string> {
      return (await cidOfJson(value)).toString();
    },
  };
}
