// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IChorusToken} from "./interfaces/IChorusToken.sol";

/// @title ChorusToken
/// @notice Staking token of the Chorus swarm (symbol CHR, 18 decimals), with a hard supply cap. See {IChorusToken}.
contract ChorusToken is IChorusToken, ERC20Capped, ERC20Permit, AccessControlDefaultAdminRules {
    /// @notice Role allowed to mint new tokens, up to the cap and until minting closes.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    bool private _mintingClosed;

    /// @param admin receives `DEFAULT_ADMIN_ROLE` (two-step transfer after `adminDelay` seconds).
    /// @param minter receives `MINTER_ROLE`.
    /// @param supplyCap the most tokens that can ever exist (token wei).
    constructor(address admin, uint48 adminDelay, address minter, uint256 supplyCap)
        ERC20("Chorus", "CHR")
        ERC20Capped(supplyCap)
        ERC20Permit("Chorus")
        AccessControlDefaultAdminRules(adminDelay, admin)
    {
        _grantRole(MINTER_ROLE, minter);
    }

    /// @inheritdoc IChorusToken
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        if (_mintingClosed) revert ChorusTokenMintingClosed();
        _mint(to, amount);
    }

    /// @inheritdoc IChorusToken
    function closeMinting() external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_mintingClosed) revert ChorusTokenMintingClosed();
        _mintingClosed = true;
        emit MintingClosed(totalSupply());
    }

    /// @inheritdoc IChorusToken
    function mintingClosed() external view returns (bool) {
        return _mintingClosed;
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped) {
        super._update(from, to, value);
    }
}
