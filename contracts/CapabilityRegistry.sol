// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ICapabilityRegistry} from "./interfaces/ICapabilityRegistry.sol";
import {Bits} from "./libraries/Bits.sol";

/// @title CapabilityRegistry
/// @notice Commit-reveal calibration suites graded on chain. See {ICapabilityRegistry}.
contract CapabilityRegistry is ICapabilityRegistry, AccessControl {
    /// @notice May publish suites and reveal their keys.
    bytes32 public constant CURATOR_ROLE = keccak256("CURATOR_ROLE");
    /// @notice Longest time a pass may stay valid.
    uint64 public constant MAX_VALIDITY = 365 days;
    /// @notice Largest number of items in a suite (one bit each in a uint256).
    uint256 public constant MAX_ITEMS = 256;

    struct Attempt {
        bytes32 commitment;
        uint16 score;
        AttemptStatus status; // None, Committed, Passed or Failed (Void is derived)
    }

    uint256 private _suiteCount;
    mapping(uint256 suiteId => Suite) private _suites;
    mapping(uint256 suiteId => mapping(address node => Attempt)) private _attempts;
    mapping(address node => Pass) private _passes;

    /// @param admin receives `DEFAULT_ADMIN_ROLE`.
    /// @param curator receives `CURATOR_ROLE`.
    constructor(address admin, address curator) {
        if (admin == address(0) || curator == address(0)) revert CapabilityZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(CURATOR_ROLE, curator);
    }

    // ---------------------------------------------------------------- curator

    /// @inheritdoc ICapabilityRegistry
    function publishSuite(SuiteParams calldata p) external onlyRole(CURATOR_ROLE) returns (uint256 suiteId) {
        if (p.itemCount == 0 || p.itemCount > MAX_ITEMS || p.passThreshold == 0 || p.passThreshold > p.itemCount) {
            revert CapabilityInvalidItems(p.itemCount, p.passThreshold);
        }
        if (!(block.timestamp < p.commitEnd && p.commitEnd < p.keyRevealEnd && p.keyRevealEnd < p.revealEnd)) {
            revert CapabilityInvalidWindows(block.timestamp, p.commitEnd, p.keyRevealEnd, p.revealEnd);
        }
        if (p.validity == 0 || p.validity > MAX_VALIDITY) revert CapabilityInvalidValidity(p.validity, MAX_VALIDITY);

        suiteId = ++_suiteCount;
        Suite storage s = _suites[suiteId];
        s.itemsCid = p.itemsCid;
        s.keyCommitment = p.keyCommitment;
        s.itemCount = p.itemCount;
        s.passThreshold = p.passThreshold;
        s.publishedAt = uint64(block.timestamp);
        s.commitEnd = p.commitEnd;
        s.keyRevealEnd = p.keyRevealEnd;
        s.revealEnd = p.revealEnd;
        s.validity = p.validity;
        emit SuitePublished(
            suiteId,
            p.itemsCid,
            p.itemCount,
            p.passThreshold,
            p.keyCommitment,
            p.commitEnd,
            p.keyRevealEnd,
            p.revealEnd,
            p.validity
        );
    }

    /// @inheritdoc ICapabilityRegistry
    function revealKey(uint256 suiteId, uint256 keyBits, bytes32 keySalt) external onlyRole(CURATOR_ROLE) {
        Suite storage s = _requireSuite(suiteId);
        if (s.keyRevealed) revert CapabilityKeyAlreadyRevealed(suiteId);
        if (block.timestamp < s.commitEnd || block.timestamp >= s.keyRevealEnd) {
            revert CapabilityKeyRevealClosed(suiteId, block.timestamp, s.commitEnd, s.keyRevealEnd);
        }
        bytes32 computed = keccak256(abi.encode(keyBits, keySalt));
        if (computed != s.keyCommitment) revert CapabilityKeyMismatch(suiteId, computed, s.keyCommitment);
        if (keyBits & ~Bits.lowMask(s.itemCount) != 0) revert CapabilityKeyOutOfRange(suiteId, s.itemCount);

        s.keyRevealed = true;
        s.key = keyBits;
        emit SuiteKeyRevealed(suiteId, keyBits);
    }

    // ---------------------------------------------------------------- nodes

    /// @inheritdoc ICapabilityRegistry
    function commit(uint256 suiteId, bytes32 commitment) external {
        Suite storage s = _requireSuite(suiteId);
        if (block.timestamp >= s.commitEnd) revert CapabilityCommitClosed(suiteId, block.timestamp, s.commitEnd);

        Attempt storage a = _attempts[suiteId][msg.sender];
        a.commitment = commitment;
        a.status = AttemptStatus.Committed;
        emit ChoicesCommitted(suiteId, msg.sender, commitment);
    }

    /// @inheritdoc ICapabilityRegistry
    function reveal(uint256 suiteId, uint256 choices, bytes32 salt) external {
        Suite storage s = _requireSuite(suiteId);
        if (!s.keyRevealed) revert CapabilityKeyNotRevealed(suiteId);
        if (block.timestamp >= s.revealEnd) revert CapabilityRevealClosed(suiteId, block.timestamp, s.revealEnd);
        Attempt storage a = _attempts[suiteId][msg.sender];
        if (a.status != AttemptStatus.Committed) revert CapabilityNotCommitted(suiteId, msg.sender);
        bytes32 computed = keccak256(abi.encode(choices, salt, msg.sender));
        if (computed != a.commitment) revert CapabilityCommitmentMismatch(suiteId, msg.sender, computed, a.commitment);

        // A correct choice is a bit equal to the key's bit; bits beyond the item count never count.
        uint16 score = uint16(Bits.popcount(~(choices ^ s.key) & Bits.lowMask(s.itemCount)));
        bool passed = score >= s.passThreshold;
        uint64 validUntil = passed ? uint64(block.timestamp) + s.validity : 0;
        a.score = score;
        a.status = passed ? AttemptStatus.Passed : AttemptStatus.Failed;
        // A pass replaces the node's current one only if it lasts longer (a fail never revokes a valid pass).
        if (passed && validUntil > _passes[msg.sender].validUntil) {
            _passes[msg.sender] = Pass({suiteId: uint64(suiteId), validUntil: validUntil, score: score});
        }
        emit CapabilityGraded(suiteId, msg.sender, choices, score, passed, validUntil);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICapabilityRegistry
    function isCapable(address node) external view returns (bool) {
        return block.timestamp < _passes[node].validUntil;
    }

    /// @inheritdoc ICapabilityRegistry
    function passOf(address node) external view returns (Pass memory) {
        return _passes[node];
    }

    /// @inheritdoc ICapabilityRegistry
    function suite(uint256 suiteId) external view returns (Suite memory) {
        return _requireSuite(suiteId);
    }

    /// @inheritdoc ICapabilityRegistry
    function suiteCount() external view returns (uint256) {
        return _suiteCount;
    }

    /// @inheritdoc ICapabilityRegistry
    function isVoid(uint256 suiteId) public view returns (bool) {
        Suite storage s = _requireSuite(suiteId);
        return !s.keyRevealed && block.timestamp >= s.keyRevealEnd;
    }

    /// @inheritdoc ICapabilityRegistry
    function attemptOf(uint256 suiteId, address node)
        external
        view
        returns (AttemptStatus status, uint16 score, bytes32 commitment)
    {
        Attempt storage a = _attempts[suiteId][node];
        (status, score, commitment) = (a.status, a.score, a.commitment);
        if (status == AttemptStatus.Committed) {
            if (isVoid(suiteId)) status = AttemptStatus.Void;
            else if (block.timestamp >= _suites[suiteId].revealEnd) status = AttemptStatus.Failed;
        }
    }

    // ---------------------------------------------------------------- internals

    function _requireSuite(uint256 suiteId) private view returns (Suite storage s) {
        s = _suites[suiteId];
        if (s.commitEnd == 0) revert CapabilityUnknownSuite(suiteId);
    }
}
