// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IChorusToken} from "./interfaces/IChorusToken.sol";

/// @title ChorusToken
/// @notice Staking token of the Chorus swarm (symbol CHR, 18 decimals).
contract ChorusToken is IChorusToken, ERC20, ERC20Permit, AccessControl {
    /// @notice Role allowed to mint new tokens.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @param admin receives `DEFAULT_ADMIN_ROLE` and `MINTER_ROLE`.
    constructor(address admin) ERC20("Chorus", "CHR") ERC20Permit("Chorus") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @inheritdoc IChorusToken
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}
