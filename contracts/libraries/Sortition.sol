// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Sortition
/// @notice The committee rule of Chorus, checkable per member in O(1) (src/round/committee.ts is the same rule).
///
///         A node's seats in round r: `floor(share + u)` where `u = keccak256(seed_r ‖ node) >> 128` is uniform in
///         [0, 2^128) and `share = tau * stake * rho * 2^128 / (totalStake * REP_REF)` with `rho = min(rep, REP_REF)`.
///         So a node holds, in expectation, `tau * stake / totalStake` seats, thinned by its reputation while it is
///         below REP_REF; its seats differ from that expectation by less than one. It is drawn iff it holds a seat.
///         Splitting stake over identities does not change the expected seats (no Sybil gain). Stake, total and
///         reputation are read as they were before the round's weight period began; `seed_r = keccak256(batchSeed ‖
///         roundId)`, the batch seed being the hash of a block mined after the coordinator reserved the batch.
library Sortition {
    /// @notice Reputation at or above which a node's seats are not thinned (the initial reputation).
    uint256 internal constant REP_REF = 250_000;
    /// @notice Fixed-point one of `share`.
    uint256 internal constant ONE = 1 << 128;

    /// @notice Expected seats of a node, times 2^128; 0 when it has no stake or the total is 0.
    function share(uint256 tau, uint256 stake, uint256 totalStake, uint256 rep) internal pure returns (uint256) {
        if (stake == 0 || totalStake == 0) return 0;
        uint256 rho = rep < REP_REF ? rep : REP_REF;
        // tau <= 255, stake <= 2^128 and rho <= 2^18: the product fits in 2^256; mulDiv keeps 512 bits inside.
        return Math.mulDiv(tau * stake * rho, ONE, totalStake * REP_REF);
    }

    /// @notice Seats of `node` in the round seeded `seed`, given its `share`.
    function seats(uint256 share_, bytes32 seed, address node) internal pure returns (uint256) {
        return (share_ + (uint256(keccak256(abi.encodePacked(seed, node))) >> 128)) >> 128;
    }

    /// @notice The seed of round `roundId` in a batch seeded `batchSeed`.
    function roundSeed(bytes32 batchSeed, bytes32 roundId) internal pure returns (bytes32) {
        return keccak256(abi.encode(batchSeed, roundId));
    }
}
