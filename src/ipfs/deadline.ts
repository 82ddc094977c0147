/**
 * Runs one store operation under the caller's AbortSignal and a deadline, and turns their firing into
 * IPFS_ABORTED / IPFS_TIMEOUT. The operation gets a signal that fires on either; if the backend does not
 * honour it, the caller is released anyway.
 */
import { isChorusError, messageOf } from "../core/index.js";
import { IPFS_ERRORS, ipfsError } from "../core/index.js";

export interface DeadlineOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export async function withDeadline<T>(
  what: string,
  opts: DeadlineOptions,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  // an object, not a `let`: the timer's callback sets it, which the compiler's narrowing does not see
  const deadline = { fired: false };
  const onAbort = () => controller.abort(opts.signal?.reason);
  if (opts.signal?.aborted) throw aborted(what, opts.signal.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    opts.timeoutMs !== undefined && Number.isFinite(opts.timeoutMs)
      ? setTimeout(
          () => {
            deadline.fired = true;
            controller.abort(new Error("deadline"));
          },
          Math.max(0, opts.timeoutMs),
        )
      : undefined;
  const stopped = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(new Error("stopped")), { once: true });
  });
  stopped.catch(() => undefined);
  try {
    return await Promise.race([fn(controller.signal), stopped]);
  } catch (err) {
    if (deadline.fired)
      throw ipfsError(
        IPFS_ERRORS.TIMEOUT,
        `${what} timed out after ${opts.timeoutMs} ms`,
        { timeoutMs: opts.timeoutMs },
        err,
      );
    if (opts.signal?.aborted) throw aborted(what, opts.signal.reason);
    if (isChorusError(err)) throw err;
    throw ipfsError(IPFS_ERRORS.BACKEND, `${what} failed: ${messageOf(err)}`, {}, err);
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

function aborted(what: string, reason: unknown) {
  return ipfsError(IPFS_ERRORS.ABORTED, `${what} was aborted`, {}, reason);
}
