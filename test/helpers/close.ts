/**
 * Closes, in order, what a `before` hook started. A `before` that threw leaves its `let` unassigned although the
 * variable's type says otherwise; closing through this keeps the `after` hook from failing on `undefined` and hiding
 * the error that matters.
 */
export async function closeStarted(...started: ({ close(): Promise<unknown> } | undefined)[]): Promise<void> {
  for (const s of started) await s?.close();
}
