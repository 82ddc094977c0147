import { expect } from "chai";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { decodeErrorResult, type Abi, type Hex } from "viem";
import { ROOT } from "../../deploy/lib.js";

let errorAbi: Abi | undefined;

/** Every custom error declared by any compiled contract of the project (OpenZeppelin's included). */
function allErrors(): Abi {
  if (errorAbi) return errorAbi;
  const seen = new Map<string, Abi[number]>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".json") && !name.endsWith(".dbg.json")) {
        for (const item of JSON.parse(readFileSync(p, "utf8")).abi ?? []) {
          if (item.type === "error")
            seen.set(`${item.name}(${item.inputs.map((i: { type: string }) => i.type)})`, item);
        }
      }
    }
  };
  walk(path.join(ROOT, "artifacts", "contracts"));
  errorAbi = [...seen.values()] as Abi;
  return errorAbi;
}

function revertData(error: unknown): Hex | undefined {
  for (let e = error as { data?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.data === "string" && e.data.startsWith("0x")) return e.data as Hex;
    if (e.data && typeof e.data === "object" && typeof (e.data as { data?: unknown }).data === "string") {
      return (e.data as { data: Hex }).data;
    }
  }
  return undefined;
}

/**
 * Awaits `action` (use a contract's `simulate.<fn>(...)`: Hardhat keeps the revert data for calls, not for
 * sent transactions) and asserts that it reverted with the custom error `errorName` and, when given,
 * exactly `args` (addresses compared case-insensitively, numbers as bigints). Returns the decoded args.
 */
export async function expectRevert(
  action: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
): Promise<readonly unknown[]> {
  let error: unknown;
  try {
    await action;
  } catch (e) {
    error = e;
  }
  expect(error, `expected a revert with ${errorName}, but the call succeeded`).to.not.equal(undefined);
  const data = revertData(error);
  expect(data, `expected a revert with ${errorName}, got no revert data: ${(error as Error).message}`).to.be.a(
    "string",
  );
  const decoded = decodeErrorResult({ abi: allErrors(), data: data! });
  expect(decoded.errorName, "custom error").to.equal(errorName);
  const got = decoded.args ?? [];
  if (args) expect(normalize(got), `arguments of ${errorName}`).to.deep.equal(normalize(args));
  return got;
}

function normalize(values: readonly unknown[]): unknown[] {
  return values.map((v) =>
    typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v)
      ? v.toLowerCase()
      : typeof v === "number"
        ? BigInt(v)
        : Array.isArray(v)
          ? normalize(v)
          : v,
  );
}
