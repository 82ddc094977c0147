// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IGoldRegistry} from "./interfaces/IGoldRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";

/// @title GoldRegistry
/// @notice Bonded, committed-then-revealed gold sets (known-answer items mixed into live traffic). See
///         {IGoldRegistry}.
contract GoldRegistry is IGoldRegistry, AccessControlDefaultAdminRules {
    using SafeERC20 for IERC20;

    /// @notice May void a set whose revealed key is wrong, while its bond is locked.
    bytes32 public constant ARBITRATOR_ROLE = keccak256("ARBITRATOR_ROLE");
    /// @notice Most items in a set (one bit each in a uint256).
    uint16 public constant MAX_ITEMS = 256;
    /// @notice Bounds of the set bond (token wei).
    uint256 public constant MIN_SET_BOND = 1e18;
    /// @notice Upper bound of the set bond.
    uint256 public constant MAX_SET_BOND = 1e24;
    /// @notice Bounds of the reveal and challenge windows (seconds).
    uint64 public constant MIN_WINDOW = 60;
    /// @notice Upper bound of the windows.
    uint64 public constant MAX_WINDOW = 90 days;

    INodeRegistry private immutable _registry;
    IERC20 private immutable _token;
    uint256 private immutable _setBond;
    uint64 private immutable _revealWindow;
    uint64 private immutable _challengeWindow;
    uint256 private immutable _periodLength;

    uint256 private _setCount;
    mapping(uint256 setId => GoldSet) private _sets;
    mapping(bytes32 promptHash => PromptReveal) private _prompts;
    mapping(address account => uint256) private _freeBond;
    mapping(address account => uint256) private _lockedBond;

    constructor(Init memory init) AccessControlDefaultAdminRules(init.adminDelay, init.admin) {
        if (init.arbitrator == address(0) || init.registry == address(0) || init.settlement == address(0)) {
            revert GoldZeroAddress();
        }
        if (init.setBond < MIN_SET_BOND || init.setBond > MAX_SET_BOND) {
            revert GoldInvalidParameter("setBond", init.setBond, MIN_SET_BOND, MAX_SET_BOND);
        }
        if (init.revealWindow < MIN_WINDOW || init.revealWindow > MAX_WINDOW) {
            revert GoldInvalidParameter("revealWindow", init.revealWindow, MIN_WINDOW, MAX_WINDOW);
        }
        if (init.challengeWindow < MIN_WINDOW || init.challengeWindow > MAX_WINDOW) {
            revert GoldInvalidParameter("challengeWindow", init.challengeWindow, MIN_WINDOW, MAX_WINDOW);
        }
        _registry = INodeRegistry(init.registry);
        _token = IERC20(INodeRegistry(init.registry).token());
        _setBond = init.setBond;
        _revealWindow = init.revealWindow;
        _challengeWindow = init.challengeWindow;
        _periodLength = ISettlement(init.settlement).periodLength();
        _grantRole(ARBITRATOR_ROLE, init.arbitrator);
    }

    // ---------------------------------------------------------------- bonds

    /// @inheritdoc IGoldRegistry
    function postBond(uint256 amount) external {
        if (amount == 0) revert GoldInvalidParameter("amount", 0, 1, type(uint256).max);
        uint256 free = _freeBond[msg.sender] + amount;
        _freeBond[msg.sender] = free;
        emit BondPosted(msg.sender, amount, free);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IGoldRegistry
    function withdrawBond(uint256 amount) external {
        uint256 free = _freeBond[msg.sender];
        if (amount == 0 || amount > free) revert GoldInvalidParameter("amount", amount, 1, free);
        // unchecked: amount <= free was just checked
        unchecked {
            free -= amount;
        }
        _freeBond[msg.sender] = free;
        emit BondWithdrawn(msg.sender, amount, free);
        _token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- sets

    /// @inheritdoc IGoldRegistry
    function commitSet(bytes32 root, uint16 itemCount) external returns (uint256 setId) {
        if (itemCount == 0 || itemCount > MAX_ITEMS) revert GoldInvalidParameter("itemCount", itemCount, 1, MAX_ITEMS);
        uint256 need = _setBond;
        uint256 free = _freeBond[msg.sender];
        if (free < need) revert GoldBondTooLow(msg.sender, free, need);
        // unchecked: need <= free was just checked
        unchecked {
            _freeBond[msg.sender] = free - need;
        }
        _lockedBond[msg.sender] += need;

        setId = ++_setCount;
        uint64 revealEnd = uint64(block.timestamp) + _revealWindow;
        GoldSet storage s = _sets[setId];
        s.curator = msg.sender;
        s.itemCount = itemCount;
        s.status = SetStatus.Committed;
        s.committedAt = uint64(block.timestamp);
        s.revealEnd = revealEnd;
        s.releaseAt = revealEnd + _challengeWindow;
        s.bond = uint128(need); // need <= MAX_SET_BOND < 2^128
        s.root = root;
        emit GoldSetCommitted(setId, msg.sender, root, itemCount, revealEnd, need);
    }

    /// @inheritdoc IGoldRegistry
    function revealItem(
        uint256 setId,
        uint16 index,
        bytes32 promptHash,
        string calldata answer,
        bytes32 salt,
        uint32 roundPeriod,
        bytes32[] calldata proof
    ) external {
        GoldSet storage s = _requireSet(setId);
        if (msg.sender != s.curator) revert GoldNotCurator(setId, msg.sender, s.curator);
        _checkRevealable(s, setId, index, roundPeriod);
        _checkLeaf(s, setId, index, promptHash, answer, salt, proof);
        emit GoldItemRevealed(setId, index, promptHash, answer, roundPeriod);
        _recordReveal(s, setId, index, promptHash, roundPeriod);
    }

    /// @inheritdoc IGoldRegistry
    function forfeitSet(uint256 setId) external {
        GoldSet storage s = _requireSet(setId);
        if (s.status != SetStatus.Committed) revert GoldSetNotOpen(setId, s.status);
        if (block.timestamp < s.revealEnd) revert GoldTooEarly(setId, block.timestamp, s.revealEnd);
        s.status = SetStatus.Forfeited;
        uint256 amount = _unlock(s);
        emit GoldSetForfeited(setId, s.curator, amount, s.revealed, s.itemCount);
        _token.safeTransfer(_registry.treasury(), amount);
    }

    /// @inheritdoc IGoldRegistry
    function releaseSet(uint256 setId) external {
        GoldSet storage s = _requireSet(setId);
        if (s.status != SetStatus.Complete) revert GoldSetNotOpen(setId, s.status);
        if (block.timestamp < s.releaseAt) revert GoldTooEarly(setId, block.timestamp, s.releaseAt);
        s.status = SetStatus.Released;
        uint256 amount = _unlock(s);
        _freeBond[s.curator] += amount;
        emit GoldSetReleased(setId, s.curator, amount);
    }

    /// @inheritdoc IGoldRegistry
    function voidSet(uint256 setId, bytes32 evidenceCid) external onlyRole(ARBITRATOR_ROLE) {
        GoldSet storage s = _requireSet(setId);
        if (s.status != SetStatus.Committed && s.status != SetStatus.Complete) revert GoldSetNotOpen(setId, s.status);
        if (block.timestamp >= s.releaseAt) revert GoldChallengeClosed(setId, block.timestamp, s.releaseAt);
        s.status = SetStatus.Void;
        uint256 amount = _unlock(s);
        emit GoldSetVoided(setId, s.curator, amount, evidenceCid);
        _token.safeTransfer(_registry.treasury(), amount);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IGoldRegistry
    function leafOf(
        address curator,
        uint16 index,
        bytes32 promptHash,
        string calldata answer,
        bytes32 salt
    ) external view returns (bytes32) {
        return _leaf(curator, index, promptHash, answer, salt);
    }

    /// @inheritdoc IGoldRegistry
    function setOf(uint256 setId) external view returns (GoldSet memory) {
        return _sets[setId];
    }

    /// @inheritdoc IGoldRegistry
    function setCount() external view returns (uint256) {
        return _setCount;
    }

    /// @inheritdoc IGoldRegistry
    function earliestRoundPeriod(uint256 setId) external view returns (uint256) {
        return _earliestRoundPeriod(_requireSet(setId));
    }

    /// @inheritdoc IGoldRegistry
    function promptReveal(bytes32 promptHash) external view returns (PromptReveal memory) {
        return _prompts[promptHash];
    }

    /// @inheritdoc IGoldRegistry
    function bondOf(address account) external view returns (uint256 free, uint256 locked) {
        return (_freeBond[account], _lockedBond[account]);
    }

    /// @inheritdoc IGoldRegistry
    function params() external view returns (uint256 setBond, uint64 revealWindow, uint64 challengeWindow) {
        return (_setBond, _revealWindow, _challengeWindow);
    }

    // ---------------------------------------------------------------- internal

    function _requireSet(uint256 setId) private view returns (GoldSet storage s) {
        s = _sets[setId];
        if (s.status == SetStatus.None) revert GoldUnknownSet(setId);
    }

    /// @dev The set is open, the item in range and not revealed, and the curator waited: the round began two
    ///      full weight periods after the commit at the earliest, and not after now.
    function _checkRevealable(GoldSet storage s, uint256 setId, uint16 index, uint32 roundPeriod) private view {
        if (s.status != SetStatus.Committed) revert GoldSetNotOpen(setId, s.status);
        if (block.timestamp >= s.revealEnd) revert GoldRevealClosed(setId, block.timestamp, s.revealEnd);
        if (index >= s.itemCount) revert GoldItemOutOfRange(setId, index, s.itemCount);
        if (s.revealedBits & (uint256(1) << index) != 0) revert GoldItemAlreadyRevealed(setId, index);
        uint256 earliest = _earliestRoundPeriod(s);
        if (roundPeriod < earliest) revert GoldRoundTooEarly(setId, index, roundPeriod, earliest);
        uint256 current = block.timestamp / _periodLength;
        if (roundPeriod > current) revert GoldRoundInFuture(setId, index, roundPeriod, current);
    }

    /// @dev The prompt was never revealed, and the leaf proves into the set's root.
    function _checkLeaf(
        GoldSet storage s,
        uint256 setId,
        uint16 index,
        bytes32 promptHash,
        string calldata answer,
        bytes32 salt,
        bytes32[] calldata proof
    ) private view {
        PromptReveal storage first = _prompts[promptHash];
        if (first.setId != 0) revert GoldItemReplayed(promptHash, first.setId, first.index);
        bytes32 leaf = _leaf(s.curator, index, promptHash, answer, salt);
        if (!MerkleProof.verifyCalldata(proof, s.root, leaf)) revert GoldRevealMismatch(setId, index, leaf, s.root);
    }

    /// @dev Marks the item revealed, records the prompt's reveal, completes the set on its last item.
    function _recordReveal(
        GoldSet storage s,
        uint256 setId,
        uint16 index,
        bytes32 promptHash,
        uint32 roundPeriod
    ) private {
        s.revealedBits |= uint256(1) << index;
        uint16 revealed = s.revealed + 1;
        s.revealed = revealed;
        _prompts[promptHash] = PromptReveal({
            setId: setId,
            index: index,
            revealedAt: uint64(block.timestamp),
            roundPeriod: roundPeriod
        });
        if (revealed == s.itemCount) {
            s.status = SetStatus.Complete;
            emit GoldSetCompleted(setId, s.releaseAt);
        }
    }

    function _earliestRoundPeriod(GoldSet storage s) private view returns (uint256) {
        return uint256(s.committedAt) / _periodLength + 2;
    }

    /// @dev Takes the set's bond out of its curator's locked bond; the caller decides where it goes.
    function _unlock(GoldSet storage s) private returns (uint256 amount) {
        amount = s.bond;
        s.bond = 0;
        _lockedBond[s.curator] -= amount;
    }

    function _leaf(
        address curator,
        uint16 index,
        bytes32 promptHash,
        string calldata answer,
        bytes32 salt
    ) private view returns (bytes32) {
        bytes32 inner = keccak256(
            abi.encode(block.chainid, address(this), curator, index, promptHash, keccak256(bytes(answer)), salt)
        );
        return keccak256(bytes.concat(inner));
    }
}
