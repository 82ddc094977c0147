// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICapabilityRegistry} from "./interfaces/ICapabilityRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {Bits} from "./libraries/Bits.sol";

/// @title CapabilityRegistry
/// @notice Commit-reveal calibration suites graded on chain, with bonded attempts, a guessing bound on every
///         suite and revocable passes. See {ICapabilityRegistry}.
contract CapabilityRegistry is ICapabilityRegistry, AccessControlDefaultAdminRules {
    using SafeERC20 for IERC20;

    /// @notice May publish suites and reveal their keys.
    bytes32 public constant CURATOR_ROLE = keccak256("CURATOR_ROLE");
    /// @notice May revoke a pass (once, within the revocation window).
    bytes32 public constant ARBITRATOR_ROLE = keccak256("ARBITRATOR_ROLE");
    /// @notice May set the bond terms within bounds (the timelock).
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice Longest time a pass may stay valid.
    uint64 public constant MAX_VALIDITY = 365 days;
    /// @notice Largest number of items in a suite (one bit each in a uint256).
    uint256 public constant MAX_ITEMS = 256;
    /// @notice The guessing bound 1000 (2t - n)^2 >= GUESS_BOUND_NUM * n: 83.083 >= 2 ln(2^40 * 10^6) = 83.0828.
    uint256 public constant GUESS_BOUND_NUM = 83_083;
    /// @notice Denominator of GUESS_BOUND_NUM.
    uint256 public constant GUESS_BOUND_DEN = 1_000;
    /// @notice Bounds of the attempt bond governance may set (token wei).
    uint256 public constant MIN_ATTEMPT_BOND = 1e18;
    /// @notice Upper bound of the attempt bond.
    uint256 public constant MAX_ATTEMPT_BOND = 1e24;
    /// @notice Smallest share of a failed attempt's bond forfeited.
    uint16 public constant MIN_FORFEIT_BPS = 100;
    uint16 private constant _BPS = 10_000;
    /// @notice Bounds of the revocation window.
    uint64 public constant MIN_REVOCATION_WINDOW = 60;
    /// @notice Upper bound of the revocation window.
    uint64 public constant MAX_REVOCATION_WINDOW = 90 days;

    struct Attempt {
        uint128 bond; // locked until the attempt is settled (0 once settled)
        uint16 score;
        AttemptStatus status; // None, Committed, Passed or Failed (Void is derived)
        bytes32 commitment;
    }

    INodeRegistry private immutable _registry;
    IERC20 private immutable _token;
    uint64 private immutable _revocationWindow;
    uint256 private _attemptBond;
    uint16 private _failForfeitBps;

    uint256 private _suiteCount;
    mapping(uint256 suiteId => Suite) private _suites;
    mapping(uint256 suiteId => mapping(address node => Attempt)) private _attempts;
    mapping(address node => Pass) private _passes;
    mapping(address node => uint64) private _revokedAt;
    mapping(address account => uint256) private _freeBond;
    mapping(address account => uint256) private _lockedBond;

    constructor(Init memory init) AccessControlDefaultAdminRules(init.adminDelay, init.admin) {
        if (
            init.curator == address(0) ||
            init.arbitrator == address(0) ||
            init.governor == address(0) ||
            init.registry == address(0)
        ) revert CapabilityZeroAddress();
        if (init.revocationWindow < MIN_REVOCATION_WINDOW || init.revocationWindow > MAX_REVOCATION_WINDOW) {
            revert CapabilityInvalidParameter(
                "revocationWindow",
                init.revocationWindow,
                MIN_REVOCATION_WINDOW,
                MAX_REVOCATION_WINDOW
            );
        }
        _registry = INodeRegistry(init.registry);
        _token = IERC20(INodeRegistry(init.registry).token());
        _revocationWindow = init.revocationWindow;
        _setBondTerms(init.attemptBond, init.failForfeitBps);
        _grantRole(CURATOR_ROLE, init.curator);
        _grantRole(ARBITRATOR_ROLE, init.arbitrator);
        _grantRole(GOVERNOR_ROLE, init.governor);
    }

    // ---------------------------------------------------------------- curator

    /// @inheritdoc ICapabilityRegistry
    function publishSuite(SuiteParams calldata p) external onlyRole(CURATOR_ROLE) returns (uint256 suiteId) {
        if (p.itemCount == 0 || p.itemCount > MAX_ITEMS || p.passThreshold == 0 || p.passThreshold > p.itemCount) {
            revert CapabilityInvalidItems(p.itemCount, p.passThreshold);
        }
        if (!_strongEnough(p.itemCount, p.passThreshold)) {
            revert CapabilitySuiteTooWeak(p.itemCount, p.passThreshold, minPassThreshold(p.itemCount));
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
    function postBond(uint256 amount) external {
        if (amount == 0) revert CapabilityInvalidParameter("amount", 0, 1, type(uint256).max);
        uint256 free = _freeBond[msg.sender] + amount;
        _freeBond[msg.sender] = free;
        emit BondPosted(msg.sender, amount, free);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ICapabilityRegistry
    function withdrawBond(uint256 amount) external {
        uint256 free = _freeBond[msg.sender];
        if (amount == 0 || amount > free) revert CapabilityInvalidParameter("amount", amount, 1, free);
        // unchecked: amount <= free was just checked
        unchecked {
            free -= amount;
        }
        _freeBond[msg.sender] = free;
        emit BondWithdrawn(msg.sender, amount, free);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ICapabilityRegistry
    function commit(uint256 suiteId, bytes32 commitment) external {
        Suite storage s = _requireSuite(suiteId);
        if (block.timestamp >= s.commitEnd) revert CapabilityCommitClosed(suiteId, block.timestamp, s.commitEnd);

        Attempt storage a = _attempts[suiteId][msg.sender];
        if (a.status == AttemptStatus.None) {
            // the first commit of this attempt locks the bond; a re-commit replaces the choices only
            uint256 need = _attemptBond;
            uint256 free = _freeBond[msg.sender];
            if (free < need) revert CapabilityBondTooLow(msg.sender, free, need);
            // unchecked: need <= free was just checked
            unchecked {
                _freeBond[msg.sender] = free - need;
            }
            _lockedBond[msg.sender] += need;
            a.bond = uint128(need); // need <= MAX_ATTEMPT_BOND < 2^128
        }
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
        _settleBond(suiteId, msg.sender, a, !passed);
    }

    /// @inheritdoc ICapabilityRegistry
    function settleAttempt(uint256 suiteId, address node) external {
        Suite storage s = _requireSuite(suiteId);
        Attempt storage a = _attempts[suiteId][node];
        if (a.status != AttemptStatus.Committed || a.bond == 0) revert CapabilityAttemptNotSettleable(suiteId, node);
        if (isVoid(suiteId)) {
            _settleBond(suiteId, node, a, false);
        } else if (s.keyRevealed && block.timestamp >= s.revealEnd) {
            a.status = AttemptStatus.Failed; // committed, never revealed
            _settleBond(suiteId, node, a, true);
        } else {
            revert CapabilityAttemptNotSettleable(suiteId, node);
        }
    }

    // ---------------------------------------------------------------- arbitration and governance

    /// @inheritdoc ICapabilityRegistry
    function revokePass(address node, bytes32 evidenceCid) external onlyRole(ARBITRATOR_ROLE) {
        Pass storage p = _passes[node];
        uint64 validUntil = p.validUntil;
        uint256 revocableUntil;
        // while valid and never revoked, validUntil = graded at + the suite's validity (a revocation ends it)
        if (block.timestamp < validUntil) {
            revocableUntil = uint256(validUntil) - _suites[p.suiteId].validity + _revocationWindow;
        }
        if (block.timestamp >= validUntil || block.timestamp > revocableUntil) {
            revert CapabilityNotRevocable(node, validUntil, revocableUntil);
        }
        uint64 nowTime = uint64(block.timestamp);
        p.validUntil = nowTime;
        _revokedAt[node] = nowTime;
        emit PassRevoked(node, p.suiteId, msg.sender, validUntil, nowTime, evidenceCid);
    }

    /// @inheritdoc ICapabilityRegistry
    function setBondTerms(uint256 attemptBond, uint16 failForfeitBps) external onlyRole(GOVERNOR_ROLE) {
        _setBondTerms(attemptBond, failForfeitBps);
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
    function minPassThreshold(uint256 itemCount) public pure returns (uint256) {
        for (uint256 t = itemCount / 2 + 1; t <= itemCount; ++t) if (_strongEnough(itemCount, t)) return t;
        return itemCount + 1;
    }

    /// @inheritdoc ICapabilityRegistry
    function bondOf(address account) external view returns (uint256 free, uint256 locked) {
        return (_freeBond[account], _lockedBond[account]);
    }

    /// @inheritdoc ICapabilityRegistry
    function bondTerms() external view returns (uint256 attemptBond, uint16 failForfeitBps) {
        return (_attemptBond, _failForfeitBps);
    }

    /// @inheritdoc ICapabilityRegistry
    function revocationWindow() external view returns (uint64) {
        return _revocationWindow;
    }

    /// @inheritdoc ICapabilityRegistry
    function revokedAt(address node) external view returns (uint64) {
        return _revokedAt[node];
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

    /// @dev Hoeffding: a guess passes with P <= exp(-(2t - n)^2 / (2n)); 1000 (2t-n)^2 >= 83083 n makes
    ///      10^6 * P < 2^-40. n <= 256 keeps every product far below 2^256.
    function _strongEnough(uint256 n, uint256 t) private pure returns (bool) {
        if (2 * t <= n) return false;
        uint256 margin = 2 * t - n;
        return GUESS_BOUND_DEN * margin * margin >= GUESS_BOUND_NUM * n;
    }

    /// @dev Unlocks an attempt's bond: all back to the free bond, or `failForfeitBps` of it to the treasury.
    function _settleBond(uint256 suiteId, address node, Attempt storage a, bool failed) private {
        uint256 bond = a.bond;
        if (bond == 0) return;
        uint256 forfeited = failed ? (bond * _failForfeitBps) / _BPS : 0;
        uint256 released = bond - forfeited;
        a.bond = 0;
        _lockedBond[node] -= bond;
        _freeBond[node] += released;
        emit AttemptBondSettled(suiteId, node, released, forfeited);
        if (forfeited != 0) _token.safeTransfer(_registry.treasury(), forfeited);
    }

    function _setBondTerms(uint256 attemptBond, uint16 failForfeitBps) private {
        if (attemptBond < MIN_ATTEMPT_BOND || attemptBond > MAX_ATTEMPT_BOND) {
            revert CapabilityInvalidParameter("attemptBond", attemptBond, MIN_ATTEMPT_BOND, MAX_ATTEMPT_BOND);
        }
        if (failForfeitBps < MIN_FORFEIT_BPS || failForfeitBps > _BPS) {
            revert CapabilityInvalidParameter("failForfeitBps", failForfeitBps, MIN_FORFEIT_BPS, _BPS);
        }
        _attemptBond = attemptBond;
        _failForfeitBps = failForfeitBps;
        emit BondTermsUpdated(attemptBond, failForfeitBps);
    }

    function _requireSuite(uint256 suiteId) private view returns (Suite storage s) {
        s = _suites[suiteId];
        if (s.commitEnd == 0) revert CapabilityUnknownSuite(suiteId);
    }
}
