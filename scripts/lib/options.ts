/** Command-line options of the bench scripts. */

/** The whole number >= 1 after `--name` on the command line, or `fallback` when the flag is absent. */
export function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`--${name} must be a whole number >= 1, got '${process.argv[i + 1]}'`);
  return v;
}
