import { encodeFunctionData } from "viem";
import type { DeployContext } from "./lib.js";

/** The contracts whose default admin goes to the timelock here (each has AccessControlDefaultAdminRules). */
export const TIMELOCK_ADMINISTERED = ["ChorusToken", "CapabilityRegistry", "SourceRegistry", "Disputes"] as const;

/**
 * 07: hands the default admin of TIMELOCK_ADMINISTERED to the timelock (00), the two-step way: the deployer
 * begins each transfer; the timelock accepts once `adminDelay` has passed, through a scheduled operation that
 * waits `timelockDelay`. With both delays 0 (a devnet) this script completes the handover; otherwise the
 * transfers stay pending and a proposer schedules `acceptDefaultAdminTransfer` on each later (the log says so).
 */
export default async function handOverGovernance(ctx: DeployContext): Promise<void> {
  const timelock = ctx.deployments.contracts.ChorusTimelock;
  for (const name of TIMELOCK_ADMINISTERED) await ctx.send(name, "beginDefaultAdminTransfer", [timelock.address]);
  ctx.deployments.params.governance = timelock.address;
  if (ctx.params.adminDelay !== 0 || ctx.params.timelockDelay !== 0) {
    ctx.log(
      `default admin of ${TIMELOCK_ADMINISTERED.join(", ")} pending to the timelock ${timelock.address}: ` +
        `after ${ctx.params.adminDelay} s, schedule acceptDefaultAdminTransfer on each through it`,
    );
    return;
  }
  const targets = TIMELOCK_ADMINISTERED.map((n) => ctx.deployments.contracts[n].address);
  const payloads = TIMELOCK_ADMINISTERED.map((n) =>
    encodeFunctionData({ abi: ctx.deployments.contracts[n].abi, functionName: "acceptDefaultAdminTransfer" }),
  );
  const values = targets.map(() => 0n);
  const zero = `0x${"00".repeat(32)}`;
  await ctx.send("ChorusTimelock", "scheduleBatch", [targets, values, payloads, zero, zero, 0n]);
  await ctx.send("ChorusTimelock", "executeBatch", [targets, values, payloads, zero, zero]);
  ctx.log(`the timelock ${timelock.address} is default admin of ${TIMELOCK_ADMINISTERED.join(", ")}`);
}
