/**
 * Helpers for moving a node's pre-database state files (settlement/pending|settled|failed, rounds.jsonl,
 * member/rounds.journal) into the state database on first start. An owner imports a legacy file or folder in one
 * transaction and then renames it with `markMigrated`, so a crash between the two only repeats an idempotent import.
 */
import { existsSync, readFileSync, renameSync } from "node:fs";

/** A legacy file's text, or undefined when it is not there. */
export function readLegacyText(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** Renames an imported legacy file or folder to `<p>.migrated` (or `.migrated.N`); returns the new path. */
export function markMigrated(p: string): string {
  let dest = `${p}.migrated`;
  for (let i = 1; existsSync(dest); i++) dest = `${p}.migrated.${i}`;
  renameSync(p, dest);
  return dest;
}
