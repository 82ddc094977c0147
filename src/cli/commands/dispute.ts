/**
 * `chorus dispute open|status|uphold|reject|reclaim` and `chorus prove-equivocation`: contest a settled round
 * from the command line. The settled record, its epoch's digests and its signatures come from the chain alone
 * (the settlement transaction), so any client with an RPC can dispute; the arbitrator's uphold re-derives the
 * same record.
 */
import { readFile } from "node:fs/promises";
import { formatEther, getAddress, isAddressEqual, type Hex } from "viem";
import { z } from "zod";
import { settledRecordOf } from "../../audit/index.js";
import { iso } from "../../capability/index.js";
import {
  disputesOfRound,
  getDispute,
  newSalt,
  openDispute,
  proveEquivocation,
  reclaimDispute,
  rejectDispute,
  upholdDispute,
  requireWallet,
  type DisputeView,
} from "../../chain/index.js";
import {
  ChorusError,
  recordDigest,
  recoverDigestSigner,
  settlementDomain,
  type RoundRecord,
} from "../../core/index.js";
import { cidToBytes32 } from "../../ipfs/index.js";
import type { CliContext } from "../context.js";
import { parseArg, parseFlags, wholeFlag } from "../parse.js";

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x + 64 hex digits");
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be an address (0x + 40 hex digits)")
  .transform((a) => getAddress(a));
const Json = z.object({ json: z.boolean().optional() }).strict();
const disputeId = (raw: string) => parseArg(wholeFlag(1, Number.MAX_SAFE_INTEGER), raw, "dispute id");
const roundId = (raw: string) => parseArg(hex32, raw, "round id") as Hex;

const OpenFlags = z
  .object({
    signers: z
      .string()
      .transform((s) => s.split(",").map((x) => x.trim()))
      .pipe(z.array(address).min(1))
      .optional(),
    evidence: z.string().min(1).optional(),
    json: z.boolean().optional(),
  })
  .strict();

/** The command that contests `roundId` (printed by `chorus audit` next to a mismatch). */
export function disputeCommandFor(roundId: string, evidenceCid?: string): string {
  return `chorus dispute open ${roundId}${evidenceCid ? ` --evidence ${evidenceCid}` : ""}`;
}

function evidenceBytes32(raw: string): Hex {
  if (/^0x[0-9a-fA-F]{64}$/.test(raw)) return raw as Hex;
  try {
    return cidToBytes32(raw);
  } catch (err) {
    throw new ChorusError(
      "INPUT_INVALID",
      `--evidence: '${raw}' is neither a CID with a sha2-256 digest nor 0x + 64 hex digits (${(err as Error).message})`,
    );
  }
}

export async function disputeOpenCommand(
  ctx: CliContext,
  rawRound: string,
  raw: Record<string, unknown>,
): Promise<void> {
  const id = roundId(rawRound);
  const f = parseFlags(OpenFlags, raw);
  const chain = await ctx.openChain();
  const s = await settledRecordOf(chain, id);
  let signers = s.signers;
  let signatures = s.signatures;
  const wanted = f.signers;
  if (wanted) {
    const missing = wanted.filter((a) => !s.signers.some((x) => isAddressEqual(x, a)));
    if (missing.length)
      throw new ChorusError(
        "INPUT_INVALID",
        `--signers: ${missing.join(", ")} did not sign the settled record of ${id} (its signers: ${s.signers.join(", ")})`,
      );
    const pick = s.signers
      .map((a, i) => ({ a, sig: s.signatures[i] }))
      .filter((x) => wanted.some((y) => isAddressEqual(x.a, y)));
    signers = pick.map((x) => x.a);
    signatures = pick.map((x) => x.sig);
  }
  const evidence = f.evidence ? evidenceBytes32(f.evidence) : s.record.transcriptCid;
  const r = await openDispute(chain, {
    epoch: s.epoch,
    epochDigests: s.epochDigests,
    index: s.index,
    record: s.record,
    signatures,
    evidenceCid: evidence,
  });
  const d = await getDispute(chain, r.id);
  if (f.json) {
    ctx.json({ ...d, txHash: r.hash });
    return;
  }
  ctx.io.out(`dispute ${d.id} opened against round ${id} (epoch ${d.epoch}; tx ${r.hash})`);
  ctx.io.out(
    `  deposit ${formatEther(d.deposit)} CHR; locked ${signers.map((a, i) => `${a} ${formatEther(d.locked[i] ?? 0n)} CHR`).join(", ")}`,
  );
  ctx.io.out(
    `  the arbitrator decides by ${iso(d.deadline)} (\`chorus dispute uphold|reject ${d.id}\`); unresolved, \`chorus dispute reclaim ${d.id}\` returns the deposit`,
  );
}

function describe(d: DisputeView): string[] {
  return [
    `dispute ${d.id}: ${d.status}; round ${d.roundId} (epoch ${d.epoch})`,
    `  disputer  ${d.disputer}; deposit ${formatEther(d.deposit)} CHR; deadline ${iso(d.deadline)}`,
    `  evidence  ${d.evidenceCid}`,
    ...d.signers.map((a, i) => `  signer    ${a} (${formatEther(d.locked[i] ?? 0n)} CHR locked)`),
  ];
}

