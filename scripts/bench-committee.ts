/**
 * `npm run bench:committee`: how often does a coalition holding a fraction f of the stake capture a sortition
 * committee's 2/3 quorum, and how much does the grinding the design still leaves add? (issue 12, item 2)
 *
 * Draw: the production rule (src/protocol/committee.ts `roundSeed`, `shareOf`, the hash `seatsOf` takes; checked
 * against `drawCommittee` round by round on the first --check rounds). Seeds: batch seeds are keccak256 of a counter,
 * round ids coordinator << 96 | seq, as Settlement builds them. A round is CAPTURED when the coalition's seats are
 * >= 2/3 of the committee's seats and the committee has >= minCommittee members; it is FORCED (must be voided) when
 * it has fewer members. The void-credit account is contracts/base/CoordinatorBatches.sol's (constants mirrored in
 * scripts/lib/committee-sim.ts): +1 per settled round, -16 per void, 16 to start, 256 at most; a void beyond credit
 * costs 5,000 reputation and 0.5% of the coordinator's stake.
 *
 *   BENCH capture_f30_k7 <v> %               share of SETTLED rounds a 30% coalition captures at tau = 7 when its
 *                                            coordinator voids non-captured rounds with free credit (never paying
 *                                            the reputation penalty)
 *   BENCH grinding_gain <v> x                that share over an honest coordinator's (voids only forced rounds)
 *   BENCH committee_for_0p1pct <v> members   smallest tau at which that grinding captures <= 0.1% of settled rounds
 *   BENCH capture_f30_k7_fresh_coordinators <v> %   share of settled rounds captured when the 30% coalition opens
 *                                            batches under its K staked identities (one per coalition node) and
 *                                            voids every non-captured round, paying beyond credit
 *   BENCH cost_per_capture_stake_pct <v> %   what that costs per captured round, in % of the coalition's stake
 *   plus per-f figures, paid-void and self-financed strategies, an unequal-stake case, the Binomial(7, 0.3)
 *   reference and exact values.
 *
 * Options: --nodes N (100), --rounds N (200000), --batch N (64), --check N (1000), --tau-max N (32).
 */
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { drawCommittee, roundSeed, type Candidate } from "../src/protocol/index.js";
import {
  BPS,
  CAPTURED,
  FORCED,
  INITIAL_CREDIT,
  MAX_CREDIT,
  VOID_COST,
  VOID_PENALTY,
  VOID_SLASH_BPS,
  batchSeedOf,
  benchAddresses,
  bestOfBatches,
  binomialTail,
  exactRound,
  profileOf,
  roundIdOf,
  roundOutcome,
  runAccount,
  sharesAt,
  uniformsOf,
  type Profile,
  type Strategy,
} from "./lib/committee-sim.js";
import { option } from "./lib/options.js";

const N = option("nodes", 100);
const R = option("rounds", 200_000);
const BATCH = option("batch", 64);
const CHECK = Math.min(R, option("check", 1_000));
const TAU_MAX = option("tau-max", 32);
const MIN_COMMITTEE = 3;
const K = 7;
const TARGET = 0.001;
const TOKEN = 10n ** 18n;
const t0 = performance.now();

const addresses = benchAddresses(N);
const nodeBytes = addresses.map((a) => hexToBytes(a));
const fractions = [0.1, 0.2, 0.3, 0.4];
const idx = [...Array(N).keys()];
const zipf = idx.map((i) => (10_000n * TOKEN) / BigInt(i + 1));
const profiles: { p: Profile; taus: number[]; coordinator: number }[] = [];
{
  const equal = profileOf(
    "equal",
    idx.map(() => 1_000n * TOKEN),
    fractions,
    idx,
  );
  const small = profileOf("zipf, coalition of the smallest nodes", zipf, fractions, [...idx].reverse());
  const large = profileOf("zipf, coalition of the largest nodes", zipf, [0.3], idx);
  const sweep = Array.from({ length: TAU_MAX - 2 }, (_, i) => i + 3);
  // the coordinator is the coalition's largest node that belongs to every coalition of its profile
  const coordOf = (p: Profile) =>
    idx.filter((i) => p.group[i] === 0).sort((a, b) => (p.stakes[b] > p.stakes[a] ? 1 : -1))[0];
  for (const [p, taus] of [
    [equal, sweep],
    [small, sweep],
    [large, [5, 7, 10, 15, 20, 25, 30].filter((t) => t <= TAU_MAX)],
  ] as const) {
    profiles.push({ p, taus: [...taus], coordinator: coordOf(p) });
  }
}
const coordinatorAddress = addresses[profiles[0].coordinator];

