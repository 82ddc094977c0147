// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISettlement
/// @notice Batched, quorum-signed settlement of round records, and the on-chain reputation of nodes.
///
///         A round record (EIP-712 type `RoundRecord`, domain "Chorus Settlement" / "1" / chain id / this
///         contract) names the round id, the query and transcript CIDs, the participants, the winner, one
///         reputation delta per participant (|delta| <= 50_000) and the data sources' deltas. It settles only
///         with signatures of participants holding at least 2/3 of the participants' stake
///         (3 * signedStake >= 2 * totalStake), every participant being active in the NodeRegistry and capable
///         in the CapabilityRegistry. Each source delta also needs the source's own EIP-712 `SourceService`
///         signature over the CID of what it served in that round.
///
///         Round id = coordinator address (high 160 bits) | 96-bit sequence. Replay protection: a coordinator's
///         rounds settle in strictly increasing sequence; a round whose sequence is not above the coordinator's
///         last settled one is rejected (settled already, or skipped for good). Only the coordinator of a round,
///         or an account with `SETTLER_ROLE`, may settle it.
///
///         `settleEpoch` takes the epoch's tables of unique nodes and sources (each sorted by increasing
///         address) and the packed records: uint16 record count, then runs of one coordinator's records:
///           run:    address coordinator | uint16 records in the run | records
///           record: uint96 seq | bytes32 queryCid | bytes32 transcriptCid |
///                   uint8 n | n x uint8 node-table index (strictly increasing) | uint8 winner position (< n) |
///                   n x int32 delta |
///                   uint8 m | m x (uint8 source-table index (strictly increasing) | int32 reliability |
///                                  int32 usefulness | bytes32 servedCid | 64-byte source signature) |
///                   uint8 k | k x uint8 signer position (strictly increasing, < n) | k x 64-byte signature
///         Signatures are EIP-2098 compact: r | (yParity << 255 | s), with s in the lower half of the order.
///         src/chain/records.ts `encodeEpoch` builds it.
interface ISettlement {
    /// @notice One source's score deltas in a round, and the CID of what it served.
    struct SourceDelta {
        address source;
        int32 reliability;
        int32 usefulness;
        bytes32 servedCid;
    }

    /// @notice A round record as signed by the committee (EIP-712 `RoundRecord`). Participants (with their
    ///         deltas) and sources are sorted by strictly increasing address.
    struct RoundRecord {
        bytes32 roundId;
        bytes32 queryCid;
        bytes32 transcriptCid;
        address winner;
        address[] participants;
        int32[] deltas;
        SourceDelta[] sources;
    }

    // ---------------------------------------------------------------- errors
    /// @notice The zero address was given where a contract or account is required.
    error SettlementZeroAddress();
    /// @notice The epoch holds no record.
    error SettlementEmptyEpoch();
    /// @notice A table (nodes or sources) has `length` entries; at most `max` are allowed.
    error SettlementTableTooLarge(uint256 length, uint256 max);
    /// @notice Table entry `index` (`account`) is not above the one before it: tables are sorted, no duplicates.
    error SettlementTableNotSorted(uint256 index, address account);
    /// @notice `node` may not take part: it must be active (staked) and capable.
    error SettlementNodeNotEligible(address node, bool active, bool capable);
    /// @notice `source` is not an active source.
    error SettlementSourceNotActive(address source);
    /// @notice The packed records are malformed (they end early, a run is empty or too long, or bytes are
    ///         left over) at byte `offset` of `length`.
    error SettlementMalformedRecords(uint256 offset, uint256 length);
    /// @notice The sequence of `roundId` is not above `lastSeq`, its coordinator's last settled sequence (or
    ///         the previous one of the run): settled already, out of order, or skipped for good.
    error SettlementRoundReplayed(bytes32 roundId, uint96 lastSeq);
    /// @notice `sender` is neither `coordinator` nor a settler, so it may not settle `coordinator`'s rounds.
    error SettlementNotCoordinator(address coordinator, address sender);
    /// @notice A record of `roundId` has no participants.
    error SettlementEmptyRound(bytes32 roundId);
    /// @notice A record of `roundId` refers to table entry (or position) `index` of a table of `length`.
    error SettlementIndexOutOfRange(bytes32 roundId, uint256 index, uint256 length);
    /// @notice The participants (or sources) of `roundId` must be strictly increasing by address: `account` is
    ///         not above the one before it (a duplicate, or out of order).
    error SettlementEntriesNotSorted(bytes32 roundId, address account);
    /// @notice The delta `delta` of `account` in `roundId` exceeds the bound `bound` in absolute value.
    error SettlementDeltaOutOfBounds(bytes32 roundId, address account, int256 delta, int256 bound);
    /// @notice Signer positions of `roundId` must strictly increase; `position` does not.
    error SettlementSignersNotSorted(bytes32 roundId, uint256 position);
    /// @notice The signature at a position of `roundId` recovers to `recovered`, not the participant `expected`.
    error SettlementBadSignature(bytes32 roundId, address expected, address recovered);
    /// @notice The service statement of `source` for `roundId` recovers to `recovered`.
    error SettlementBadSourceSignature(bytes32 roundId, address source, address recovered);
    /// @notice Signers of `roundId` hold `signedStake` of the participants' `totalStake`; 2/3 is needed.
    error SettlementQuorumNotReached(bytes32 roundId, uint256 signedStake, uint256 totalStake);

