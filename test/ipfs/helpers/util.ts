/** Small helpers shared by the IPFS tests: temporary directories and "rejects with this ChorusError code". */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ChorusError } from "../../../src/core/index.js";

const dirs: string[] = [];

/** A fresh temporary directory, removed by {@link removeTmpDirs}. */
export async function tmpDir(prefix = "chorus-ipfs-"): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Removes every temporary directory; retries because libp2p may still be flushing its datastore just after stop. */
export async function removeTmpDirs(): Promise<void> {
  await Promise.all(
    dirs.splice(0).map((d) => rm(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })),
  );
}

/** Awaits `p` (or calls `fn`), expecting a ChorusError with `code`; returns it for further checks. */
export async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<ChorusError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err, `expected ChorusError ${code}, got ${(err as Error | null | undefined)?.stack}`).to.be.instanceOf(
      ChorusError,
    );
    expect((err as ChorusError).code, (err as Error).message).to.equal(code);
    return err as ChorusError;
  }
  expect.fail(`expected a ChorusError ${code}, but it succeeded`);
}