// flags[profile][tauIndex][coalition] = per-round outcome bits
const flags = profiles.map(({ p, taus }) => taus.map(() => p.coalitions.map(() => new Uint8Array(R))));
const shares = profiles.map(({ p, taus }) => taus.map((t) => sharesAt(p, t)));
const u = new Float64Array(N);
const bandSeats = new Float64Array(fractions.length + 1);
const out = new Uint8Array(fractions.length);
let checked = 0;
let batchSeed: Hex = "0x";
for (let r = 0; r < R; r++) {
  if (r % BATCH === 0) batchSeed = batchSeedOf(r / BATCH);
  const seed = roundSeed(batchSeed, roundIdOf(coordinatorAddress, BigInt(r + 1)));
  uniformsOf(seed, nodeBytes, u);
  profiles.forEach(({ p, taus, coordinator }, pi) => {
    taus.forEach((tau, ti) => {
      const s = shares[pi][ti].float;
      roundOutcome(s, u, p.group, p.coalitions.length, MIN_COMMITTEE, coordinator, bandSeats, out);
      for (let c = 0; c < p.coalitions.length; c++) flags[pi][ti][c][r] = out[c];
      if (r < CHECK && tau === K) {
        // the fast path must give the production committee exactly
        const cands: Candidate[] = addresses.map((address, i) => ({
          address,
          stake: p.stakes[i],
          reputation: 250_000,
        }));
        const want = drawCommittee(seed, cands, tau, p.total);
        for (let i = 0; i < N; i++) {
          const fast = BigInt(Math.floor(s[i] + u[i]));
          const prod = want.seats.get(addresses[i].toLowerCase()) ?? 0n;
          if (fast !== prod) {
            throw new Error(
              `fast draw differs from drawCommittee: round ${r}, ${p.name}, node ${addresses[i]}: ${fast} vs ${prod} (seed ${seed})`,
            );
          }
        }
        checked++;
      }
    });
  });
}
const tDraw = (performance.now() - t0) / 1000;

const pct = (x: number, d = 3) => (100 * x).toFixed(d);
const run = (f: Uint8Array, s: Strategy) => runAccount(f, BATCH, s);
const perRound = (f: Uint8Array, bit: number) => f.reduce((n, x) => n + (x & bit ? 1 : 0), 0) / f.length;
const shareOfSettled = (f: Uint8Array, s: Strategy) => {
  const a = run(f, s);
  return { a, share: a.captured / a.settled };
};
/** Exact long-run share: honest p/(1-q); grinding with free credit only 17p/16 while q <= 1/17 (then S = 16R/17). */
const exactShares = (p: number, q: number) => ({
  honest: p / (1 - q),
  grind: q <= 1 / (VOID_COST + 1) ? ((VOID_COST + 1) * p) / VOID_COST : p / (1 - q),
});

console.log(
  `bench:committee  ${N} nodes, ${R} rounds (batches of ${BATCH}), minCommittee ${MIN_COMMITTEE}, draws ${tDraw.toFixed(1)} s`,
);
console.log(
  `  fast draw equals drawCommittee (production) on ${checked} (round, profile) draws at tau = ${K}: every seat of every node`,
);
const slashPct = (100 * VOID_SLASH_BPS) / BPS;
const halfGone = (c: number | undefined) => (c === undefined ? "never within the run" : `after ${c} captured rounds`);
console.log(
  `  void credit: +1 per settled round, -${VOID_COST} per void, start ${INITIAL_CREDIT}, cap ${MAX_CREDIT}; ${VOID_PENALTY} reputation and ${slashPct}% of the coordinator's stake per void beyond credit`,
);
for (const { p, coordinator } of profiles) {
  console.log(
    `  profile '${p.name}': coalitions ${p.coalitions.map((c) => `${c.name}=${pct(c.fraction, 1)}% (${[...p.group].filter((g) => g <= p.coalitions.indexOf(c)).length} nodes)`).join(", ")}; coordinator holds ${pct(Number((p.stakes[coordinator] * 1_000_000n) / p.total) / 1e6, 2)}%`,
  );
}

