// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IChorusToken
/// @notice The ERC-20 that Chorus nodes and data sources stake. Supports EIP-2612 permit so that a node can
///         approve and stake in one transaction.
///
///         Minting is capped: total supply can never exceed `cap()` (fixed at deployment), whatever
///         `MINTER_ROLE` does, and `DEFAULT_ADMIN_ROLE` (the timelock) may close minting for good with
///         `closeMinting` (the deploy scripts do it right after the genesis mint when asked to). No role can
///         reopen minting, raise the cap, or move anyone's tokens.
interface IChorusToken {
    /// @notice Minting was closed for good.
    error ChorusTokenMintingClosed();

    /// @notice Minting was closed for good at total supply `supply`.
    event MintingClosed(uint256 supply);

    /// @notice Mints `amount` tokens to `to`.
    /// @dev Reverts with `AccessControlUnauthorizedAccount` unless the caller holds `MINTER_ROLE`, with
    ///      `ERC20ExceededCap` past the cap, and with `ChorusTokenMintingClosed` once minting is closed.
    function mint(address to, uint256 amount) external;

    /// @notice Close minting for good (only `DEFAULT_ADMIN_ROLE`).
    function closeMinting() external;

    /// @notice True once minting is closed.
    function mintingClosed() external view returns (bool);
}
