import { expect } from "chai";
import fc from "fast-check";
import {
  encodeAbiParameters,
  encodePacked,
  getAddress,
  hexToBytes,
  keccak256 as viemKeccak,
  numberToHex,
  type Address,
  type Hex,
} from "viem";
import {
  REP_REF,
  SHARE_ONE,
  drawCommittee,
  roundSeed,
  seatsOf,
  shareOf,
  type Candidate,
} from "../../src/protocol/index.js";
import { ChorusError } from "../../src/core/index.js";
import {
  CAPTURED,
  FORCED,
  BPS,
  INITIAL_CREDIT,
  VOID_COST,
  VOID_PENALTY,
  VOID_SLASH_BPS,
  benchAddresses,
  binomialTail,
  exactRound,
  profileOf,
  runAccount,
  sharesAt,
  uniformsOf,
} from "../../scripts/lib/committee-sim.js";

const TOKEN = 10n ** 18n;
/** Fixed seeds (keccak of a counter): every statistical bound below is checked on the same draws each run. */
const seeds = (n: number, label: string): Hex[] =>
  Array.from({ length: n }, (_, i) =>
    viemKeccak(encodeAbiParameters([{ type: "string" }, { type: "uint256" }], [label, BigInt(i)])),
  );
const addr = (i: number): Address => getAddress(`0x${viemKeccak(numberToHex(i, { size: 32 })).slice(26)}`);

/** Mean seats of each listed node over `ss`, drawn with the production rule. */
function meanSeats(ss: Hex[], cands: Candidate[], tau: number, total: bigint, who: Address[]): number[] {
  const sums = who.map(() => 0n);
  for (const s of ss) {
    const c = drawCommittee(s, cands, tau, total);
    who.forEach((a, i) => (sums[i] += c.seats.get(a.toLowerCase()) ?? 0n));
  }
  return sums.map((x) => Number(x) / ss.length);
}