// ---------------------------------------------------------------- tau = 7, equal stake, per f
const eq = profiles[0];
const ti7 = eq.taus.indexOf(K);
console.log(`\nequal stake, tau = ${K}: per round (exact | simulated), and share of settled rounds`);
console.log(
  "  f    capture/round exact  sim      forced/round exact  sim     honest settled  grind settled (exact)   gain",
);
let f30: { honest: number; grind: number; a: ReturnType<typeof run> } | undefined;
eq.p.coalitions.forEach((c, ci) => {
  const fl = flags[0][ti7][ci];
  const ex = exactRound(shares[0][ti7].exact, eq.p.group, ci, MIN_COMMITTEE);
  const h = shareOfSettled(fl, { kind: "honest" });
  const g = shareOfSettled(fl, { kind: "grind" });
  const exs = exactShares(ex.capture, ex.forced);
  console.log(
    `  ${c.name}  ${pct(ex.capture).padStart(8)}% ${pct(perRound(fl, CAPTURED)).padStart(8)}%    ${pct(ex.forced).padStart(8)}% ${pct(perRound(fl, FORCED)).padStart(8)}%   ${pct(h.share).padStart(8)}%   ${pct(g.share).padStart(8)}% (${pct(exs.grind)}%)  ${(g.share / h.share).toFixed(3)}x`,
  );
  const name = c.name.replace("f", "f");
  console.log(`BENCH capture_${name}_k${K}_honest ${pct(h.share)} %`);
  console.log(`BENCH capture_${name}_k${K}_grind ${pct(g.share)} %`);
  if (c.name === "f30") f30 = { honest: h.share, grind: g.share, a: g.a };
});
if (!f30) throw new Error("no 30% coalition");
const ref = binomialTail(K, 0.3, Math.ceil((2 * K) / 3));
console.log(
  `\n  30% coalition, tau = ${K}, grinding with free credit: ${f30.a.strategicVoids} strategic + ${f30.a.forcedVoids} forced voids, ${f30.a.penaltyVoids} penalty voids over ${R} rounds`,
);
console.log(`BENCH capture_f30_k7 ${pct(f30.grind)} %`);
console.log(`BENCH grinding_gain ${(f30.grind / f30.honest).toFixed(3)} x`);
console.log(
  `BENCH capture_ref_binomial_k7_f30 ${pct(ref)} %   (fixed 7 seats, Binomial(7, 0.3) >= 5, the issue's reference)`,
);
console.log(`BENCH grinding_gain_vs_binomial_ref ${(f30.grind / ref).toFixed(3)} x`);
console.log(
  `BENCH sortition_vs_binomial_ref ${(f30.honest / ref).toFixed(3)} x   (honest sortition draw over the fixed-7 reference)`,
);

