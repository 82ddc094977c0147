// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title Multicall3 (aggregate3 only)
 * @notice The `aggregate3` entry point of Multicall3 (mds1/multicall, deployed at
 *         0xcA11bde05977b3631167028862bE2a173976CA11 on public chains), for the devnet and tests, where no
 *         Multicall3 exists: viem's `batch.multicall` sends a node's per-node reads through it as one eth_call.
 */
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice A call that was not allowed to fail failed.
    error Multicall3CallFailed(uint256 index);

    /// @notice Runs every call; reverts when one with `allowFailure == false` fails.
    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData) {
        returnData = new Result[](calls.length);
        for (uint256 i = 0; i < calls.length; i++) {
            // solhint-disable-next-line avoid-low-level-calls
            (bool success, bytes memory ret) = calls[i].target.call(calls[i].callData);
            if (!success && !calls[i].allowFailure) revert Multicall3CallFailed(i);
            returnData[i] = Result(success, ret);
        }
    }
}
