/**
 * A node's state layer in its own process, for the corruption test (corruption.test.ts): opens the state database
 * of `dataDir` as a node does (openNodeState), commits `n` queued records, then `n` rounds, then `n` journal
 * entries, each in its own transaction, reports "done" over IPC and waits to be killed by its PID (SIGKILL: the
 * WAL is left as a crash leaves it, not checkpointed).
 *
 * argv[2]: JSON { dataDir, n }
 */
import { z } from "zod";
import { openNodeState } from "../../src/node/state.js";
import { coordinatorId, outcomeOf, recordOf, roundIdOf } from "../helpers/state-node.js";

const cfg = z
  .object({ dataDir: z.string().min(1), n: z.number().int().min(1).max(1000) })
  .parse(JSON.parse(process.argv[2]));
const state = openNodeState(cfg.dataDir);
for (let i = 0; i < cfg.n; i++) await state.queue.add(roundIdOf(`w-${i}`), recordOf(i), 1_000_000 + i);
for (let i = 0; i < cfg.n; i++) await state.index.add(outcomeOf(roundIdOf(`w-${i}`), i));
for (let i = 0; i < cfg.n; i++) await state.journal.markAnswered(coordinatorId(BigInt(i + 1)));
process.send!({ done: true });
setInterval(() => {}, 60_000);
