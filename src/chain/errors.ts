import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  decodeErrorResult,
  type Abi,
  type Hex,
} from "viem";
import { ChorusError } from "../core/index.js";
import { originOf, redactUrl, redactUrls } from "../net/redact.js";

/**
 * Turns a viem/RPC error into a ChorusError with one readable line: a contract's custom error with its
 * arguments (CHAIN_REVERTED), an unreachable RPC (CHAIN_UNREACHABLE), or anything else (CHAIN_ERROR).
 *
 * The RPC URL is a secret (hosted providers put the API key in its path or query): a message and the details
 * name it by its origin only (scheme://host:port), and any URL viem put in a message is reduced the same way.
 * The viem error stays in `cause`, for the node's own log.
 */
export function toChainError(err: unknown, ctx: { rpcUrl?: string; abi?: Abi } = {}): ChorusError {
  if (err instanceof ChorusError) return err;
  if (err instanceof BaseError) {
    const unreachable = err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError);
    if (unreachable instanceof BaseError) {
      return new ChorusError(
        "CHAIN_UNREACHABLE",
        `chain RPC ${originOf(ctx.rpcUrl)} is unreachable (${clean(unreachable.shortMessage, ctx.rpcUrl)}); is the devnet running (\`npm start\`)?`,
        { rpcUrl: originOf(ctx.rpcUrl) },
        { cause: err },
      );
    }
    const reverted = err.walk(
      (e) => e instanceof ContractFunctionRevertedError,
    ) as ContractFunctionRevertedError | null;
    let name = reverted?.data?.errorName;
    let args = reverted?.data?.args;
    if (!name && ctx.abi) {
      const data = findRevertData(err);
      if (data) {
        try {
          const decoded = decodeErrorResult({ abi: ctx.abi, data });
          name = decoded.errorName;
          args = decoded.args;
        } catch {
          /* not one of ours: reported below with the raw reason */
        }
      }
    }
    if (name) {
      const shown = (args ?? []).map((a) => String(a)).join(", ");
      return new ChorusError(
        "CHAIN_REVERTED",
        `transaction reverted: ${name}(${shown})`,
        {
          error: name,
          args: (args ?? []).map((a) => (typeof a === "bigint" ? a.toString() : a)),
        },
        { cause: err },
      );
    }
    return new ChorusError("CHAIN_ERROR", clean(err.shortMessage, ctx.rpcUrl), {}, { cause: err });
  }
  return new ChorusError(
    "CHAIN_ERROR",
    clean(err instanceof Error ? err.message : String(err), ctx.rpcUrl),
    {},
    { cause: err },
  );
}

/** `text` without the RPC URL's secret parts, nor any other URL's path. */
function clean(text: string, rpcUrl: string | undefined): string {
  return redactUrls(redactUrl(text, rpcUrl));
}

function findRevertData(error: unknown): Hex | undefined {
  for (let e = error as { data?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(e.data)) return e.data as Hex;
  }
  return undefined;
}