describe("sortition committee (src/protocol/committee.ts)", () => {
  const N = 20;
  const stakes = Array.from({ length: N }, (_, i) => BigInt(100 + 37 * i) * TOKEN);
  const total = stakes.reduce((a, b) => a + b, 0n);
  const cands: Candidate[] = stakes.map((stake, i) => ({ address: addr(i), stake, reputation: 250_000 }));
  const TAU = 7;
  const ROUNDS = 2_000;
  // a node's seats are floor(e) or floor(e) + 1: variance <= 1/4, so the mean over ROUNDS draws has sd <= 0.5/sqrt(ROUNDS)
  const sd = 0.5 / Math.sqrt(ROUNDS);

  it("gives each node tau * stake / total seats in expectation, and tau seats to the committee", () => {
    const ss = seeds(ROUNDS, "expected seats");
    const means = meanSeats(
      ss,
      cands,
      TAU,
      total,
      cands.map((c) => c.address),
    );
    means.forEach((m, i) => {
      const e = (TAU * Number(stakes[i])) / Number(total);
      expect(Math.abs(m - e), `node ${i}: mean ${m}, expected ${e}`).to.be.below(5 * sd);
    });
    const committeeMean = means.reduce((a, b) => a + b, 0);
    expect(Math.abs(committeeMean - TAU)).to.be.below(5 * sd * Math.sqrt(N));
  });

  it("holds a node's seats within one of its expectation in every draw", () => {
    const big: Candidate[] = [{ address: addr(100), stake: 5n * total, reputation: 250_000 }, ...cands];
    const bigTotal = 6n * total;
    const e = (TAU * 5) / 6; // 5.83 seats
    for (const s of seeds(300, "within one")) {
      const seats = Number(drawCommittee(s, big, TAU, bigTotal).seats.get(addr(100).toLowerCase()) ?? 0n);
      expect(seats).to.be.oneOf([Math.floor(e), Math.floor(e) + 1]);
    }
  });

  it("gains nothing in expected seats by splitting a node's stake over k identities (Sybil neutrality)", () => {
    // a whole node with 2/3 of the stake (4.67 expected seats), against the same stake over 4 identities (1.17 each)
    const k = 4;
    const whole = 2n * total;
    const all = 3n * total;
    const wholeCands: Candidate[] = [...cands, { address: addr(999), stake: whole, reputation: 250_000 }];
    const split: Candidate[] = [
      ...cands,
      ...Array.from({ length: k }, (_, j) => ({
        address: addr(1000 + j),
        stake: whole / BigInt(k),
        reputation: 250_000,
      })),
    ];
    const ss = seeds(ROUNDS, "sybil");
    const [wholeMean] = meanSeats(ss, wholeCands, TAU, all, [addr(999)]);
    const parts = meanSeats(
      ss,
      split,
      TAU,
      all,
      Array.from({ length: k }, (_, j) => addr(1000 + j)),
    );
    const splitMean = parts.reduce((a, b) => a + b, 0);
    const e = (TAU * 2) / 3;
    // sum of k independent seat counts: sd <= sqrt(k) * 0.5 / sqrt(ROUNDS)
    expect(Math.abs(splitMean - e), `split ${splitMean} vs expected ${e}`).to.be.below(5 * sd * Math.sqrt(k));
    expect(Math.abs(wholeMean - e), `whole ${wholeMean} vs expected ${e}`).to.be.below(5 * sd);
  });

  it("thins seats by reputation below REP_REF, and not above it", () => {
    const s = stakes[5];
    const full = shareOf(TAU, s, total, Number(REP_REF));
    expect(shareOf(TAU, s, total, 1_000_000)).to.equal(full);
    expect(shareOf(TAU, s, total, 125_000)).to.equal((BigInt(TAU) * s * 125_000n * SHARE_ONE) / (total * REP_REF));
    expect(Number(shareOf(TAU, s, total, 125_000)) / Number(full)).to.be.closeTo(0.5, 1e-12);
    expect(shareOf(TAU, s, total, 0)).to.equal(0n);
    expect(shareOf(TAU, 0n, total, 250_000)).to.equal(0n);

    const thinned = cands.map((c, i) =>
      i === 5 ? { ...c, reputation: 62_500 } : i === 6 ? { ...c, reputation: 0 } : c,
    );
    const ss = seeds(ROUNDS, "thinned");
    const [m5, m6] = meanSeats(ss, thinned, TAU, total, [addr(5), addr(6)]);
    const e5 = (TAU * Number(stakes[5])) / Number(total) / 4;
    expect(Math.abs(m5 - e5), `rep 62,500: mean ${m5}, expected ${e5}`).to.be.below(5 * sd);
    expect(m6).to.equal(0);
  });

  it("is deterministic, independent of candidate order, and lists members sorted by address", () => {
    const [s1, s2] = seeds(2, "determinism");
    const a = drawCommittee(s1, cands, TAU, total);
    const b = drawCommittee(s1, [...cands].reverse(), TAU, total);
    expect(b.members).to.deep.equal(a.members);
    expect([...b.seats]).to.deep.equal([...a.seats]);
    expect(a.members.map((m) => BigInt(m))).to.deep.equal(
      a.members.map((m) => BigInt(m)).sort((x, y) => (x < y ? -1 : 1)),
    );
    expect(a.totalSeats).to.equal([...a.seats.values()].reduce((x, y) => x + y, 0n));
    // another seed draws another committee (these two fixed seeds differ)
    const c = drawCommittee(s2, cands, TAU, total);
    expect(c.members).to.not.deep.equal(a.members);
  });

  it("refuses a duplicate candidate, also when only the address case differs, and a tau out of range", () => {
    const [s] = seeds(1, "duplicate");
    const dup = [...cands, { ...cands[3], address: cands[3].address.toLowerCase() as Address }];
    expect(() => drawCommittee(s, dup, TAU, total))
      .to.throw(ChorusError)
      .that.satisfies(
        (e: ChorusError) =>
          e.code === "ROUND_DUPLICATE_CANDIDATE" &&
          String(e.details.address).toLowerCase() === cands[3].address.toLowerCase(),
      );
    for (const tau of [0, 256, 2.5]) {
      expect(() => drawCommittee(s, cands, tau, total))
        .to.throw(ChorusError)
        .that.satisfies((e: ChorusError) => e.code === "ROUND_BAD_COMMITTEE_SIZE" && e.details.tau === tau);
    }
  });

  it("derives round seeds as keccak256(abi.encode(batchSeed, roundId)), computed independently with viem", () => {
    const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((x): Hex => `0x${Buffer.from(x).toString("hex")}`);
    fc.assert(
      fc.property(b32, b32, (batchSeed, roundId) => {
        expect(roundSeed(batchSeed, roundId)).to.equal(
          viemKeccak(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [batchSeed, roundId])),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("counts seats as floor(share + (keccak256(seed ‖ node) >> 128)) >> 128, as Sortition.seats does", () => {
    const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((x): Hex => `0x${Buffer.from(x).toString("hex")}`);
    const share = fc.bigInt({ min: 0n, max: 64n * SHARE_ONE });
    fc.assert(
      fc.property(b32, fc.integer({ min: 0, max: 10_000 }), share, (seed, i, sh) => {
        const node = addr(i);
        const u = BigInt(viemKeccak(encodePacked(["bytes32", "address"], [seed, node]))) >> 128n;
        expect(seatsOf(sh, seed, node)).to.equal((sh + u) >> 128n);
      }),
      { numRuns: 300 },
    );
  });
});

describe("bench:committee's simulation (scripts/lib/committee-sim.ts)", () => {
  it("draws with the fast path exactly what drawCommittee draws", () => {
    const nodes = benchAddresses(30);
    const p = profileOf(
      "t",
      nodes.map((_, i) => BigInt(1 + (i % 7)) * TOKEN),
      [0.3],
      [...nodes.keys()],
    );
    const sh = sharesAt(p, 9).float;
    const u = new Float64Array(nodes.length);
    for (const s of seeds(200, "fast path")) {
      uniformsOf(
        s,
        nodes.map((a) => hexToBytes(a)),
        u,
      );
      const want = drawCommittee(
        s,
        nodes.map((address, i) => ({ address, stake: p.stakes[i], reputation: 250_000 })),
        9,
        p.total,
      );
      nodes.forEach((a, i) => expect(BigInt(Math.floor(sh[i] + u[i]))).to.equal(want.seats.get(a.toLowerCase()) ?? 0n));
    }
  });

  it("computes capture exactly: equal stakes with at most one seat each is a double binomial sum", () => {
    const n = 50;
    const p = profileOf(
      "t",
      Array.from({ length: n }, () => TOKEN),
      [0.3],
      [...Array(n).keys()],
    );
    const tau = 7;
    const q = tau / n;
    const { capture, forced } = exactRound(sharesAt(p, tau).exact, p.group, 0, 3);
    const pmf = (m: number, k: number) => binomialTail(m, q, k) - binomialTail(m, q, k + 1);
    let wantCapture = 0;
    let wantForced = 0;
    for (let x = 0; x <= 15; x++) {
      for (let y = 0; y <= 35; y++) {
        const pr = pmf(15, x) * pmf(35, y);
        if (x + y < 3) wantForced += pr;
        else if (3 * x >= 2 * (x + y)) wantCapture += pr;
      }
    }
    expect(capture).to.be.closeTo(wantCapture, 1e-12);
    expect(forced).to.be.closeTo(wantForced, 1e-12);
    expect(binomialTail(7, 0.3, 5)).to.be.closeTo(0.0287955, 1e-7);
  });

  it("keeps the void-credit account: no void beyond credit goes unpenalised, captured rounds are never voided", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer({ min: 1, max: 128 }), (raw, batch) => {
        const flags = raw.map((x) => (x < 10 ? CAPTURED : x < 20 ? FORCED : 0));
        const captured = flags.filter((f) => f === CAPTURED).length;
        for (const kind of ["honest", "grind", "selfFinanced"] as const) {
          const a = runAccount(flags, batch, { kind });
          expect(a.captured).to.equal(captured);
          expect(a.settled + a.forcedVoids + a.strategicVoids).to.equal(flags.length);
          // credit spent on free voids never exceeds what was given and earned
          const freeVoids = a.forcedVoids + a.strategicVoids - a.penaltyVoids;
          expect(freeVoids * VOID_COST).to.be.at.most(INITIAL_CREDIT + a.settled);
          if (kind === "honest") expect(a.strategicVoids).to.equal(0);
          if (kind === "grind") expect(a.penaltyVoids).to.be.at.most(a.forcedVoids);
        }
        // staked identities taking the batches in turn: only captured rounds settle, every other round is voided,
        // and every void beyond what the identities' credit could cover is paid in reputation and stake
        const k = 1 + (batch % 5);
        const s = runAccount(flags, batch, { kind: "identities", k });
        expect(s.settled).to.equal(captured);
        expect(s.settled + s.forcedVoids + s.strategicVoids).to.equal(flags.length);
        const voids = s.forcedVoids + s.strategicVoids;
        const coverable = Math.floor((k * INITIAL_CREDIT + s.settled) / VOID_COST);
        expect(s.penaltyVoids).to.be.at.least(voids - coverable);
        expect((voids - s.penaltyVoids) * VOID_COST).to.be.at.most(k * INITIAL_CREDIT + s.settled);
        // slashes compound per identity: never more than the linear sum, never less than spread evenly (Jensen)
        const slash = VOID_SLASH_BPS / BPS;
        expect(s.stakeLost).to.be.at.most(Math.min(1, s.penaltyVoids * slash) + 1e-12);
        expect(s.stakeLost).to.be.at.most(1 - (1 - slash) ** (s.penaltyVoids / k) + 1e-12);
        if (s.penaltyVoids > 0) expect(s.stakeLost).to.be.above(0);
      }),
      { numRuns: 100 },
    );
  });

  it("charges abandoned draws under spare identities: each identity's one free void, then 5,000 reputation and 0.5% of its stake per void", () => {
    // 4 batches of 10 rounds, nothing captured, 2 identities taking them in turn: 20 voids each, 1 covered by the
    // initial credit (16 = one void), 19 paid; identity stakes are half the coalition's each
    expect(INITIAL_CREDIT).to.equal(VOID_COST);
    expect([VOID_PENALTY, VOID_SLASH_BPS]).to.deep.equal([5_000, 50]);
    const none = runAccount(new Uint8Array(40), 10, { kind: "identities", k: 2 });
    expect(none.settled).to.equal(0);
    expect(none.penaltyVoids).to.equal(38);
    expect(none.stakeLost).to.be.closeTo(1 - 0.995 ** 19, 1e-12);
    expect(none.capturedAtHalfStake).to.equal(undefined);
    // one identity, a captured round every 26: it settles 1 (+1 credit) and voids 25 per cycle; the initial 16 pays
    // the first void, then each 16 settled rounds earn one more (cycles 15, 31, ..., 191): 13 free voids in all
    const cycles = 200;
    const flags = new Uint8Array(26 * cycles);
    for (let c = 0; c < cycles; c++) flags[26 * c] = CAPTURED;
    const one = runAccount(flags, 64, { kind: "identities", k: 1 });
    expect(one.captured).to.equal(cycles);
    expect(one.penaltyVoids).to.equal(25 * cycles - 13);
    expect(one.stakeLost).to.be.closeTo(1 - 0.995 ** (25 * cycles - 13), 1e-12);
    // half is gone after ceil(ln 0.5 / ln 0.995) = 139 paid voids: 24 in the first cycle, 25 in each next one, so during
    // the 6th cycle, whose captured round settled first
    expect(one.capturedAtHalfStake).to.equal(6);
    expect(() => runAccount(flags, 64, { kind: "identities", k: 0 })).to.throw(
      "identities must be a whole number >= 1, got 0",
    );
  });
});
