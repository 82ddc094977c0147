// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IChorusToken
/// @notice The ERC-20 that Chorus nodes and data sources stake. Supports EIP-2612 permit so that a node can
///         approve and stake in one transaction. Only holders of `MINTER_ROLE` may mint.
interface IChorusToken {
    /// @notice Mints `amount` tokens to `to`.
    /// @dev Reverts with `AccessControlUnauthorizedAccount` unless the caller holds `MINTER_ROLE`.
    function mint(address to, uint256 amount) external;
}
