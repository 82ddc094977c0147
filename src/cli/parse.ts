import { getAddress, isAddress, parseEther, type Address, type Hex } from "viem";
import { ChorusError } from "../core/index.js";

/** "250" or "12.5" CHR -> wei. Rejects anything else with a line that says what was expected. */
export function parseAmount(raw: string, what = "amount"): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(raw.trim())) {
    throw new ChorusError("INPUT_INVALID", `${what} '${raw}' is not a number of CHR (e.g. 250 or 12.5)`);
  }
  const wei = parseEther(raw.trim());
  if (wei === 0n) throw new ChorusError("INPUT_INVALID", `${what} must be greater than 0`);
  return wei;
}

export function parseAddress(raw: string): Address {
  if (!isAddress(raw, { strict: false })) throw new ChorusError("INPUT_INVALID", `'${raw}' is not an address (0x + 40 hex digits)`);
  return getAddress(raw);
}

export function parseEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ChorusError("INPUT_INVALID", `--endpoint '${raw}' is not a URL (e.g. http://127.0.0.1:7001)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ChorusError("INPUT_INVALID", `--endpoint must be an http(s) URL, got '${raw}'`);
  }
  if (raw.length > 256) throw new ChorusError("INPUT_INVALID", `--endpoint is longer than 256 characters`);
  return raw;
}

/** A bytes32 hex digest (the on-chain form of a CID). */
export function parseBytes32(raw: string, what: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) throw new ChorusError("INPUT_INVALID", `${what} must be 0x + 64 hex digits`);
  return raw as Hex;
}