    // ---------------------------------------------------------------- events
    /// @notice Round `roundId` settled; its transcript is `transcriptCid`. `deltas` packs, in record order:
    ///         uint8 n | n x uint8 node index | uint8 winner position | n x int32 delta |
    ///         m x (uint8 source index | int32 reliability delta | int32 usefulness delta).
    ///         Indices refer to the epoch's tables: the `nodes` of the `EpochSettled` event that follows the
    ///         epoch's `RoundSettled` events in the same transaction, and the `sources` of
    ///         `ISourceRegistry.SourceScoresUpdated` after it. Scores move by these deltas in record order,
    ///         clamped to [0, 1_000_000], to the values those events report. src/chain/records.ts
    ///         `decodeRoundDeltas` unpacks it.
    event RoundSettled(bytes32 indexed roundId, bytes32 transcriptCid, bytes deltas);
    /// @notice Epoch `epoch` settled `rounds` rounds (the `RoundSettled` events just before this one);
    ///         `recordsCommitment` commits to their record digests; `nodes` is the epoch's node table and
    ///         `reputations` their reputations after it.
    event EpochSettled(
        uint256 indexed epoch,
        address indexed settler,
        uint256 rounds,
        bytes32 recordsCommitment,
        address[] nodes,
        uint32[] reputations
    );

    // ---------------------------------------------------------------- settlement
    /// @notice Settle an epoch of packed round records (format above). Reverts as a whole on any invalid
    ///         record. Returns the epoch number (1, 2, ...). `RoundSettled` is emitted as each record passes
    ///         its checks; the scores it explains are stored before the call returns (or nothing is, if a
    ///         later record fails).
    function settleEpoch(address[] calldata nodes, address[] calldata sources, bytes calldata records)
        external
        returns (uint256 epoch);

    // ---------------------------------------------------------------- views
    /// @notice Reputation of `node` in [0, 1_000_000] (250_000 if never settled: `FixedPoint.INITIAL_REPUTATION`).
    function reputationOf(address node) external view returns (uint256);
    /// @notice Reputations of many nodes.
    function reputationsOf(address[] calldata nodes) external view returns (uint256[] memory);
    /// @notice Highest sequence number settled for rounds coordinated by `coordinator`.
    function lastSequence(address coordinator) external view returns (uint96);
    /// @notice True when `roundId` can no longer settle (settled, or its coordinator settled a later round).
    function isClosed(bytes32 roundId) external view returns (bool);
    /// @notice Number of epochs settled.
    function epochCount() external view returns (uint256);
    /// @notice Commitment to the record digests of `epoch` (see `recordsCommitment`) and when it settled
    ///         (zeros for an unknown epoch).
    function epochInfo(uint256 epoch) external view returns (bytes32 commitment, uint64 settledAt);
    /// @notice The commitment stored for an epoch whose records have these EIP-712 digests, in order:
    ///         keccak256 of the concatenated digests with its low 40 bits cleared.
    function recordsCommitment(bytes32[] calldata digests) external pure returns (bytes32);
    /// @notice The EIP-712 digest that participants sign for `record`.
    function recordDigest(RoundRecord calldata record) external view returns (bytes32);
    /// @notice The EIP-712 digest a source signs for what it served (`servedCid`) in `roundId`.
    function serviceDigest(bytes32 roundId, bytes32 servedCid) external view returns (bytes32);
    /// @notice The EIP-712 domain separator of this contract.
    function domainSeparator() external view returns (bytes32);
    /// @notice The NodeRegistry whose stakes weigh the quorum.
    function nodeRegistry() external view returns (address);
    /// @notice The CapabilityRegistry whose passes admit nodes.
    function capabilityRegistry() external view returns (address);
    /// @notice The SourceRegistry whose scores this contract moves.
    function sourceRegistry() external view returns (address);
}
