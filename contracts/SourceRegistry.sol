// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {ISourceRegistry} from "./interfaces/ISourceRegistry.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {FixedPoint} from "./libraries/FixedPoint.sol";

/// @title SourceRegistry
/// @notice Registration, bonds and scores of data sources. See {ISourceRegistry}.
contract SourceRegistry is ISourceRegistry, AccessControlDefaultAdminRules {
    using EnumerableSet for EnumerableSet.AddressSet;
    using SafeERC20 for IERC20;

    /// @notice May set scores (the settlement contract).
    bytes32 public constant SCORER_ROLE = keccak256("SCORER_ROLE");
    /// @notice May forfeit source bonds.
    bytes32 public constant ARBITRATOR_ROLE = keccak256("ARBITRATOR_ROLE");
    /// @notice May set the minimum bond within bounds (the timelock).
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice Longest endpoint URL accepted, in bytes.
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;
    /// @notice Smallest minimum bond governance may set (token wei).
    uint256 public constant MIN_BOND = 1e18;
    /// @notice Largest minimum bond governance may set (token wei).
    uint256 public constant MAX_BOND = 1e24;
    /// @notice Shortest unbonding delay (the shortest dispute window Disputes accepts).
    uint64 public constant MIN_UNBONDING_DELAY = 60;
    /// @notice Longest unbonding delay.
    uint64 public constant MAX_UNBONDING_DELAY = 365 days;

    INodeRegistry private immutable _registry;
    IERC20 private immutable _token;
    uint64 private immutable _unbondingDelay;
    uint256 private _minBond;
    mapping(address source => Bond) private _bonds;

    /// @dev Per source, one word: registered (bit 0) | active (bit 1) | reliability (bits 8..39) |
    ///      usefulness (bits 40..71) | registeredAt (bits 72..135) | updatedAt (bits 136..199).
    mapping(address source => uint256) private _heads;
    mapping(address source => Profile) private _profiles;
    EnumerableSet.AddressSet private _active;

    struct Profile {
        bytes32 manifestCid;
        string endpoint;
    }

    uint256 private constant _REGISTERED = 1;
    uint256 private constant _ACTIVE = 2;
    uint256 private constant _REL_SHIFT = 8;
    uint256 private constant _USE_SHIFT = 40;
    uint256 private constant _REGISTERED_AT_SHIFT = 72;
    uint256 private constant _UPDATED_AT_SHIFT = 136;
    uint256 private constant _SCORES_MASK = ((uint256(1) << 64) - 1) << _REL_SHIFT;
    uint256 private constant _UPDATED_AT_MASK = uint256(type(uint64).max) << _UPDATED_AT_SHIFT;

    /// @notice `init.admin` receives `DEFAULT_ADMIN_ROLE` (and grants `SCORER_ROLE` to settlement).
    constructor(Init memory init) AccessControlDefaultAdminRules(init.adminDelay, init.admin) {
        if (init.arbitrator == address(0) || init.governor == address(0) || init.registry == address(0)) {
            revert SourceRegistryZeroAddress();
        }
        if (init.unbondingDelay < MIN_UNBONDING_DELAY || init.unbondingDelay > MAX_UNBONDING_DELAY) {
            revert SourceRegistryInvalidParameter(
                "unbondingDelay",
                init.unbondingDelay,
                MIN_UNBONDING_DELAY,
                MAX_UNBONDING_DELAY
            );
        }
        _registry = INodeRegistry(init.registry);
        _token = IERC20(INodeRegistry(init.registry).token());
        _unbondingDelay = init.unbondingDelay;
        _setMinBond(init.minBond);
        _grantRole(ARBITRATOR_ROLE, init.arbitrator);
        _grantRole(GOVERNOR_ROLE, init.governor);
    }

    // ---------------------------------------------------------------- sources

    /// @inheritdoc ISourceRegistry
    function register(string calldata endpoint, bytes32 manifestCid) external {
        uint256 h = _heads[msg.sender];
        if (h & _ACTIVE != 0) revert SourceRegistryAlreadyActive(msg.sender);
        _checkEndpoint(endpoint);

        if (h & _REGISTERED == 0) {
            h =
                _REGISTERED |
                (FixedPoint.INITIAL_SOURCE_SCORE << _REL_SHIFT) |
                (FixedPoint.INITIAL_SOURCE_SCORE << _USE_SHIFT);
        }
        uint256 keep = h & (_SCORES_MASK | _UPDATED_AT_MASK | _REGISTERED);
        _heads[msg.sender] = keep | _ACTIVE | (block.timestamp << _REGISTERED_AT_SHIFT);
        _profiles[msg.sender] = Profile({manifestCid: manifestCid, endpoint: endpoint});
        _active.add(msg.sender);
        emit SourceRegistered(msg.sender, endpoint, manifestCid);

        Bond storage b = _bonds[msg.sender];
        uint256 held = b.amount;
        uint256 need = _minBond;
        b.unlocksAt = 0; // locked while active
        if (held < need) {
            // unchecked: held < need
            uint256 topUp;
            unchecked {
                topUp = need - held;
            }
            b.amount = uint128(need); // need <= MAX_BOND < 2^128
            emit SourceBondPosted(msg.sender, topUp, need);
            _token.safeTransferFrom(msg.sender, address(this), topUp);
        }
    }

    /// @inheritdoc ISourceRegistry
    function update(string calldata endpoint, bytes32 manifestCid) external {
        _requireActive(msg.sender);
        _checkEndpoint(endpoint);
        _profiles[msg.sender] = Profile({manifestCid: manifestCid, endpoint: endpoint});
        emit SourceUpdated(msg.sender, endpoint, manifestCid);
    }

    /// @inheritdoc ISourceRegistry
    function leave() external {
        _deactivate(msg.sender, _requireActive(msg.sender));
    }

    /// @inheritdoc ISourceRegistry
    function withdrawBond() external {
        Bond storage b = _bonds[msg.sender];
        uint256 amount = b.amount;
        uint256 unlocksAt = b.unlocksAt;
        if (amount == 0 || unlocksAt == 0 || block.timestamp < unlocksAt) {
            revert SourceRegistryBondLocked(msg.sender, amount, unlocksAt, block.timestamp);
        }
        delete _bonds[msg.sender];
        emit SourceBondWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- arbitration and governance

    /// @inheritdoc ISourceRegistry
    function forfeitBond(address source, uint256 amount, bytes32 evidenceCid) external onlyRole(ARBITRATOR_ROLE) {
        Bond storage b = _bonds[source];
        uint256 held = b.amount;
        if (amount == 0 || amount > held) revert SourceRegistryForfeitExceedsBond(source, held, amount);
        uint256 remaining;
        // unchecked: amount <= held was just checked
        unchecked {
            remaining = held - amount;
        }
        b.amount = uint128(remaining);
        emit SourceBondForfeited(source, msg.sender, amount, remaining, evidenceCid);
        uint256 h = _heads[source];
        if (h & _ACTIVE != 0 && remaining < _minBond) _deactivate(source, h);
        _token.safeTransfer(_registry.treasury(), amount);
    }

    /// @inheritdoc ISourceRegistry
    function setMinBond(uint256 minBond_) external onlyRole(GOVERNOR_ROLE) {
        _setMinBond(minBond_);
    }

    // ---------------------------------------------------------------- settlement

    /// @inheritdoc ISourceRegistry
    function setScores(
        uint256 epoch,
        address[] calldata sources,
        uint32[] calldata reliability,
        uint32[] calldata usefulness
    ) external onlyRole(SCORER_ROLE) {
        uint256 n = sources.length;
        if (reliability.length != n || usefulness.length != n) {
            revert SourceRegistryLengthMismatch(n, reliability.length, usefulness.length);
        }
        uint256 stamp = block.timestamp << _UPDATED_AT_SHIFT;
        for (uint256 i; i < n; ++i) {
            address source = sources[i];
            uint256 h = _heads[source];
            if (h & _ACTIVE == 0) revert SourceRegistryNotActive(source);
            uint256 rel = reliability[i];
            uint256 use = usefulness[i];
            if (rel > FixedPoint.SCALE || use > FixedPoint.SCALE) {
                revert SourceRegistryScoreOutOfRange(source, rel, use);
            }
            _heads[source] =
                (h & ~(_SCORES_MASK | _UPDATED_AT_MASK)) | (rel << _REL_SHIFT) | (use << _USE_SHIFT) | stamp;
        }
        emit SourceScoresUpdated(epoch, sources, reliability, usefulness);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ISourceRegistry
    function sourceOf(address source) external view returns (Source memory) {
        uint256 h = _heads[source];
        Profile storage p = _profiles[source];
        return Source({
            registered: h & _REGISTERED != 0,
            active: h & _ACTIVE != 0,
            reliability: uint32(h >> _REL_SHIFT),
            usefulness: uint32(h >> _USE_SHIFT),
            registeredAt: uint64(h >> _REGISTERED_AT_SHIFT),
            updatedAt: uint64(h >> _UPDATED_AT_SHIFT),
            manifestCid: p.manifestCid,
            endpoint: p.endpoint
        });
    }

    /// @inheritdoc ISourceRegistry
    function scoresOf(address[] calldata sources) external view returns (Score[] memory scores) {
        scores = new Score[](sources.length);
        for (uint256 i; i < sources.length; ++i) {
            uint256 p = _packed(sources[i]);
            scores[i] = Score({active: p >> 64 != 0, reliability: uint32(p), usefulness: uint32(p >> 32)});
        }
    }

    /// @inheritdoc ISourceRegistry
    function packedScoresOf(address[] calldata sources) external view returns (uint256[] memory packed) {
        packed = new uint256[](sources.length);
        for (uint256 i; i < sources.length; ++i) packed[i] = _packed(sources[i]);
    }

    /// @inheritdoc ISourceRegistry
    function isActive(address source) external view returns (bool) {
        return _heads[source] & _ACTIVE != 0;
    }

    /// @inheritdoc ISourceRegistry
    function bondOf(address source) external view returns (Bond memory) {
        return _bonds[source];
    }

    /// @inheritdoc ISourceRegistry
    function minBond() external view returns (uint256) {
        return _minBond;
    }

    /// @inheritdoc ISourceRegistry
    function unbondingDelay() external view returns (uint64) {
        return _unbondingDelay;
    }

    /// @inheritdoc ISourceRegistry
    function activeCount() external view returns (uint256) {
        return _active.length();
    }

    /// @inheritdoc ISourceRegistry
    function activeSources(uint256 offset, uint256 limit) external view returns (address[] memory out) {
        uint256 total = _active.length();
        if (offset >= total) return new address[](0);
        uint256 end = total - offset < limit ? total : offset + limit;
        out = new address[](end - offset);
        for (uint256 i = offset; i < end; ++i) out[i - offset] = _active.at(i);
    }

    // ---------------------------------------------------------------- internals

    /// @dev reliability | usefulness << 32 | active << 64; the initial scores for a source never registered.
    function _packed(address source) private view returns (uint256) {
        uint256 h = _heads[source];
        if (h & _REGISTERED == 0) return FixedPoint.INITIAL_SOURCE_SCORE | (FixedPoint.INITIAL_SOURCE_SCORE << 32);
        uint256 rel = (h >> _REL_SHIFT) & 0xffffffff;
        uint256 use = (h >> _USE_SHIFT) & 0xffffffff;
        return rel | (use << 32) | (((h & _ACTIVE) >> 1) << 64);
    }

    /// @dev Out of the active set; its bond starts unbonding.
    function _deactivate(address source, uint256 h) private {
        _heads[source] = h & ~_ACTIVE;
        _active.remove(source);
        uint64 unlocksAt = uint64(block.timestamp) + _unbondingDelay;
        Bond storage b = _bonds[source];
        b.unlocksAt = unlocksAt;
        emit SourceLeft(source);
        emit SourceBondUnlocking(source, b.amount, unlocksAt);
    }

    function _setMinBond(uint256 value) private {
        if (value < MIN_BOND || value > MAX_BOND) {
            revert SourceRegistryInvalidParameter("minBond", value, MIN_BOND, MAX_BOND);
        }
        emit MinBondUpdated(_minBond, value);
        _minBond = value;
    }

    function _requireActive(address source) private view returns (uint256 h) {
        h = _heads[source];
        if (h & _ACTIVE == 0) revert SourceRegistryNotActive(source);
    }

    function _checkEndpoint(string calldata endpoint) private pure {
        uint256 len = bytes(endpoint).length;
        if (len == 0 || len > MAX_ENDPOINT_LENGTH) revert SourceRegistryInvalidEndpoint(len, MAX_ENDPOINT_LENGTH);
    }
}
