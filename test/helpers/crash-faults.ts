/**
 * Crash faults on the chain swarm (test/helpers/chain-swarm.ts), triggered at a chosen phase of a round. The
 * node is really stopped (`swarm.kill`: HTTP server closed, in-flight requests cut, their work aborted through
 * the request's AbortSignal), never mocked; these helpers only decide *when*.
 *
 *   dieOnRequest(swarm, i, "reveal-request")   member i dies when the reveal request reaches it (after it committed)
 *   crashableMind(base, i, crashes)            member i dies while its model is judging (crashes.inCompare.add(i))
 *   coordinatorTripwire()                      coordinator i dies when it is about to send a request of some kind
 */
import type { Mind, PeerClient } from "../../src/round/ports.js";
import type { startChainSwarm } from "./chain-swarm.js";

export type ChainSwarm = Awaited<ReturnType<typeof startChainSwarm>>;

/** Resolves never; rejects with the signal's reason once it aborts. */
export function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (!signal) return;
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** Node i is killed when a request of `kind` reaches its member; the request is never answered. */
export function dieOnRequest(swarm: ChainSwarm, i: number, kind: string): void {
  const member = swarm.nodes[i].member;
  const original = member.handle.bind(member);
  // eslint-disable-next-line @typescript-eslint/no-useless-default-assignment -- as in Member.handle, a caller may leave opts out
  member.handle = async (raw, opts = {}) => {
    if ((raw as { kind?: string } | null)?.kind === kind) {
      void swarm.kill(i);
      return untilAborted(opts.signal);
    }
    return original(raw, opts);
  };
}

export interface CrashPlan {
  /** Nodes that die while their model compares a pair (the next time it does). */
  inCompare: Set<number>;
  /** Comparisons whose work was aborted by a node's death, per node. */
  abortedCompares: Map<number, number>;
  /** Kills node i (set once the swarm exists). */
  kill?: (i: number) => Promise<void>;
}

export function crashPlan(): CrashPlan {
  return { inCompare: new Set(), abortedCompares: new Map() };
}

/** `base`, except that node i dies in the middle of a comparison when the plan says so. */
export function crashableMind(base: Mind, i: number, plan: CrashPlan): Mind {
  return {
    ...base,
    async compare(input, opts) {
      if (plan.inCompare.delete(i)) {
        void plan.kill!(i);
        try {
          return await untilAborted(opts.signal);
        } catch (err) {
          plan.abortedCompares.set(i, (plan.abortedCompares.get(i) ?? 0) + 1);
          throw err;
        }
      }
      return base.compare(input, opts);
    },
  };
}

/**
 * Wraps coordinators' peer clients: `arm(i, kind, kill)` makes coordinator i die (kill(i)) when it is about to
 * send its first request of `kind`; every send of that kind then waits for the round's abort, which the
 * node's death causes (the gateway request is cut), so nothing of the phase leaves the dead node.
 */
export function coordinatorTripwire() {
  const armed = new Map<number, { kind: string; fired: boolean; kill: () => void }>();
  return {
    arm(i: number, kind: string, kill: () => void) {
      armed.set(i, { kind, fired: false, kill });
    },
    disarm(i: number) {
      armed.delete(i);
    },
    fired: (i: number) => armed.get(i)?.fired ?? false,
    wrap(i: number, peers: PeerClient): PeerClient {
      return {
        async post(endpoint, path, envelope, opts) {
          const trip = armed.get(i);
          if (trip && (envelope as { kind?: string }).kind === trip.kind) {
            if (!trip.fired) {
              trip.fired = true;
              trip.kill();
            }
            return untilAborted(opts.signal);
          }
          return peers.post(endpoint, path, envelope, opts);
        },
      };
    },
  };
}
