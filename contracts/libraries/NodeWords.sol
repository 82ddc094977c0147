// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title NodeWords
/// @notice Settlement's one storage word per node: reputation, and the reputation each of the last two weight
///         periods in which it changed began with. The per-record code (EpochCodec) touches only the low 32 bits.
///
///         bits   0..31   reputation now
///         bits  32..63   rs1: reputation when period p1 began
///         bits  64..95   p1: the latest weight period in which the reputation was written
///         bit   96       seen (the word was ever written; otherwise the node has the initial reputation)
///         bits 128..191  unused (they cached a capability expiry before passes could be revoked)
///         bits 192..223  rs0: reputation when period p0 began
///         bits 224..255  p0: the weight period of the write before p1
///
///         Reputation when period q began: q > p1: now; p0 < q <= p1: rs1; q == p0: rs0; older: unknown. Records settle
///         only while the current period is at most their period + 1, and a write rotates the history only when the
///         period changed, so the reputation a record's period began with is always known while it can settle.
library NodeWords {
    uint256 internal constant MASK32 = 0xffffffff;
    uint256 internal constant SEEN = 1 << 96;
    uint256 internal constant RS1_SHIFT = 32;
    uint256 internal constant P1_SHIFT = 64;
    uint256 internal constant RS0_SHIFT = 192;
    uint256 internal constant P0_SHIFT = 224;
    /// @notice FixedPoint.INITIAL_REPUTATION, the reputation of a node never settled.
    uint256 internal constant INITIAL_REPUTATION = 250_000;
    uint256 internal constant SCALE = 1_000_000;

    /// @notice `word` as stored, or the word of a node never settled.
    function orFresh(uint256 word) internal pure returns (uint256) {
        return word & SEEN != 0 ? word : INITIAL_REPUTATION | SEEN;
    }

    function reputation(uint256 word) internal pure returns (uint256) {
        return word & MASK32;
    }

    /// @notice Reputation when weight period `q` began, if still known.
    function reputationAt(uint256 word, uint256 q) internal pure returns (uint256 rep, bool known) {
        uint256 p1 = (word >> P1_SHIFT) & MASK32;
        if (q > p1) return (word & MASK32, true);
        if (q > word >> P0_SHIFT) return ((word >> RS1_SHIFT) & MASK32, true);
        if (q == word >> P0_SHIFT) return ((word >> RS0_SHIFT) & MASK32, true);
        return (0, false);
    }

    /// @notice `word` ready to be written in period `current`: when this is the first write of that period, the
    ///         history moves down one place and rs1 takes the reputation the period began with (the current one).
    function rotate(uint256 word, uint256 current) internal pure returns (uint256) {
        uint256 p1 = (word >> P1_SHIFT) & MASK32;
        if (p1 >= current) return word;
        uint256 rs1 = (word >> RS1_SHIFT) & MASK32;
        uint256 kept = word & (MASK32 | SEEN);
        return kept | ((word & MASK32) << RS1_SHIFT) | (current << P1_SHIFT) | (rs1 << RS0_SHIFT) | (p1 << P0_SHIFT);
    }

    /// @notice `word` with its reputation moved by `delta`, clamped to [0, SCALE].
    function addClamped(uint256 word, int256 delta) internal pure returns (uint256) {
        int256 r = int256(word & MASK32) + delta;
        if (r < 0) r = 0;
        if (r > int256(SCALE)) r = int256(SCALE);
        // r is in [0, SCALE] after clamping: the cast is exact.
        return (word & ~MASK32) | uint256(r);
    }
}
