/**
 * `npm run bench:byzantine`: do byzantine nodes lose their say? 20 real nodes (scripts/lib/byzantine-swarm.ts:
 * startNode, HTTP between nodes, the production consensus rules, each round's integer reputation deltas
 * applied exactly as Settlement applies them before the next round), 30% of them byzantine: 2 copiers (try to
 * reveal another member's answer), 2 random judges, 2 colluders (answer the same wrong option and always
 * prefer each other's answers). Honest nodes follow bench:consensus's calibrated model. Committees of 7 are
 * drawn by stake x reputation; rounds go one after another through honest gateways.
 *
 *   BENCH byz_reputation_share_after <percent> %    byzantine share of the total reputation after a run (target <= 10),
 *                                                   the mean over independent runs
 *   plus its lowest and highest run, the share before, per behaviour, their share of the BT judge weight, the
 *   honest-winner rate (all means over the runs)
 *
 * Options: --rounds N (default 300), --nodes N (default 20), --runs N (default 5). One run's figure is a snapshot
 * of reputations that move 10% toward each round's target, and round ids and query CIDs carry the clock, so
 * committees differ between runs: single runs of 300 rounds ended anywhere from 3% to 14%. Hence the mean.
 */
import { startByzantineSwarm } from "./lib/byzantine-swarm.js";
import type { Role } from "../test/kit/byzantine-minds.js";
import { option } from "./lib/options.js";

const ROUNDS = option("rounds", 300);
const NODES = option("nodes", 20);
const RUNS = option("runs", 5);
const perBehaviour = Math.max(1, Math.round((0.3 * NODES) / 3));
const byzantine: Role[] = [
  ...Array(perBehaviour).fill("copier"),
  ...Array(perBehaviour).fill("random"),
  ...Array(perBehaviour).fill("colluder"),
];
const isByz = (r: Role) => r !== "honest";
const pct = (x: number) => x.toFixed(2);

const t0 = performance.now();
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const figures: Record<string, number[]> = {};
const note = (name: string, value: number) => (figures[name] ??= []).push(value);

for (let run = 0; run < RUNS; run++) {
  const swarm = await startByzantineSwarm({ nodes: NODES, byzantine });
  try {
    note("byz_reputation_share_before", swarm.reputationShare(isByz));
    note("byz_weight_share_before", swarm.weightShare(isByz));
    let failed = 0;
    let honestWins = 0;
    let correctWins = 0;
    let copierSeats = 0;
    let copierExcluded = 0;
    const curve: string[] = [];
    for (let k = 0; k < ROUNDS; k++) {
      const s = await swarm.round(k);
      if (s.failed) {
        failed++;
        continue;
      }
      if (s.winnerRole === "honest") honestWins++;
      if (s.winnerCorrect) correctWins++;
      copierSeats += s.committee.filter((r) => r === "copier").length;
      copierExcluded += s.excludedAtReveal.filter((r) => r === "copier").length;
      if ((k + 1) % 50 === 0) curve.push(`${k + 1}: ${pct(swarm.reputationShare(isByz))}%`);
    }
    note("byz_reputation_share_after", swarm.reputationShare(isByz));
    for (const role of ["copier", "random", "colluder"] as Role[])
      note(
        `byz_reputation_share_${role}_after`,
        swarm.reputationShare((r) => r === role),
      );
    note("byz_weight_share_after", swarm.weightShare(isByz));
    // Rates over the rounds that reached a result.
    note("honest_winner_rate", (100 * honestWins) / Math.max(1, ROUNDS - failed));
    note("correct_winner_rate", (100 * correctWins) / Math.max(1, ROUNDS - failed));
    note("rounds_failed", (100 * failed) / ROUNDS);
    note("copier_reveals_excluded", copierSeats ? (100 * copierExcluded) / copierSeats : 100);
    const meanRep = (role: Role) => {
      const xs = swarm.reputations().filter((_, i) => swarm.roles[i] === role);
      return (mean(xs) / 1e6).toFixed(3);
    };
    console.error(
      `run ${run + 1}/${RUNS}: byzantine share after ${pct(swarm.reputationShare(isByz))}%; over the run ${curve.join(", ")}`,
    );
    console.error(
      `  mean reputation: honest ${meanRep("honest")}, copier ${meanRep("copier")}, random ${meanRep("random")}, colluder ${meanRep("colluder")}`,
    );
    console.error(
      `  copier seats ${copierSeats}, of which excluded at reveal ${copierExcluded}; copy attempts ${swarm.copyStats.copied}`,
    );
  } finally {
    await swarm.close();
  }
}

const after = figures.byz_reputation_share_after;
const line = (name: string) => console.log(`BENCH ${name} ${pct(mean(figures[name]))} %`);
line("byz_reputation_share_before");
line("byz_reputation_share_after");
console.log(`BENCH byz_reputation_share_after_min ${pct(Math.min(...after))} %`);
console.log(`BENCH byz_reputation_share_after_max ${pct(Math.max(...after))} %`);
for (const role of ["copier", "random", "colluder"]) line(`byz_reputation_share_${role}_after`);
for (const name of [
  "byz_weight_share_before",
  "byz_weight_share_after",
  "honest_winner_rate",
  "correct_winner_rate",
  "copier_reveals_excluded",
  "rounds_failed",
])
  line(name);
console.error(
  `nodes ${NODES} (${byzantine.length} byzantine: ${perBehaviour} each of copier, random, colluder), rounds ${ROUNDS}, runs ${RUNS}, committee 7`,
);
console.error(`byzantine share after each run: ${after.map(pct).join(", ")} %`);
console.error(`bench:byzantine done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
