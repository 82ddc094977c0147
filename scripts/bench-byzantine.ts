/**
 * `npm run bench:byzantine`: do byzantine nodes lose their say? 20 real nodes (scripts/lib/byzantine-swarm.ts:
 * startNode, HTTP between nodes, the production consensus rules, each round's integer reputation deltas
 * applied exactly as Settlement applies them before the next round), 30% of them byzantine: 2 copiers (try to
 * reveal another member's answer), 2 random judges, 2 colluders (answer the same wrong option and always
 * prefer each other's answers). Honest nodes follow bench:consensus's calibrated model. Committees of 7 are
 * drawn by stake x reputation; rounds go one after another through honest gateways.
 *
 *   BENCH byz_reputation_share_after <percent> %    byzantine share of the total reputation after the run (target <= 10)
 *   plus the share before, per behaviour, their share of the BT judge weight, the honest-winner rate
 *
 * Options: --rounds N (default 300), --nodes N (default 20). Figures vary a little between runs: round ids
 * and query CIDs carry the clock, so committees differ.
 */
import { startByzantineSwarm } from "./lib/byzantine-swarm.js";
import type { Role } from "../test/helpers/byzantine-minds.js";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number >= 1, got '${process.argv[i + 1]}'`);
  return v;
}

const ROUNDS = option("rounds", 300);
const NODES = option("nodes", 20);
const perBehaviour = Math.max(1, Math.round((0.3 * NODES) / 3));
const byzantine: Role[] = [...Array(perBehaviour).fill("copier"), ...Array(perBehaviour).fill("random"), ...Array(perBehaviour).fill("colluder")];
const isByz = (r: Role) => r !== "honest";
const pct = (x: number) => x.toFixed(2);

const t0 = performance.now();
const swarm = await startByzantineSwarm({ nodes: NODES, byzantine });
try {
  const before = swarm.reputationShare(isByz);
  const weightBefore = swarm.weightShare(isByz);
  let honestWins = 0;
  let correctWins = 0;
  let copierSeats = 0;
  let copierExcluded = 0;
  const curve: string[] = [];
  for (let k = 0; k < ROUNDS; k++) {
    const s = await swarm.round(k);
    if (s.winnerRole === "honest") honestWins++;
    if (s.winnerCorrect) correctWins++;
    copierSeats += s.committee.filter((r) => r === "copier").length;
    copierExcluded += s.excludedAtReveal.filter((r) => r === "copier").length;
    if ((k + 1) % 50 === 0) curve.push(`${k + 1}: ${pct(swarm.reputationShare(isByz))}%`);
  }
  console.log(`BENCH byz_reputation_share_before ${pct(before)} %`);
  console.log(`BENCH byz_reputation_share_after ${pct(swarm.reputationShare(isByz))} %`);
  for (const role of ["copier", "random", "colluder"] as Role[]) console.log(`BENCH byz_reputation_share_${role}_after ${pct(swarm.reputationShare((r) => r === role))} %`);
  console.log(`BENCH byz_weight_share_before ${pct(weightBefore)} %`);
  console.log(`BENCH byz_weight_share_after ${pct(swarm.weightShare(isByz))} %`);
  console.log(`BENCH honest_winner_rate ${pct((100 * honestWins) / ROUNDS)} %`);
  console.log(`BENCH correct_winner_rate ${pct((100 * correctWins) / ROUNDS)} %`);
  console.log(`BENCH copier_reveals_excluded ${pct(copierSeats ? (100 * copierExcluded) / copierSeats : 100)} %`);
  const mean = (role: Role) => {
    const xs = swarm.reputations().filter((_, i) => swarm.roles[i] === role);
    return (xs.reduce((s, x) => s + x, 0) / xs.length / 1e6).toFixed(3);
  };
  console.error(`nodes ${NODES} (${byzantine.length} byzantine: ${perBehaviour} each of copier, random, colluder), rounds ${ROUNDS}, committee 7`);
  console.error(`mean reputation: honest ${mean("honest")}, copier ${mean("copier")}, random ${mean("random")}, colluder ${mean("colluder")}`);
  console.error(`byzantine reputation share over the run: ${curve.join(", ")}`);
  console.error(`copier seats ${copierSeats}, of which excluded at reveal ${copierExcluded}; copy attempts ${swarm.copyStats.copied}`);
  console.error(`bench:byzantine done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} finally {
  await swarm.close();
}
