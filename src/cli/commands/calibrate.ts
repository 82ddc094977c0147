/**
 * `chorus calibrate`: the node takes the open calibration suite with its own model. It fetches the items
 * (checked against the CID on chain), judges them with a progress line, posts the attempt bond if needed,
 * commits, waits for the curator's key, reveals, and prints the grade and the pass's expiry. Resumable: run it
 * again after a stop and it continues from the saved commitment.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { gatewayJson } from "../../audit/index.js";
import {
  commitAttempt,
  iso,
  judgeSuite,
  loadSuiteDocument,
  readAttemptState,
  revealWhenKeyIsOut,
  stateFilePath,
} from "../../capability/index.js";
import { chainTime, getSuite, openSuite, requireWallet } from "../../chain/index.js";
import { ChorusError } from "../../core/index.js";
import { createInferenceBackend, mindFromBackend } from "../../inference/index.js";
import { chooseModel } from "../../node/model-choice.js";
import type { CliContext } from "../context.js";
import { parseFlags, wholeFlag } from "../parse.js";

const Flags = z
  .object({
    suite: wholeFlag(1, Number.MAX_SAFE_INTEGER).optional(),
    items: z.string().min(1).optional(),
    pollMs: wholeFlag(50, 600_000).default(5000),
    json: z.boolean().optional(),
  })
  .strict();

export async function calibrateCommand(ctx: CliContext, raw: Record<string, unknown>): Promise<void> {
  const f = parseFlags(Flags, raw);
  const chain = await ctx.openChain();
  const me = requireWallet(chain).account.address;
  const say = (l: string) => ctx.io.err(`chorus: ${l}`);
  const now = await chainTime(chain);
  const suite = f.suite !== undefined ? await getSuite(chain, f.suite) : await openSuite(chain, now);
  if (!suite) {
    throw new ChorusError(
      "NOT_FOUND",
      `no calibration suite is open for commits on chain ${chain.chainId} (\`chorus suite list\` shows them all; a curator publishes one with \`chorus suite publish\`)`,
    );
  }
  const dataDir = path.resolve(ctx.config.dataDir);
  const stateFile = stateFilePath(dataDir, chain.chainId, suite.id, me);
  let state = await readAttemptState(stateFile);
  if (state?.committed) say(`resuming: committed to suite ${suite.id} before (${stateFile})`);
  else {
    const sources: Parameters<typeof loadSuiteDocument>[1] = [];
    if (f.items) {
      let doc: unknown;
      try {
        doc = JSON.parse(await readFile(f.items, "utf8"));
      } catch (err) {
        throw new ChorusError("INPUT_INVALID", `--items: cannot read JSON from ${f.items} (${(err as Error).message})`);
      }
      sources.push({ name: f.items, doc });
    }
    const maxBytes = ctx.config.ipfs.maxArtifactBytes;
    for (const url of [ctx.config.gateway.url, ...ctx.config.gateway.ipfsGateways]) {
      const gateway = gatewayJson(url, { maxBytes });
      sources.push({ name: url, getJson: (cid) => gateway.getJson(cid) });
    }
    const { doc, from } = await loadSuiteDocument(suite, sources);
    say(
      `suite ${suite.id}: ${doc.items.length} items from ${from}; bar ${suite.passThreshold}; commits until ${iso(suite.commitEnd)}`,
    );
    const choice = await chooseModel(ctx.config.inference, { log: say });
    const backend = createInferenceBackend(choice, {
      threads: ctx.config.inference.threads,
      contextSize: ctx.config.inference.contextSize,
    });
    let choices: bigint;
    try {
      say(`judging with ${backend.name}…`);
      let shown = -1;
      choices = await judgeSuite(mindFromBackend(backend), doc, {
        onProgress: (done, total) => {
          const pct = Math.floor((done * 100) / total);
          if (pct >= shown + 10 || done === total) {
            shown = pct - (pct % 10);
            say(`judged ${done}/${total} [${"#".repeat(Math.floor(pct / 5)).padEnd(20, ".")}] ${pct}%`);
          }
        },
      });
    } finally {
      await backend.close();
    }
    const r = await commitAttempt(chain, { suite, choices, stateFile });
    state = r.state;
    say(`committed (tx ${r.txs.at(-1)}); choices and salt saved in ${stateFile}`);
  }
  const grade = await revealWhenKeyIsOut(chain, {
    suiteId: suite.id,
    state,
    pollMs: f.pollMs,
    onWait: (s) =>
      say(`waiting for the curator's key (commits close ${iso(s.commitEnd)}, key due by ${iso(s.keyRevealEnd)})…`),
  });
  if (f.json) {
    ctx.json(grade);
    return;
  }
  ctx.io.out(
    `suite ${grade.suiteId}: ${grade.score}/${grade.itemCount} (bar ${grade.passThreshold}): ${grade.passed ? "PASSED" : "FAILED"} (tx ${grade.hash})`,
  );
  const pass = grade.pass;
  ctx.io.out(
    pass.capable
      ? `pass valid until ${iso(pass.validUntil)} (suite ${pass.suiteId}, score ${pass.score}): this node is drawn into committees from the next weight period on`
      : `no valid pass: this node is not drawn into committees; take the next suite with \`chorus calibrate\``,
  );
}

/** The line telling a node without a pass what gets one. */
export const HOW_TO_PASS =
  "run `chorus calibrate` (takes the open calibration suite with this node's model; `chorus suite list` shows the suites)";
