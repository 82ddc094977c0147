/**
 * The consensus rules the swarm tests run: the production rules, with round-robin pairing so that with the
 * tests' fixed-preference judges the expected winner is exact (the default Fortytwo pairing compares about
 * 3n pairs, and two unbeaten answers may never meet).
 */
import { productionRules } from "../../src/protocol/index.js";

export const swarmRules = productionRules({ pairing: "round-robin" });
