/** The tiny real GGUF model the tests run (see ../shared/models/README.md), overridable by CHORUS_TEST_MODEL. */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const TEST_MODEL = process.env.CHORUS_TEST_MODEL ?? path.resolve(root, "../shared/models/stories260K.gguf");

/** Throws a clear message when the test model is missing (rather than skipping the real-inference tests). */
export function requireTestModel(): string {
  if (!existsSync(TEST_MODEL)) {
    throw new Error(`test model not found at ${TEST_MODEL}: put stories260K.gguf there or set CHORUS_TEST_MODEL`);
  }
  return TEST_MODEL;
}

export const REPO_ROOT = root;
