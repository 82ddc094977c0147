/**
 * `npm run bench:round` (second part): what an unsigned 7.6 MiB envelope costs a member, in CPU, through the
 * peer route's body reader (src/node/peer-route.ts `readPeerBody` with the member's `admit`), the code the
 * HTTP endpoint runs. The body arrives as a stream of 64 KiB chunks, as from a socket.
 *
 *   member_reject_bogus_us            median CPU µs to refuse it, worst of the three ways it can arrive:
 *     _declared_us                    with a Content-Length: refused before a byte is read
 *     _chunked_unstaked_us            chunked, from a node that is not staked: refused on the head
 *     _chunked_claims_staked_us       chunked, claiming a staked coordinator: read up to the 2 MiB limit
 *   member_parse_bogus_us             for scale: parsing and hashing the same body (what a member did before)
 */
import { Readable } from "node:stream";
import { keccak256, type Address, type Hex } from "viem";
import { makeRoundId } from "../src/core/index.js";
import { readPeerBody } from "../src/node/peer-route.js";
import { canonicalHash } from "../src/core/index.js";
import { Member } from "../src/round/member.js";
import type { NodeEntry } from "../src/round/ports.js";
import { countRules } from "../test/kit/count-rules.js";
import { MemoryArtifacts, directoryOf, fixedMind, makeSigners } from "../test/kit/memory-round.js";
import { TEST_DOMAIN } from "../test/kit/test-domain.js";

const RUNS = Number(process.env.BENCH_MEMBER_RUNS ?? 200);
const SIZE = 7_600_000;
const CHUNK = 64 * 1024;

const [me, staked, stranger] = makeSigners(3);
const entries: NodeEntry[] = [me, staked].map((s) => ({
  address: s.address,
  endpoint: "http://127.0.0.1:9",
  stake: 10n ** 20n,
  reputation: 500_000,
}));
// The refusals measured here happen before any draw: the directory's weights are never read.
const directory = directoryOf(entries);
// Round ids are coordinator << 96 | sequence (src/round/sequencer.ts); each bogus envelope names a fresh one.
let seq = 0n;
const nextRoundId = (coordinator: Address): Hex => makeRoundId(coordinator, ++seq);
const member = new Member({
  domain: TEST_DOMAIN,
  signer: me,
  directory,
  artifacts: new MemoryArtifacts(),
  mind: fixedMind("a", () => "tie"),
  rules: countRules,
  records: { digest: () => keccak256("0x01") },
});

function bogus(from: Address): Buffer {
  const head = JSON.stringify({ kind: "answer-request", roundId: nextRoundId(from), from, body: { pad: "" } }).slice(
    0,
    -3,
  );
  const tail = `"}, "signature": "0x${"22".repeat(65)}"}`;
  return Buffer.from(head + "z".repeat(SIZE - head.length - tail.length) + tail);
}

function chunksOf(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += CHUNK) out.push(buf.subarray(i, i + CHUNK));
  return out;
}

async function cpuMedian(
  label: string,
  make: () => { stream: Readable; headers: Record<string, string> },
): Promise<number> {
  const samples: number[] = [];
  await member.admit({ kind: "answer-request", roundId: nextRoundId(staked.address), from: staked.address }); // warm the active-set cache
  for (let i = 0; i < RUNS; i++) {
    const { stream, headers } = make();
    const t0 = process.cpuUsage();
    const refused = await readPeerBody(stream, headers, (h) => member.admit(h)).then(
      () => false,
      () => true,
    );
    const d = process.cpuUsage(t0);
    if (!refused) throw new Error(`${label}: the bogus envelope was accepted`);
    stream.destroy();
    samples.push(d.user + d.system);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const fromStranger = chunksOf(bogus(stranger.address));
const fromStaked = chunksOf(bogus(staked.address));
const declared = await cpuMedian("declared", () => ({
  stream: Readable.from(fromStranger, { objectMode: false }),
  headers: { "content-length": String(SIZE) },
}));
const unstaked = await cpuMedian("chunked unstaked", () => ({
  stream: Readable.from(fromStranger, { objectMode: false }),
  headers: {},
}));
const claims = await cpuMedian("chunked claims staked", () => ({
  stream: Readable.from(fromStaked, { objectMode: false }),
  headers: {},
}));

const text = bogus(stranger.address).toString("utf8");
const parse: number[] = [];
for (let i = 0; i < Math.min(RUNS, 10); i++) {
  const t0 = process.cpuUsage();
  canonicalHash((JSON.parse(text) as { body: unknown }).body);
  const d = process.cpuUsage(t0);
  parse.push(d.user + d.system);
}
parse.sort((a, b) => a - b);

console.log(`BENCH member_reject_bogus_us ${Math.max(declared, unstaked, claims)} µs`);
console.log(`BENCH member_reject_bogus_declared_us ${declared} µs`);
console.log(`BENCH member_reject_bogus_chunked_unstaked_us ${unstaked} µs`);
console.log(`BENCH member_reject_bogus_chunked_claims_staked_us ${claims} µs`);
console.log(`BENCH member_parse_bogus_us ${parse[Math.floor(parse.length / 2)]} µs`);
