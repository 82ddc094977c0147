/**
 * Byzantine peers through the real node service (scripts/lib/byzantine-swarm.ts: startNode, HTTP between
 * nodes, production consensus rules, each round's deltas applied as Settlement applies them): 20 nodes, 6 of
 * them byzantine (2 copiers, 2 random judges, 2 colluders). A short run (120 rounds, each node in ~40: a random
 * judge's round target, A/4, sits not far below the initial 0.25, so fewer rounds leave that margin to noise): only
 * the direction is asserted here;
 * `npm run bench:byzantine` measures how far it goes over a few hundred rounds.
 */
import { expect } from "chai";
import { startByzantineSwarm, type ByzantineSwarm, type RoundStat } from "../../scripts/lib/byzantine-swarm.js";
import { REP_INITIAL } from "../../src/consensus/index.js";
import type { Role } from "../kit/byzantine-minds.js";
import { closeStarted } from "../helpers/close.js";

describe("byzantine peers: copying, random judging and colluding judges lose reputation and weight", function () {
  this.timeout(240_000);
  const byzantine: Role[] = ["copier", "copier", "random", "random", "colluder", "colluder"];
  const isByz = (r: Role) => r !== "honest";
  let swarm: ByzantineSwarm;
  const stats: RoundStat[] = [];
  let shareBefore = 0;
  let weightBefore = 0;

  before(async () => {
    swarm = await startByzantineSwarm({ nodes: 20, byzantine });
    shareBefore = swarm.reputationShare(isByz);
    weightBefore = swarm.weightShare(isByz);
    for (let k = 0; k < 120; k++) stats.push(await swarm.round(k));
  });
  after(() => closeStarted(swarm));

  const mean = (role: Role) => {
    const xs = swarm.reputations().filter((_, i) => swarm.roles[i] === role);
    return xs.reduce((s, x) => s + x, 0) / xs.length;
  };

  it("a copier's reveal of another member's answer never counts: it does not match the commitment, and the copier is excluded at reveal", () => {
    const excludedCopiers = stats.reduce((s, r) => s + r.excludedAtReveal.filter((x) => x === "copier").length, 0);
    expect(swarm.copyStats.copied, "copiers tried").to.be.greaterThan(0);
    expect(excludedCopiers, "every copy attempt was excluded").to.equal(swarm.copyStats.copied);
    expect(
      stats.every((r) => r.excludedAtReveal.every((x) => x === "copier")),
      "nobody else was excluded",
    ).to.equal(true);
    // A copier that found nothing different to copy revealed its own answer, which may win; a copy never does.
    expect(
      stats.some((r) => r.winnerExcluded),
      "an excluded (copied) answer never wins",
    ).to.equal(false);
  });

  it("byzantine reputation falls below the honest nodes', and the byzantine share of reputation and of BT judge weight falls", () => {
    expect(shareBefore).to.be.closeTo(30, 1e-9);
    expect(weightBefore).to.be.closeTo(30, 1e-9);
    const after = swarm.reputationShare(isByz);
    const weightAfter = swarm.weightShare(isByz);
    expect(after, `byzantine reputation share ${after.toFixed(2)}%`).to.be.below(25);
    expect(weightAfter, `byzantine weight share ${weightAfter.toFixed(2)}%`).to.be.below(25);
    const honest = mean("honest");
    for (const role of ["copier", "random", "colluder"] as Role[]) {
      expect(mean(role), `${role} ${mean(role)} vs honest ${honest}`).to.be.below(honest);
      expect(mean(role), `${role} fell from the initial reputation`).to.be.below(REP_INITIAL);
    }
  });

  it("the consensus still picks honest answers most of the time", () => {
    const honestWins = stats.filter((r) => r.winnerRole === "honest").length;
    expect(honestWins / stats.length).to.be.above(0.6);
  });
});