// ---------------------------------------------------------------- strategies beyond free credit (f = 30%, tau = 7)
const fl30 = flags[0][ti7][2];
for (const x of [1, 4]) {
  const { a, share } = shareOfSettled(fl30, { kind: "paid", perBatch: x });
  const perBatch = a.penaltyVoids / (R / BATCH);
  console.log(
    `BENCH capture_f30_k7_paid${x}_per_batch${BATCH} ${pct(share)} %   (${a.penaltyVoids} paid voids: ${(perBatch * VOID_PENALTY).toFixed(0)} reputation and ${(perBatch * slashPct).toFixed(2)}% of the coordinator's stake per batch; half its stake gone ${halfGone(a.capturedAtHalfStake)})`,
  );
}
{
  const { a, share } = shareOfSettled(fl30, { kind: "selfFinanced" });
  const captIn = fl30.reduce((n, x) => n + (x & CAPTURED && x & 4 ? 1 : 0), 0);
  console.log(
    `BENCH capture_f30_k7_selffinanced ${pct(share)} %   (reputation refilled by +50,000 per captured round the coordinator sits in, stake not: ${a.penaltyVoids} paid voids, ${pct(a.stakeLost, 1)}% of its stake slashed, half gone ${halfGone(a.capturedAtHalfStake)}; coordinator in ${captIn} of ${a.captured} captured rounds)`,
  );
}
{
  // the coalition's staked identities: one per node of the 30% coalition (equal stakes), opening batches in turn
  const k = [...eq.p.group].filter((g) => g <= 2).length;
  const fresh = (ids: number) => {
    const a = run(fl30, { kind: "identities", k: ids });
    const voidsPer = a.penaltyVoids / a.captured;
    // first order: each paid void slashes VOID_SLASH_BPS of one identity's initial stake, 1/ids of the coalition's
    return { a, voidsPer, stakePct: (voidsPer * slashPct) / ids, repPer: voidsPer * VOID_PENALTY };
  };
  const main = fresh(k);
  const { a } = main;
  console.log(`
  30% coalition opening every batch under its ${k} staked identities (each ${pct(1 / k, 2)}% of its stake), settling only captured rounds, voiding the rest:`);
  console.log(
    `    ${a.captured} captured and settled, ${a.strategicVoids + a.forcedVoids} voided (${a.penaltyVoids} beyond credit) over ${R} rounds: ${main.voidsPer.toFixed(2)} paid voids per captured round`,
  );
  console.log(
    `    per captured round: ${main.stakePct.toFixed(3)}% of the coalition's stake (${(main.voidsPer * slashPct).toFixed(2)}% of the voiding identity's) and ${main.repPer.toFixed(0)} reputation (gross, before the 0 floor and before captured records pay members back)`,
  );
  console.log(
    `    slashes compound: half the coalition's stake is gone ${halfGone(a.capturedAtHalfStake)}, ${pct(a.stakeLost, 1)}% after the run (weights held fixed: the shrinking stake would capture less)`,
  );
  for (const ids of [1, 10, 100].filter((x) => x !== k)) {
    const o = fresh(ids);
    console.log(
      `    with ${ids} identit${ids === 1 ? "y" : "ies"}: ${o.stakePct.toFixed(3)}% of the coalition's stake per captured round (half gone ${halfGone(o.a.capturedAtHalfStake)})`,
    );
  }
  console.log(
    `BENCH capture_f30_k7_fresh_coordinators ${pct(a.captured / a.settled)} %   (${k} staked identities, every non-captured round voided: ${main.voidsPer.toFixed(2)} paid voids per captured round)`,
  );
  console.log(
    `BENCH cost_per_capture_stake_pct ${main.stakePct.toFixed(3)} %   (of the coalition's stake, ${k} identities; plus ${main.repPer.toFixed(0)} reputation per captured round)`,
  );
}

for (const w of [1, 2]) {
  const picked = bestOfBatches(fl30, BATCH, w + 1);
  const { share } = shareOfSettled(picked, { kind: "grind" });
  console.log(
    `BENCH capture_f30_k7_withhold${w} ${pct(share)} %   (the seed block's proposer colludes and withholds ${w} block(s) per batch of ${BATCH}: best of ${w + 1} batch draws, then grinding with free credit)`,
  );
}
{
  // batches of one round (the coordinator picks the batch size): each extra seed is one more draw of that round
  const p1 = exactRound(shares[0][ti7].exact, eq.p.group, 2, MIN_COMMITTEE).capture;
  const best = (m: number) => pct(1 - (1 - p1) ** m, 1);
  console.log(
    `  exact, batches of 1 round: capture per round with 1 / 2 / 3 seeds to choose from ${best(1)}% / ${best(2)}% / ${best(3)}%; a proposer grinding the seed block's hash (extraData, transaction order) over 100 / 1,000 variants: ${best(100)}% / ${best(1000)}%`,
  );
}

