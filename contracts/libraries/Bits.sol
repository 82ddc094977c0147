// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Bits
/// @notice Bitmap helpers for capability grading.
library Bits {
    /// @notice A mask of the `count` lowest bits (`count` <= 256).
    function lowMask(uint256 count) internal pure returns (uint256) {
        return count >= 256 ? type(uint256).max : (uint256(1) << count) - 1;
    }

    /// @notice Number of set bits in `x` (SWAR popcount over 256 bits).
    function popcount(uint256 x) internal pure returns (uint256) {
        // All 256 bits set is the one input whose count (256) does not fit the byte the sum lands in.
        if (x == type(uint256).max) return 256;
        // unchecked: each step keeps every field's sum below its field width; the final multiply is meant
        // to wrap: it adds all 32 byte counts (total <= 255 here) into the top byte.
        unchecked {
            x = x - ((x >> 1) & 0x5555555555555555555555555555555555555555555555555555555555555555);
            x =
                (x & 0x3333333333333333333333333333333333333333333333333333333333333333) +
                ((x >> 2) & 0x3333333333333333333333333333333333333333333333333333333333333333);
            x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f;
            return (x * 0x0101010101010101010101010101010101010101010101010101010101010101) >> 248;
        }
    }
}
