// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IOmissions} from "./interfaces/IOmissions.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

/// @title Omissions
/// @notice Omission proofs against settled rounds. See {IOmissions}.
contract Omissions is IOmissions {
    /// @notice Reputation the coordinator of a round with a proven omission loses (FixedPoint.MAX_DELTA).
    uint256 public constant REPUTATION_PENALTY = 50_000;
    /// @notice Share of the coordinator's stake (staked and thawing) slashed, in basis points.
    uint256 public constant SLASH_BPS = 1_000;
    uint256 private constant _BPS = 10_000;

    ISettlement private immutable _settlement;
    INodeRegistry private immutable _registry;

    constructor(address settlement_, address registry_) {
        if (settlement_ == address(0) || registry_ == address(0)) revert OmissionsZeroAddress();
        _settlement = ISettlement(settlement_);
        _registry = INodeRegistry(registry_);
    }

    /// @inheritdoc IOmissions
    function proveOmission(
        uint256 epoch,
        bytes32[] calldata epochDigests,
        uint256 index,
        ISettlement.RoundRecord calldata record,
        address node
    ) external returns (uint256 slashed) {
        bytes32 roundId = record.roundId;
        uint256 current = _settlement.currentPeriod();
        if (current > uint256(record.period) + 1) revert OmissionsWindowClosed(record.period, current);
        bytes32 digest = _settlement.recordDigest(record);
        (bytes32 stored,) = _settlement.epochInfo(epoch);
        if (
            stored == 0 || index >= epochDigests.length || epochDigests[index] != digest
                || _settlement.recordsCommitment(epochDigests) != stored
        ) revert OmissionsRecordNotInEpoch(epoch, index, digest);
        for (uint256 i; i < record.participants.length; ++i) {
            if (record.participants[i] == node) revert OmissionsNodeListed(roundId, node);
        }
        uint256 seats = _settlement.seatsOf(node, record.seed, record.period, true);
        if (seats == 0) revert OmissionsNotDrawn(roundId, node);

        address coordinator = address(uint160(uint256(roundId) >> 96));
        INodeRegistry.NodeInfo memory info = _registry.nodeInfo(coordinator);
        slashed = (uint256(info.staked) + info.thawing) * SLASH_BPS / _BPS;
        emit OmissionProven(epoch, roundId, node, msg.sender, seats, slashed);
        // voidSettledRound reverts for a round voided already: one proof per round
        _settlement.voidSettledRound(epoch, record, REPUTATION_PENALTY);
        if (slashed > 0) _registry.slash(coordinator, slashed, "omission", record.transcriptCid);
    }
}
