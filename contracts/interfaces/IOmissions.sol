// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISettlement} from "./ISettlement.sol";

/// @title IOmissions
/// @notice Anyone proves that a settled round left out a node the committee rule drew. The record is located in
///         its epoch by the epoch's commitment (all of the epoch's record digests and the record's index), as
///         disputes do; membership is then checked in O(1): the node is not listed and holds a seat at the record's
///         seed and weight period, with its capability pass granted before that period began. The round is voided
///         (its deltas reversed), its coordinator loses `REPUTATION_PENALTY` reputation and `SLASH_BPS` of its
///         stake, all to the treasury: no reward, so a proof is not worth front-running and an omitting coordinator
///         gains nothing by proving its own omission. Proofs are accepted while the current weight period is at
///         most the record's period + 1 (the reputation history the check needs is kept that long).
interface IOmissions {
    /// @notice The epoch `epoch` does not commit to these digests, or digest `index` is not the record's `digest`.
    error OmissionsRecordNotInEpoch(uint256 epoch, uint256 index, bytes32 digest);
    /// @notice `node` is listed in `roundId`: it was not omitted.
    error OmissionsNodeListed(bytes32 roundId, address node);
    /// @notice `node` holds no seat in `roundId` (as omission proofs judge it): it was not omitted.
    error OmissionsNotDrawn(bytes32 roundId, address node);
    /// @notice Proofs for weight period `period` closed; the current period is `current`.
    error OmissionsWindowClosed(uint256 period, uint256 current);
    /// @notice The zero address was given where a contract is required.
    error OmissionsZeroAddress();

    /// @notice `prover` proved that `roundId` (epoch `epoch`) left out `node`, which held `seats` seats; its
    ///         coordinator lost `slashed` stake.
    event OmissionProven(
        uint256 indexed epoch,
        bytes32 indexed roundId,
        address indexed node,
        address prover,
        uint256 seats,
        uint256 slashed
    );

    /// @notice Prove that `record`, digest `epochDigests[index]` of `epoch`, left out `node`.
    function proveOmission(
        uint256 epoch,
        bytes32[] calldata epochDigests,
        uint256 index,
        ISettlement.RoundRecord calldata record,
        address node
    ) external returns (uint256 slashed);
}
