/** The fixed-point conventions live in src/core/fixed.ts (shared with the chain side); consensus reads them here. */
export {
  REP_SCALE,
  REP_INITIAL,
  SOURCE_INITIAL,
  MAX_REP_DELTA,
  REP_ALPHA,
  divTrunc,
  clamp,
  applyDelta,
} from "../core/index.js";
