// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title CoordinatorBatches
/// @notice The sequence state of coordinators in {Settlement}: batches of consecutive sequence numbers reserved before
///         their seed exists, the seed fixed from the block after the reservation, and voids paid for with credit.
///         See {ISettlement} for the rules.
abstract contract CoordinatorBatches is ISettlement {
    /// @notice Largest batch of sequence numbers one reservation takes.
    uint256 public constant MAX_BATCH = 1024;
    /// @notice Credits one void spends, one settled round earns; the most a coordinator holds; what it starts with.
    uint256 public constant VOID_COST = 16;
    uint256 public constant MAX_CREDIT = 256;
    uint256 public constant INITIAL_CREDIT = 16;
    /// @notice Per void without credit, the coordinator loses this reputation and the larger of this share of its
    ///         stake and this share of the minimum stake (bps), so a coalition can neither draw batches under spare
    ///         identities and abandon the ones it did not capture, nor make that cheap by splitting its stake.
    uint256 public constant VOID_PENALTY = 5_000;
    uint256 public constant VOID_SLASH_BPS = 50;
    uint256 public constant VOID_FINE_MIN_STAKE_BPS = 500;

    uint256 private constant _BLOCKHASH_WINDOW = 256;

    /// @dev A coordinator's sequences and current batch, one storage word.
    struct Coordinator {
        uint64 lastSeq; // last settled or voided sequence
        uint64 batchEnd; // last reserved sequence
        uint64 seedBlock; // the block whose hash seeds the batch
        uint32 period; // the batch's weight period
        uint32 credit; // void credit
    }

    mapping(address coordinator => Coordinator) private _coordinators;
    mapping(address coordinator => bytes32) private _batchSeeds;

    // ---------------------------------------------------------------- batches

    /// @inheritdoc ISettlement
    function openBatch(uint256 count) external {
        if (count == 0 || count > MAX_BATCH) revert SettlementBadBatchSize(count, MAX_BATCH);
        if (!_canCoordinate(msg.sender)) revert SettlementNotCoordinatorNode(msg.sender);
        Coordinator memory c = _coordinators[msg.sender];
        if (c.batchEnd == 0) c.credit = uint32(INITIAL_CREDIT);
        if (c.lastSeq < c.batchEnd) _void(msg.sender, c, c.batchEnd);
        // unchecked: lastSeq < 2^64 - MAX_BATCH for any realistic history (one sequence per round).
        unchecked {
            c.batchEnd = c.lastSeq + uint64(count);
            c.seedBlock = uint64(block.number + 1);
        }
        c.period = _currentPeriod();
        _coordinators[msg.sender] = c;
        delete _batchSeeds[msg.sender];
        emit BatchOpened(msg.sender, c.lastSeq + 1, c.batchEnd, c.seedBlock, c.period);
    }

    /// @inheritdoc ISettlement
    function fixSeed(address coordinator) external returns (bytes32 seed) {
        seed = _batchSeeds[coordinator];
        if (seed == 0) seed = _fixSeed(coordinator, _coordinators[coordinator]);
    }

    /// @inheritdoc ISettlement
    function closeExpiredBatch(address coordinator) external {
        Coordinator memory c = _coordinators[coordinator];
        if (c.lastSeq == c.batchEnd) revert SettlementBadVoid(c.batchEnd, c.lastSeq, c.batchEnd);
        bool seedLost = _batchSeeds[coordinator] == 0 && block.number > uint256(c.seedBlock) + _BLOCKHASH_WINDOW;
        if (!seedLost && _currentPeriod() <= uint256(c.period) + 1) {
            revert SettlementBatchNotExpired(coordinator, c.period, _currentPeriod());
        }
        _void(coordinator, c, c.batchEnd);
        _coordinators[coordinator] = c;
    }

    /// @inheritdoc ISettlement
    function voidRounds(uint64 throughSeq) external {
        Coordinator memory c = _coordinators[msg.sender];
        if (throughSeq <= c.lastSeq || throughSeq > c.batchEnd) {
            revert SettlementBadVoid(throughSeq, c.lastSeq, c.batchEnd);
        }
        _void(msg.sender, c, throughSeq);
        _coordinators[msg.sender] = c;
    }

    /// @dev Closes `c`'s sequences through `throughSeq`, spending credit and taking reputation beyond it.
    function _void(address coordinator, Coordinator memory c, uint64 throughSeq) private {
        uint256 count = throughSeq - c.lastSeq;
        uint256 covered = c.credit / VOID_COST;
        if (covered > count) covered = count;
        uint256 unpaid = count - covered;
        uint256 penalty = unpaid * VOID_PENALTY;
        // unchecked: covered * VOID_COST <= credit.
        unchecked {
            c.credit -= uint32(covered * VOID_COST);
        }
        if (unpaid > 0) {
            _addReputation(coordinator, -int256(penalty));
            _slashForVoids(coordinator, unpaid);
        }
        emit RoundsVoided(coordinator, c.lastSeq + 1, throughSeq, penalty, c.credit);
        c.lastSeq = throughSeq;
    }

    function _fixSeed(address coordinator, Coordinator memory c) private returns (bytes32 seed) {
        if (c.batchEnd == 0) revert SettlementNoBatch(coordinator);
        if (block.number <= c.seedBlock) revert SettlementSeedNotReady(coordinator, c.seedBlock, block.number);
        if (block.number - c.seedBlock > _BLOCKHASH_WINDOW) {
            revert SettlementSeedExpired(coordinator, c.seedBlock, block.number);
        }
        seed = blockhash(c.seedBlock);
        _batchSeeds[coordinator] = seed;
        emit SeedFixed(coordinator, c.seedBlock, seed);
    }

    /// @inheritdoc ISettlement
    function lastSequence(address coordinator) external view returns (uint96) {
        return _coordinators[coordinator].lastSeq;
    }
    /// @inheritdoc ISettlement
    function isClosed(bytes32 roundId) external view returns (bool) {
        return uint96(uint256(roundId)) <= _coordinators[address(uint160(uint256(roundId) >> 96))].lastSeq;
    }
    /// @inheritdoc ISettlement
    function batchOf(address coordinator)
        external
        view
        returns (uint64 lastSeq, uint64 batchEnd, uint64 seedBlock, uint32 period, bytes32 seed, uint32 credit)
    {
        Coordinator memory c = _coordinators[coordinator];
        return (c.lastSeq, c.batchEnd, c.seedBlock, c.period, _batchSeeds[coordinator], c.credit);
    }

    /// @dev The current weight period (Settlement.currentPeriod).
    function _currentPeriod() internal view virtual returns (uint32);

    /// @dev Moves `node`'s stored reputation by `delta` (clamped).
    function _addReputation(address node, int256 delta) internal virtual;

    /// @dev True when `node` may reserve rounds now: active (staked) and capable.
    function _canCoordinate(address node) internal view virtual returns (bool);

    /// @dev Slashes `coordinator` for `unpaid` voids it had no credit for (VOID_SLASH_BPS / VOID_FINE_MIN_STAKE_BPS).
    function _slashForVoids(address coordinator, uint256 unpaid) internal virtual;

    /// @dev A run of `coordinator`'s records in weight period `period` begins: its last closed sequence, its batch's
    ///      end and seed (fixed now if it was not yet).
    function _runBatch(address coordinator, uint256 period)
        internal
        returns (uint64 lastSeq, uint64 batchEnd, bytes32 seed)
    {
        Coordinator memory c = _coordinators[coordinator];
        if (c.batchEnd == 0) revert SettlementNoBatch(coordinator);
        if (c.period != period) revert SettlementWrongPeriod(coordinator, c.period, period);
        seed = _batchSeeds[coordinator];
        if (seed == 0) seed = _fixSeed(coordinator, c);
        return (c.lastSeq, c.batchEnd, seed);
    }

    /// @dev A run of `coordinator`'s records ended at sequence `last` after settling `settled` rounds: each earns a
    ///      credit, up to MAX_CREDIT.
    function _closeRun(address coordinator, uint64 last, uint256 settled) internal {
        Coordinator storage c = _coordinators[coordinator];
        uint256 credit = c.credit + settled;
        c.lastSeq = last;
        c.credit = uint32(credit < MAX_CREDIT ? credit : MAX_CREDIT);
    }
}
