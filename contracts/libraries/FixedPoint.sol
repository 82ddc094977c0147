// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title FixedPoint
/// @notice The fixed-point scale shared by node reputation and source scores: an integer in [0, 1_000_000]
///         where 1_000_000 = 1.0. The consensus core (src/consensus/fixed.ts) uses the same constants.
///         Settlement applies deltas as `min(SCALE, max(0, value + delta))` with |delta| <= MAX_DELTA, in
///         EpochCodec (which spells these numbers as literals in its Yul).
library FixedPoint {
    /// @notice 1.0 in fixed point; also the largest score.
    uint256 internal constant SCALE = 1_000_000;
    /// @notice Reputation of a node never settled: about where honest nodes settle under the consensus
    ///         core's update, so a node cannot gain weight by leaving and joining again under a new key.
    uint256 internal constant INITIAL_REPUTATION = 250_000;
    /// @notice Reliability and usefulness of a source never scored.
    uint256 internal constant INITIAL_SOURCE_SCORE = 500_000;
    /// @notice Largest absolute delta one round may apply to one node or source score.
    int256 internal constant MAX_DELTA = 50_000;
}
