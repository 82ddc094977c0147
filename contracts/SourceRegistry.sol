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

    mapping(address source => Source) private _sources;
    EnumerableSet.AddressSet private _active;

    /// @param admin receives `DEFAULT_ADMIN_ROLE` (and grants `SCORER_ROLE` to settlement).
    constructor(address admin) {
        if (admin == address(0)) revert SourceRegistryZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- sources

    /// @inheritdoc ISourceRegistry
    function register(string calldata endpoint, bytes32 manifestCid) external {
        Source storage s = _sources[msg.sender];
        if (s.active) revert SourceRegistryAlreadyActive(msg.sender);
        _checkEndpoint(endpoint);

        if (!s.registered) {
            s.registered = true;
            s.reliability = uint32(FixedPoint.INITIAL);
            s.usefulness = uint32(FixedPoint.INITIAL);
        }
        s.active = true;
        s.registeredAt = uint64(block.timestamp);
        s.manifestCid = manifestCid;
        s.endpoint = endpoint;
        _active.add(msg.sender);
        emit SourceRegistered(msg.sender, endpoint, manifestCid);
    }

    /// @inheritdoc ISourceRegistry
    function update(string calldata endpoint, bytes32 manifestCid) external {
        Source storage s = _requireActive(msg.sender);
        _checkEndpoint(endpoint);
        s.manifestCid = manifestCid;
        s.endpoint = endpoint;
        emit SourceUpdated(msg.sender, endpoint, manifestCid);
    }

    /// @inheritdoc ISourceRegistry
    function leave() external {
        Source storage s = _requireActive(msg.sender);
        s.active = false;
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
        for (uint256 i; i < n; ++i) {
            Source storage s = _sources[sources[i]];
            if (!s.active) revert SourceRegistryNotActive(sources[i]);
            if (reliability[i] > FixedPoint.SCALE || usefulness[i] > FixedPoint.SCALE) {
                revert SourceRegistryScoreOutOfRange(sources[i], reliability[i], usefulness[i]);
            }
            s.reliability = reliability[i];
            s.usefulness = usefulness[i];
            s.updatedAt = uint64(block.timestamp);
        }
        emit SourceScoresUpdated(epoch, sources, reliability, usefulness);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ISourceRegistry
    function sourceOf(address source) external view returns (Source memory) {
        return _sources[source];
    }

    /// @inheritdoc ISourceRegistry
    function scoresOf(address[] calldata sources) external view returns (Score[] memory scores) {
        scores = new Score[](sources.length);
        for (uint256 i; i < sources.length; ++i) {
            Source storage s = _sources[sources[i]];
            scores[i] = s.registered
                ? Score({active: s.active, reliability: s.reliability, usefulness: s.usefulness})
                : Score({active: false, reliability: uint32(FixedPoint.INITIAL), usefulness: uint32(FixedPoint.INITIAL)});
        }
    }

    /// @inheritdoc ISourceRegistry
    function isActive(address source) external view returns (bool) {
        return _sources[source].active;
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

    function _requireActive(address source) private view returns (Source storage s) {
        s = _sources[source];
        if (!s.active) revert SourceRegistryNotActive(source);
    }

    function _checkEndpoint(string calldata endpoint) private pure {
        uint256 len = bytes(endpoint).length;
        if (len == 0 || len > MAX_ENDPOINT_LENGTH) revert SourceRegistryInvalidEndpoint(len, MAX_ENDPOINT_LENGTH);
    }
}