// ---------------------------------------------------------------- tau sweep
function sweep(pi: number, ci: number): number | undefined {
  const { p, taus } = profiles[pi];
  console.log(`\n${p.name}, coalition ${p.coalitions[ci].name} (${pct(p.coalitions[ci].fraction, 1)}%): tau sweep`);
  console.log(
    "  tau  capture/round exact   sim      forced exact  honest settled  grind settled (exact)  honest penalty voids/1000 rounds",
  );
  const grindAt: number[] = [];
  const exactAt: number[] = [];
  taus.forEach((tau, ti) => {
    const fl = flags[pi][ti][ci];
    const ex = exactRound(shares[pi][ti].exact, p.group, ci, MIN_COMMITTEE);
    exactAt.push(exactShares(ex.capture, ex.forced).grind);
    const h = shareOfSettled(fl, { kind: "honest" });
    const g = shareOfSettled(fl, { kind: "grind" });
    grindAt.push(g.share);
    console.log(
      `  ${String(tau).padStart(3)}  ${pct(ex.capture, 4).padStart(9)}% ${pct(perRound(fl, CAPTURED), 4).padStart(9)}%  ${pct(ex.forced, 2).padStart(7)}%  ${pct(h.share, 4).padStart(9)}%   ${pct(g.share, 4).padStart(9)}% (${pct(exactShares(ex.capture, ex.forced).grind, 4)}%)  ${((1000 * h.a.penaltyVoids) / R).toFixed(1)}`,
    );
  });
  // smallest tau from which every larger tau swept stays at or below the target
  let found: number | undefined;
  for (let i = taus.length - 1; i >= 0 && grindAt[i] <= TARGET; i--) found = taus[i];
  const exactFound = taus.find((_, ti) => exactAt[ti] <= TARGET);
  console.log(
    `  smallest tau with grinding capture <= ${pct(TARGET, 1)}% of settled rounds: simulated ${found ?? `> ${taus.at(-1)}`}, exact ${exactFound ?? `> ${taus.at(-1)}`}`,
  );
  return found;
}
const need = sweep(0, 2);
console.log(`BENCH committee_for_0p1pct ${need ?? `>${TAU_MAX}`} members`);
const needZipf = sweep(1, 2);
console.log(`BENCH committee_for_0p1pct_zipf_small ${needZipf ?? `>${TAU_MAX}`} members`);
sweep(2, 0);

// ---------------------------------------------------------------- unequal stake at tau = 7, and minCommittee
console.log(`\nunequal (zipf) stake, tau = ${K}:`);
for (const pi of [1, 2]) {
  const { p, taus } = profiles[pi];
  const ti = taus.indexOf(K);
  p.coalitions.forEach((c, ci) => {
    const fl = flags[pi][ti][ci];
    const ex = exactRound(shares[pi][ti].exact, p.group, ci, MIN_COMMITTEE);
    const h = shareOfSettled(fl, { kind: "honest" });
    const g = shareOfSettled(fl, { kind: "grind" });
    const tag = `${pi === 1 ? "zipf_small" : "zipf_large"}_${c.name}`;
    console.log(
      `  ${p.name} ${c.name} (${pct(c.fraction, 1)}%): per round exact ${pct(ex.capture)}%, forced ${pct(ex.forced, 2)}%; settled honest ${pct(h.share)}%, grind ${pct(g.share)}%`,
    );
    console.log(`BENCH capture_${tag}_k${K}_grind ${pct(g.share)} %`);
  });
}
console.log(`\nexact, equal stake, f = 30%, tau = ${K}, other minimum committee sizes (per round):`);
for (const m of [2, 3, 4, 5]) {
  const ex = exactRound(shares[0][ti7].exact, eq.p.group, 2, m);
  console.log(
    `  minCommittee ${m}: capture ${pct(ex.capture)}%, forced void ${pct(ex.forced, 2)}%, grinding share of settled ${pct(exactShares(ex.capture, ex.forced).grind)}%`,
  );
}
console.log(
  `\nbench:committee done in ${((performance.now() - t0) / 1000).toFixed(1)} s (seed check: batch 0 seed ${batchSeedOf(0).slice(0, 18)}…, node 0 ${bytesToHex(nodeBytes[0]).slice(0, 12)}…)`,
);
