// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISettlement
/// @notice Batched settlement of round records signed by a committee the contract checks was drawn by the
///         protocol's rule, and the on-chain reputation of nodes.
///
///         Committees. Time is cut into weight periods of `periodLength()` seconds. A coordinator first reserves a
///         batch of consecutive sequence numbers (`openBatch`); the batch's seed is the hash of the block after the
///         reservation (`fixSeed`), so the coordinator is bound to its rounds before it can know their committees.
///         Round `roundId = coordinator << 96 | seq` has seed `keccak256(batchSeed, roundId)`; a node holds
///         `floor(share + u)` seats in it (see {Sortition}), its stake, the total stake, the minimum stake, its
///         capability and its reputation read as they were when the batch's weight period began. A record must list
///         every node with a seat (anyone proves an omission with `proveOmission`) and no other; it needs at least
///         `minCommittee()` members, and signatures of members holding at least 2/3 of the record's seats.
///
///         Sequences. Only an active, capable node opens batches. A coordinator's rounds settle in consecutive
///         sequence; a round that cannot settle (it failed, or its seed expired) is voided with `voidRounds`, by
///         opening the next batch, or by anyone with `closeExpiredBatch` once the batch expired. Each void spends
///         `VOID_COST` credits; each settled round earns one (up to `MAX_CREDIT`); a void without the credits costs
///         the coordinator `VOID_PENALTY` reputation and `VOID_SLASH_BPS` of its stake. A batch's records settle
///         while the current period is at most the batch's period + 1.
///
///         A round record (EIP-712 type `RoundRecord`, domain "Chorus Settlement" / "1" / chain id / this
///         contract) names the round id, its seed and weight period, the query and transcript CIDs, the
///         participants, the winner, one reputation delta per participant (|delta| <= 50_000) and the data sources'
///         deltas. Each source delta also needs the source's own EIP-712 `SourceService` signature over the CID of
///         what it served in that round (the round id names the coordinator). A source that left before settlement
///         is skipped with `SourceSkipped`.
///
///         `settleEpoch` takes the weight period of all its records, the epoch's tables of unique nodes and sources
///         (each sorted by increasing address) and the packed records: uint16 record count, then runs of one
///         coordinator's records:
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
    // The field order is the EIP-712 type's: it is never stored, so packing does not apply.
    // solhint-disable-next-line gas-struct-packing
    struct RoundRecord {
        bytes32 roundId;
        bytes32 seed;
        uint32 period;
        bytes32 queryCid;
        bytes32 transcriptCid;
        address winner;
        address[] participants;
        int32[] deltas;
        SourceDelta[] sources;
    }

    /// @notice An epoch's pending net deltas, as `EpochSettled` reported them: per node of its node table (sorted),
    ///         the sum of its deltas over the epoch's rounds; per source of its source table, the sums of its
    ///         reliability and usefulness deltas.
    struct EpochDeltas {
        address[] nodes;
        int32[] deltas;
        address[] sources;
        int32[] reliability;
        int32[] usefulness;
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
    /// @notice A parameter is outside its bounds.
    error SettlementParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);
    /// @notice `node`, listed in `roundId`, holds no seat in its committee (share `share` of 2^128 seats).
    error SettlementNotDrawn(bytes32 roundId, address node, uint256 share);
    /// @notice `roundId` lists `members` members; a committee needs at least `minimum`.
    error SettlementCommitteeTooSmall(bytes32 roundId, uint256 members, uint256 minimum);
    /// @notice `coordinator`'s batch belongs to weight period `batchPeriod`, not to the epoch's `period`.
    error SettlementWrongPeriod(address coordinator, uint256 batchPeriod, uint256 period);
    /// @notice Records of weight period `period` settle only while the current period is at most `period + 1`;
    ///         it is `current`.
    error SettlementPeriodExpired(uint256 period, uint256 current);
    /// @notice The epoch's period `period` has not begun (current period `current`).
    error SettlementFuturePeriod(uint256 period, uint256 current);
    /// @notice `coordinator`'s batch seed comes from block `seedBlock`, not yet mined (block `blockNumber`).
    error SettlementSeedNotReady(address coordinator, uint256 seedBlock, uint256 blockNumber);
    /// @notice `coordinator`'s batch seed block `seedBlock` is more than 256 blocks old (block `blockNumber`): the
    ///         batch can only be voided.
    error SettlementSeedExpired(address coordinator, uint256 seedBlock, uint256 blockNumber);
    /// @notice `coordinator` has no open batch.
    error SettlementNoBatch(address coordinator);
    /// @notice A batch holds 1..`max` rounds; `count` was asked.
    error SettlementBadBatchSize(uint256 count, uint256 max);
    /// @notice Voiding through sequence `throughSeq` is not possible: the last closed sequence is `lastSeq` and the
    ///         batch ends at `batchEnd`.
    error SettlementBadVoid(uint256 throughSeq, uint256 lastSeq, uint256 batchEnd);
    /// @notice Only an active, capable node may reserve rounds; `account` is not one.
    error SettlementNotCoordinatorNode(address account);
    /// @notice `coordinator`'s batch of weight period `period` can still settle (current period `current`).
    error SettlementBatchNotExpired(address coordinator, uint256 period, uint256 current);
    /// @notice `roundId` was voided already (by an omission proof).
    error SettlementRoundVoided(bytes32 roundId);
    /// @notice Only the omission-proof and dispute contracts may void a settled round; `sender` is neither.
    error SettlementNotVoider(address sender);
    /// @notice The voiding contracts are set already, to `omissions` and `disputes`.
    error SettlementVoidersAlreadySet(address omissions, address disputes);
    /// @notice `epoch` is not pending: unknown, or final already.
    error SettlementEpochNotPending(uint256 epoch);
    /// @notice The delta tables given for `epoch` hash to `computed`, not to what it settled with.
    error SettlementDeltasMismatch(uint256 epoch, bytes32 computed);
    /// @notice `epoch` can still have rounds voided (omission proofs, disputes) until `readyAt`; it is `now`.
    error SettlementEpochNotReady(uint256 epoch, uint256 now, uint256 readyAt);
    /// @notice `given` voided rounds' deltas were given for `epoch`, which has `voided` (or they are not those, in
    ///         void order).
    error SettlementVoidedMismatch(uint256 epoch, uint256 given, uint256 voided);
    /// @notice A voided round's deltas name `account`, which its epoch's tables do not hold.
    error SettlementAccountNotInEpoch(address account);
    /// @notice The omission-proof and dispute contracts are not set yet: no epoch can become final.
    error SettlementVoidersNotSet();
    /// @notice The packed records are malformed (they end early, a run is empty or too long, or bytes are
    ///         left over) at byte `offset` of `length`.
    error SettlementMalformedRecords(uint256 offset, uint256 length);
    /// @notice The sequence of `roundId` is not `lastSeq + 1` (its coordinator's last closed sequence, or the
    ///         previous one of the run, plus one) within the batch ending at `batchEnd`: settled or voided already,
    ///         out of order, or not reserved.
    error SettlementRoundReplayed(bytes32 roundId, uint96 lastSeq, uint256 batchEnd);
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
    /// @notice Signers of `roundId` hold `signedSeats` of the committee's `totalSeats`; 2/3 is needed.
    error SettlementQuorumNotReached(bytes32 roundId, uint256 signedSeats, uint256 totalSeats);

    // ---------------------------------------------------------------- events
    /// @notice Round `roundId` settled; its transcript is `transcriptCid`. `deltas` packs, in record order:
    ///         uint8 n | n x uint8 node index | uint8 winner position | n x int32 delta |
    ///         m x (uint8 source index | int32 reliability delta | int32 usefulness delta).
    ///         Indices refer to the epoch's tables: the `nodes` and `sources` of the `EpochSettled` event that
    ///         follows the epoch's `RoundSettled` events in the same transaction. The deltas are pending: they count
    ///         in the epoch's net deltas (`EpochSettled`) and move scores only when the epoch becomes final, unless
    ///         the round is voided first. src/chain/records.ts `decodeRoundDeltas` unpacks it.
    event RoundSettled(bytes32 indexed roundId, bytes32 transcriptCid, bytes deltas);
    /// @notice Epoch `epoch` settled `rounds` rounds (the `RoundSettled` events just before this one);
    ///         `recordsCommitment` commits to their record digests; `nodes` and `sources` are the epoch's tables
    ///         and `deltas`, `reliability`, `usefulness` their pending net deltas (the sums over its rounds).
    event EpochSettled(
        uint256 indexed epoch,
        address indexed settler,
        uint256 rounds,
        bytes32 recordsCommitment,
        address[] nodes,
        int32[] deltas,
        address[] sources,
        int32[] reliability,
        int32[] usefulness
    );
    /// @notice Epoch `epoch`'s net deltas, less those of its `voidedRounds` voided rounds, took effect: `nodes` have
    ///         the final `reputations` (each moved once by its net delta, clamped to [0, 1_000_000]); the scores
    ///         of its sources still active moved the same way (`ISourceRegistry.SourceScoresUpdated`).
    event EpochFinalized(
        uint256 indexed epoch, address indexed finalizer, uint256 voidedRounds, address[] nodes, uint32[] reputations
    );

    /// @notice `coordinator` reserved sequences `firstSeq`..`lastSeq`, weighed at period `period`, seeded by the
    ///         hash of block `seedBlock`.
    event BatchOpened(address indexed coordinator, uint64 firstSeq, uint64 lastSeq, uint64 seedBlock, uint32 period);
    /// @notice The seed of `coordinator`'s current batch was fixed.
    event SeedFixed(address indexed coordinator, uint64 seedBlock, bytes32 seed);
    /// @notice `coordinator` voided sequences `fromSeq`..`throughSeq`; `penalty` reputation was taken for voids
    ///         beyond its credit, which is now `credit`.
    event RoundsVoided(address indexed coordinator, uint64 fromSeq, uint64 throughSeq, uint256 penalty, uint256 credit);
    /// @notice `source` had left when epoch `epoch` became final: its deltas were not applied.
    event SourceSkipped(uint256 indexed epoch, address indexed source);
    /// @notice Settled round `roundId` of pending epoch `epoch` was voided (a proven omission or an upheld dispute):
    ///         its deltas will not take effect, and its coordinator lost `penalty` reputation.
    event RoundVoided(uint256 indexed epoch, bytes32 indexed roundId, uint256 penalty);
    /// @notice The contracts that may void settled rounds were set (once, for good).
    event VoidersSet(address omissions, address disputes);

    // ---------------------------------------------------------------- batches
    /// @notice Reserve the next `count` sequence numbers of the caller (voiding what is left of its current batch)
    ///         for the current weight period; the seed is the hash of the next block.
    function openBatch(uint256 count) external;
    /// @notice Fix the seed of `coordinator`'s batch from its seed block (anyone; within 256 blocks).
    function fixSeed(address coordinator) external returns (bytes32 seed);
    /// @notice Void the caller's sequences after its last closed one, through `throughSeq`.
    function voidRounds(uint64 throughSeq) external;
    /// @notice Void what is left of `coordinator`'s batch once it can no longer settle (its period + 1 is over, or
    ///         its seed was never fixed within 256 blocks). Anyone; the voids are charged as usual.
    function closeExpiredBatch(address coordinator) external;

    // ---------------------------------------------------------------- settlement
    /// @notice Settle an epoch of packed round records (format above). Reverts as a whole on any invalid
    ///         record. Returns the epoch number (1, 2, ...). `RoundSettled` is emitted as each record passes
    ///         its checks. The epoch is pending: its net deltas (`EpochSettled`) take effect with `finalizeEpoch`
    ///         once no round of it can be voided any more.
    function settleEpoch(uint32 period, address[] calldata nodes, address[] calldata sources, bytes calldata records)
        external
        returns (uint256 epoch);

    /// @notice Make pending `epoch` final (anyone): given its tables and net deltas `d` as `EpochSettled` reported
    ///         them and the deltas of its voided rounds in void order (`RoundVoided`), each as delta tables of one
    ///         round (its participants and deltas, its sources and theirs, as its `RoundSettled` event holds them),
    ///         each node's reputation and each active
    ///         source's scores move once by its net delta less the voided rounds' deltas, clamped to
    ///         [0, 1_000_000]. Possible from `epochStatus(epoch).finalAt`: when the weight period after the epoch's
    ///         has ended (omission proofs are closed) and the dispute contract's `finalAfter` has passed (its
    ///         window, and the deadline of every dispute opened on the epoch).
    function finalizeEpoch(uint256 epoch, EpochDeltas calldata d, EpochDeltas[] calldata voided) external;

    /// @notice Void settled round `record` of pending `epoch`: its deltas will not take effect (`finalizeEpoch` takes
    ///         them out) and its coordinator loses `penalty` reputation now. Only the omission-proof contract (a
    ///         proven omission) and the dispute contract (an upheld dispute), once per round.
    function voidSettledRound(uint256 epoch, RoundRecord calldata record, uint256 penalty) external;
    /// @notice Set the omission-proof and dispute contracts that may void settled rounds (only
    ///         `DEFAULT_ADMIN_ROLE`, once).
    function setVoiders(address omissions_, address disputes_) external;

    // ---------------------------------------------------------------- views
    /// @notice Final reputation of `node` in [0, 1_000_000] (250_000 if never settled:
    ///         `FixedPoint.INITIAL_REPUTATION`). Deltas of pending epochs are not in it (see `EpochSettled`).
    function reputationOf(address node) external view returns (uint256);
    /// @notice Reputations of many nodes.
    function reputationsOf(address[] calldata nodes) external view returns (uint256[] memory);
    /// @notice Highest sequence number settled or voided for rounds coordinated by `coordinator`.
    function lastSequence(address coordinator) external view returns (uint96);
    /// @notice True when `roundId` can no longer settle (settled or voided).
    function isClosed(bytes32 roundId) external view returns (bool);
    /// @notice True when `roundId` was voided by an omission proof after it settled.
    function isVoided(bytes32 roundId) external view returns (bool);
    /// @notice `coordinator`'s current batch: last closed sequence, last reserved sequence, seed block, weight
    ///         period, seed (0 until fixed) and void credit.
    function batchOf(address coordinator)
        external
        view
        returns (uint64 lastSeq, uint64 batchEnd, uint64 seedBlock, uint32 period, bytes32 seed, uint32 credit);
    /// @notice Seconds per weight period; period p begins at `p * periodLength()`.
    function periodLength() external view returns (uint256);
    /// @notice The current weight period.
    function currentPeriod() external view returns (uint32);
    /// @notice Expected seats of a committee (tau).
    function committeeSeats() external view returns (uint256);
    /// @notice Fewest members a record may list.
    function minCommittee() external view returns (uint256);
    /// @notice Reputation of `node` when weight period `period` began; `known` is false when it is too old.
    function reputationAt(address node, uint32 period) external view returns (uint256 reputation, bool known);
    /// @notice Seats of `node` in the round seeded `seed` of weight period `period`, as settlement judges them
    ///         (`strict`: and only if its capability pass was granted before the period began, as omission proofs
    ///         judge them).
    function seatsOf(address node, bytes32 seed, uint32 period, bool strict) external view returns (uint256 seats);
    /// @notice The omission-proof and dispute contracts that may void settled rounds (0 until set).
    function voiders() external view returns (address omissions_, address disputes_);
    /// @notice Whether `epoch` settled and is final; for a pending one, from when it can be made final (`finalAt`,
    ///         0 otherwise); and how many of its rounds were voided.
    function epochStatus(uint256 epoch)
        external
        view
        returns (bool settled, bool isFinal, uint256 finalAt, uint256 voidedRounds);
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
