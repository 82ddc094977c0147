/**
 * Gas of opening a dispute (issue 13): one settled round of 4 drawn members, a dispute naming 3 signers, each of
 * whose slashable share is snapshotted and locked in the NodeRegistry. Whole transaction, 21,000 base included.
 */
import { parseEther } from "viem";
import { recordArgs, recordDigest } from "../../src/core/index.js";
import { actor, cid, deploySwarm, drawnRecord, openBatch, settle, signAll } from "../../test/kit/chorus-fixture.js";

export default async function benchDisputes(): Promise<string[]> {
  const s = await deploySwarm({ nodes: 4 });
  const batch = await openBatch(s, s.nodes[0], 1);
  const record = await drawnRecord(s, batch);
  const signed = await signAll(s.domain, record, s.nodes);
  await settle(s, s.nodes[0].wallet, [signed]);
  const disputer = await actor(0, "disputer");
  await s.token.write.transfer([disputer.address, parseEther("1000")]);
  const d = await s.as(disputer.wallet);
  await d.token.write.approve([s.disputes.address, parseEther("1000")]);
  const sigs = s.nodes.slice(0, 3).map((n) => signed.signatures[n.address]);
  const hash = await d.disputes.write.openDispute([
    1n,
    [recordDigest(s.domain, record)],
    0n,
    recordArgs(record),
    sigs,
    cid("evidence"),
  ]);
  const receipt = await s.publicClient.getTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error("bench openDispute reverted");
  return [`BENCH gas_open_dispute ${receipt.gasUsed} gas`];
}
