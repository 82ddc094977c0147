// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {ISourceRegistry} from "./interfaces/ISourceRegistry.sol";
import {FixedPoint} from "./libraries/FixedPoint.sol";

/// @title SourceRegistry
/// @notice Registration and scores of data sources. See {ISourceRegistry}.
contract SourceRegistry is ISourceRegistry, AccessControl {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice May set scores (the settlement contract).
    bytes32 public constant SCORER_ROLE = keccak256("SCORER_ROLE");
    /// @notice Longest endpoint URL accepted, in bytes.
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;

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

    /// @param admin receives `DEFAULT_ADMIN_ROLE` (and grants `SCORER_ROLE` to settlement).
    constructor(address admin) {
        if (admin == address(0)) revert SourceRegistryZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
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
        uint256 h = _requireActive(msg.sender);
        _heads[msg.sender] = h & ~_ACTIVE;
        _active.remove(msg.sender);
        emit SourceLeft(msg.sender);
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

    function _requireActive(address source) private view returns (uint256 h) {
        h = _heads[source];
        if (h & _ACTIVE == 0) revert SourceRegistryNotActive(source);
    }

    function _checkEndpoint(string calldata endpoint) private pure {
        uint256 len = bytes(endpoint).length;
        if (len == 0 || len > MAX_ENDPOINT_LENGTH) revert SourceRegistryInvalidEndpoint(len, MAX_ENDPOINT_LENGTH);
    }
}