export async function disputeStatusCommand(
  ctx: CliContext,
  target: string,
  raw: Record<string, unknown>,
): Promise<void> {
  const f = parseFlags(Json, raw);
  const chain = await ctx.openChain();
  const list = /^0x/.test(target)
    ? await disputesOfRound(chain, roundId(target))
    : [await getDispute(chain, disputeId(target))];
  if (f.json) {
    ctx.json(list.length === 1 && !/^0x/.test(target) ? list[0] : list);
    return;
  }
  if (list.length === 0) {
    ctx.io.out(`no dispute of round ${target}`);
    return;
  }
  for (const d of list) describe(d).forEach((l) => ctx.io.out(l));
}

export async function disputeResolveCommand(
  ctx: CliContext,
  action: "uphold" | "reject" | "reclaim",
  rawId: string,
  raw: Record<string, unknown>,
): Promise<void> {
  const id = disputeId(rawId);
  const f = parseFlags(Json, raw);
  const chain = await ctx.openChain();
  const d = await getDispute(chain, id);
  if (d.status !== "open") throw new ChorusError("INPUT_INVALID", `dispute ${id} is ${d.status}, not open`);
  let hash: Hex;
  if (action === "uphold") hash = await upholdDispute(chain, id, (await settledRecordOf(chain, d.roundId)).record);
  else if (action === "reject") hash = await rejectDispute(chain, id);
  else hash = await reclaimDispute(chain, id);
  const after = await getDispute(chain, id);
  if (f.json) {
    ctx.json({ ...after, txHash: hash });
    return;
  }
  const what = {
    uphold: "upheld: the round's deltas are voided and its signers lose their locked stake",
    reject: "rejected: the deposit went to the treasury",
    reclaim: "reclaimed: the deposit went back to the disputer",
  }[action];
  ctx.io.out(`dispute ${id} ${what} (tx ${hash})`);
}

const RecordSchema = z
  .object({
    roundId: hex32,
    seed: hex32,
    period: z.number().int().min(0),
    queryCid: hex32,
    transcriptCid: hex32,
    winner: address,
    participants: z.array(address).min(1).max(255),
    deltas: z.array(z.number().int()).max(255),
    sources: z
      .array(
        z
          .object({ source: address, reliability: z.number().int(), usefulness: z.number().int(), servedCid: hex32 })
          .strict(),
      )
      .max(255),
  })
  .strict();
const ConflictFile = z
  .object({
    record: RecordSchema,
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte signature (0x + 130 hex digits)"),
  })
  .strict();

export async function proveEquivocationCommand(
  ctx: CliContext,
  rawRound: string,
  raw: Record<string, unknown>,
): Promise<void> {
  const id = roundId(rawRound);
  const f = parseFlags(
    z
      .object({ record: z.string().min(1, "give the conflicting signed record file"), json: z.boolean().optional() })
      .strict(),
    raw,
  );
  let parsed: z.infer<typeof ConflictFile>;
  try {
    const r = ConflictFile.safeParse(JSON.parse(await readFile(f.record, "utf8")));
    if (!r.success)
      throw new ChorusError("INPUT_INVALID", `${r.error.issues[0].path.join(".")}: ${r.error.issues[0].message}`);
    parsed = r.data;
  } catch (err) {
    throw new ChorusError(
      "INPUT_INVALID",
      `--record ${f.record}: ${(err as Error).message} (expected {"record": {roundId, seed, period, queryCid, transcriptCid, winner, participants, deltas, sources}, "signature": "0x..."})`,
    );
  }
  const chain = await ctx.openChain();
  const s = await settledRecordOf(chain, id);
  const other = parsed.record as RoundRecord;
  const domain = settlementDomain(chain.chainId, chain.deployments.contracts.Settlement.address);
  const digestB = recordDigest(domain, other);
  const signer = recoverDigestSigner(digestB, parsed.signature as Hex);
  const at = signer ? s.signers.findIndex((a) => isAddressEqual(a, signer)) : -1;
  if (!signer || at < 0) {
    throw new ChorusError(
      "INPUT_INVALID",
      `the conflicting record's signature is by ${signer ?? "nobody"}, who did not sign the settled record of ${id} (its signers: ${s.signers.join(", ")})`,
    );
  }
  const r = await proveEquivocation(chain, {
    settled: { epoch: s.epoch, epochDigests: s.epochDigests, index: s.index, record: s.record },
    signatureA: s.signatures[at],
    digestA: s.digest,
    other,
    signatureB: parsed.signature as Hex,
    digestB,
    salt: newSalt(),
  });
  if (f.json) {
    ctx.json({ ...r, prover: requireWallet(chain).account.address });
    return;
  }
  ctx.io.out(
    `equivocation proven: ${r.signer} lost ${formatEther(r.amount)} CHR; reward ${formatEther(r.reward)} CHR (tx ${r.hash})`,
  );
}
