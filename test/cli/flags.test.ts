/**
 * Bad arguments and flags of the commands validated with zod at the CLI boundary: each gives exit code 1 and
 * one `chorus:` line naming the argument or flag, what is expected and what was given, before anything is
 * contacted. The chain and gateway named here are unreachable, so a command that skipped its validation would
 * fail differently (unreachable), not with the line asserted.
 */
import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { main } from "../../src/cli/main.js";

const UNREACHABLE = ["--network", "custom", "--rpc-url", "http://127.0.0.1:9", "--gateway", "http://127.0.0.1:9"];
const KEY = `0x${"11".repeat(32)}`;
const ROUND = `0x${"ab".repeat(32)}`;

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ["node", "chorus", ...UNREACHABLE, ...args],
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    {},
  );
  return { code, out, err };
}

describe("chorus CLI: bad arguments and flags (zod at the boundary)", function () {
  this.timeout(120_000);
  let dir: string;
  let dataset: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "chorus-flags-"));
    dataset = path.join(dir, "set.jsonl");
    await writeFile(dataset, '{"question":"q?","choices":["a","b"],"answer":"A"}\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cases: [string[], string][] = [
    [
      ["--key", KEY, "stake", "abc", "--endpoint", "http://127.0.0.1:7001"],
      "chorus: amount must be a number of CHR (e.g. 250 or 12.5), got 'abc'",
    ],
    [
      ["--key", KEY, "stake", "0", "--endpoint", "http://127.0.0.1:7001"],
      "chorus: amount must be greater than 0, got '0'",
    ],
    [["--key", KEY, "stake", "1", "--endpoint", "ftp://x"], "chorus: --endpoint must be an http(s) URL, got 'ftp://x'"],
    [
      ["--key", KEY, "stake", "1", "--endpoint", "not a url"],
      "chorus: --endpoint must be a URL (e.g. http://127.0.0.1:7001), got 'not a url'",
    ],
    [
      ["--key", KEY, "stake", "1", "--endpoint", "http://127.0.0.1:7001", "--metadata", "0x12"],
      "chorus: --metadata must be 0x + 64 hex digits, got '0x12'",
    ],
    [["--key", KEY, "unstake", "1.2.3"], "chorus: amount must be a number of CHR (e.g. 250 or 12.5), got '1.2.3'"],
    [
      ["--key", KEY, "unstake", "0.0000000000000000001"],
      "chorus: amount must be a number of CHR (e.g. 250 or 12.5), got '0.0000000000000000001'",
    ],
    [["ask", "hi", "--max-tokens", "0"], "chorus: --max-tokens must be from 1 to 4096, got '0'"],
    [["ask", "hi", "--max-tokens", "lots"], "chorus: --max-tokens must be a whole number, got 'lots'"],
    [["ask", "  "], "chorus: question is empty, got '  '"],
    [["node", "start", "--port", "70000"], "chorus: --port must be 0..65535, got '70000'"],
    [["node", "start", "--port", "-1"], "chorus: --port must be 0..65535, got '-1'"],
    [
      ["node", "start", "--log-level", "loud"],
      "chorus: --log-level must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'",
    ],
    [["node", "start", "--host", "bad host"], "chorus: --host must be an IP address or a host name, got 'bad host'"],
    [["source", "start", "--port", "http"], "chorus: --port must be 0..65535, got 'http'"],
    [["source", "start", "--endpoint", "ftp://x"], "chorus: --endpoint must be an http(s) URL, got 'ftp://x'"],
    [["node", "info", "0xnope"], "chorus: address must be an address (0x + 40 hex digits), got '0xnope'"],
    [["source", "info", "0x12"], "chorus: address must be an address (0x + 40 hex digits), got '0x12'"],
    [["transfer", "0xnope", "1"], "chorus: address must be an address (0x + 40 hex digits), got '0xnope'"],
    [["epoch", "status", "0"], `chorus: epoch must be from 1 to ${Number.MAX_SAFE_INTEGER}, got '0'`],
    [["epoch", "finalize", "x"], "chorus: epoch must be a whole number, got 'x'"],
    [["audit", "round", "0x12"], "chorus: round id must be 0x + 64 hex digits, got '0x12'"],
    [["audit", "epoch", "-"], "chorus: epoch must be a whole number, got '-'"],
    [["audit", "gold", "0"], "chorus: gold set id must be a whole number >= 1, got '0'"],
    [["round", "show", "xyz"], "chorus: round id must be 0x + 64 hex digits, got 'xyz'"],
  ];
  for (const [args, line] of cases) {
    it(`${args.filter((a) => a !== KEY && a !== "--key").join(" ")}: exit 1, one line`, async () => {
      const r = await run(args);
      expect(r.err).to.deep.equal([line]);
      expect(r.code).to.equal(1);
      expect(r.out).to.deep.equal([]);
    });
  }

  it("eval: --limit, --resamples and --max-tokens are checked before the data set is read", async () => {
    for (const [flag, value, line] of [
      ["--limit", "0", "chorus: --limit must be from 1 to 1000000, got '0'"],
      ["--resamples", "5", "chorus: --resamples must be from 100 to 100000, got '5'"],
      ["--max-tokens", "9999", "chorus: --max-tokens must be from 1 to 4096, got '9999'"],
    ]) {
      const r = await run(["eval", "--dataset", path.join(dir, "missing.jsonl"), flag, value]);
      expect(r.err).to.deep.equal([line]);
      expect(r.code).to.equal(1);
    }
  });

  it("valid flags pass validation and fail only where the unreachable chain or gateway is contacted", async () => {
    for (const args of [
      ["--key", KEY, "stake", "12.5", "--endpoint", "http://127.0.0.1:7001", "--metadata", ROUND],
      ["epoch", "status", "3"],
      ["ask", "hi", "--max-tokens", "64"],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(" ")).to.equal(1);
      expect(r.err, args.join(" ")).to.have.length(1);
      expect(r.err[0]).to.match(/unreachable/);
    }
  });
});
