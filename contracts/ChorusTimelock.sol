// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title ChorusTimelock
/// @notice OpenZeppelin's TimelockController under a Chorus name, so the deploy scripts find its artifact. It
///         holds the governance roles of the Chorus contracts: every parameter change is scheduled, public for
///         `minDelay` seconds, then executed. It administers itself (no admin account).
contract ChorusTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors)
        TimelockController(minDelay, proposers, executors, address(0))
    {}
}
