// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title FixedPoint
/// @notice The fixed-point scale shared by node reputation and source scores: an integer in [0, 1_000_000]
///         where 1_000_000 = 1.0. The consensus core (src/consensus/fixed.ts) uses the same constants.
library FixedPoint {
    /// @notice 1.0 in fixed point; also the largest score.
    uint256 internal constant SCALE = 1_000_000;
    /// @notice Score of a node or source never seen before.
    uint256 internal constant INITIAL = 500_000;
    /// @notice Largest absolute delta one round may apply to one node or source score.
    int256 internal constant MAX_DELTA = 50_000;

    /// @notice `value + delta`, clamped to [0, SCALE].
    /// @dev `value` <= SCALE and |delta| <= MAX_DELTA (callers check the bound first), so nothing overflows.
    function applyDelta(uint256 value, int256 delta) internal pure returns (uint256) {
        int256 next = int256(value) + delta;
        if (next < 0) return 0;
        if (next > int256(SCALE)) return SCALE;
        return uint256(next);
    }

    /// @notice True when |delta| <= MAX_DELTA.
    function inBounds(int256 delta) internal pure returns (bool) {
        return delta <= MAX_DELTA && delta >= -MAX_DELTA;
    }
}
