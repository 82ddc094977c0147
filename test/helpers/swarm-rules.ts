/** The consensus rules the swarm tests run: the production rules once src/consensus is wired (count rules until then). */
export { countRules as swarmRules } from "./count-rules.js";
