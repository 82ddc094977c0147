// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ICapabilityRegistry} from "./interfaces/ICapabilityRegistry.sol";
import {ISourceRegistry} from "./interfaces/ISourceRegistry.sol";
import {IDisputes} from "./interfaces/IDisputes.sol";
import {FixedPoint} from "./libraries/FixedPoint.sol";
import {RecordHashing} from "./libraries/RecordHashing.sol";
import {EpochCodec} from "./libraries/EpochCodec.sol";
import {NodeWords} from "./libraries/NodeWords.sol";
import {Sortition} from "./libraries/Sortition.sol";
import {EpochFinality} from "./libraries/EpochFinality.sol";
import {CoordinatorBatches} from "./base/CoordinatorBatches.sol";

// Assembly here reads calldata and memory words of the packed epoch and the node table, and writes node words:
// the settlement gas budget (see scripts/gas/settlement.ts) is met only this way.
// solhint-disable no-inline-assembly

/// @title Settlement
/// @notice Settles epochs of round records signed by sortition-drawn committees and keeps node reputation. See
///         {ISettlement}.
/// @dev Gas design: each unique node and source is checked and read once per epoch and written once at the
///      end (deltas are applied in record order, with clamping, in memory tables); a node's expected seats for the
///      epoch's weight period are computed once, so a member costs one hash per record; participants are table
///      indices; signatures are compared with the participant at the stated position; replay protection is one
///      packed word per coordinator; one event per round carries all its deltas. The per-record work is in
///      {EpochCodec}; batches, voids and omission proofs in {SettlementBatches}.
contract Settlement is ISettlement, AccessControl, EIP712, CoordinatorBatches {
    using NodeWords for uint256;

    /// @notice May settle rounds coordinated by anyone (a coordinator may always settle its own rounds).
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");
    /// @notice Largest node or source table of an epoch (indices are one byte).
    uint256 public constant MAX_TABLE = 256;
    /// @notice Bounds of the deployment parameters.
    uint256 public constant MIN_PERIOD_LENGTH = 60;
    uint256 public constant MAX_PERIOD_LENGTH = 1 days;
    uint256 public constant MIN_SEATS = 3;
    uint256 public constant MAX_SEATS = 64;

    uint256 private constant _BPS = 10_000;
    /// @dev Pending net deltas are kept biased by 2^31 in 32-bit fields (see {EpochCodec}).
    uint256 private constant _PENDING_BIAS = 1 << 31;
    /// @dev Low 32 bits of a pending epoch's word: its weight period; the rest is the hash of its delta tables.
    uint256 private constant _PERIOD_MASK = 0xffffffff;


    INodeRegistry private immutable _registry;
    ICapabilityRegistry private immutable _capability;
    ISourceRegistry private immutable _sourceRegistry;
    uint256 private immutable _periodLength;
    uint256 private immutable _seats;
    uint256 private immutable _minCommittee;

    uint256 private _epochCount;
    /// @dev commitment (high 216 bits) | settledAt (low 40 bits).
    mapping(uint256 epoch => bytes32) private _epochs;
    mapping(address node => uint256) private _nodeWords;
    mapping(bytes32 roundId => bool) private _voided;
    /// @dev Per pending epoch: keccak256 of its delta tables (high 224 bits) | its weight period; 0 once final.
    mapping(uint256 epoch => bytes32) private _pending;
    /// @dev Per epoch: hash chain of the digests of its voided rounds, in void order, and their number.
    mapping(uint256 epoch => bytes32) private _voidChains;
    mapping(uint256 epoch => uint256) private _voidCounts;
    address private _omissions;
    address private _disputes;

    /// @param admin receives `DEFAULT_ADMIN_ROLE`.
    /// @param periodLength_ seconds per weight period, in [MIN_PERIOD_LENGTH, MAX_PERIOD_LENGTH].
    /// @param seats_ expected seats of a committee (tau), in [MIN_SEATS, MAX_SEATS].
    /// @param minCommittee_ fewest members a record may list, in [1, seats_].
    constructor(
        address registry_,
        address capability_,
        address sources_,
        address admin,
        uint256 periodLength_,
        uint256 seats_,
        uint256 minCommittee_
    ) EIP712("Chorus Settlement", "1") {
        if (registry_ == address(0) || capability_ == address(0) || sources_ == address(0) || admin == address(0)) {
            revert SettlementZeroAddress();
        }
        _checkBounds("periodLength", periodLength_, MIN_PERIOD_LENGTH, MAX_PERIOD_LENGTH);
        _checkBounds("committeeSeats", seats_, MIN_SEATS, MAX_SEATS);
        _checkBounds("minCommittee", minCommittee_, 1, seats_);
        _registry = INodeRegistry(registry_);
        _capability = ICapabilityRegistry(capability_);
        _sourceRegistry = ISourceRegistry(sources_);
        _periodLength = periodLength_;
        _seats = seats_;
        _minCommittee = minCommittee_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- settlement

    /// @inheritdoc ISettlement
    function settleEpoch(uint32 period, address[] calldata nodes, address[] calldata sources, bytes calldata records)
        external
        returns (uint256 epoch)
    {
        epoch = _epochCount + 1;
        uint256 ctx = _newContext(period);
        _loadNodes(ctx, nodes);
        _loadSources(ctx, sources);
        bytes32[] memory digests = _settleRecords(ctx, records);
        bytes32 commitment = RecordHashing.commitment(digests);
        _epochs[epoch] = commitment | bytes32(block.timestamp);
        _epochCount = epoch;
        EpochDeltas memory d = _pendingTables(ctx, nodes, sources);
        bytes32 tables = EpochFinality.hashDeltas(d);
        _pending[epoch] = (tables & ~bytes32(_PERIOD_MASK)) | bytes32(uint256(period));
        emit EpochSettled(
            epoch, msg.sender, digests.length, commitment, d.nodes, d.deltas, d.sources, d.reliability, d.usefulness
        );
    }

    /// @inheritdoc ISettlement
    function finalizeEpoch(uint256 epoch, EpochDeltas calldata d, EpochDeltas[] calldata voided) external {
        bytes32 pending = _pending[epoch];
        if (pending == 0) revert SettlementEpochNotPending(epoch);
        bytes32 tables = keccak256(abi.encode(d.nodes, d.deltas, d.sources, d.reliability, d.usefulness));
        if ((tables ^ pending) & ~bytes32(_PERIOD_MASK) != 0) revert SettlementDeltasMismatch(epoch, tables);
        uint256 readyAt = _finalAt(epoch, uint256(pending & bytes32(_PERIOD_MASK)));
        if (block.timestamp < readyAt) revert SettlementEpochNotReady(epoch, block.timestamp, readyAt);
        delete _pending[epoch];
        EpochFinality.Context memory c = EpochFinality.Context({
            sources: _sourceRegistry,
            epoch: epoch,
            current: _currentPeriod(),
            voidChain: _voidChains[epoch],
            voidCount: _voidCounts[epoch]
        });
        uint32[] memory reputations = EpochFinality.finalize(_nodeWords, c, d, voided);
        emit EpochFinalized(epoch, msg.sender, voided.length, d.nodes, reputations);
    }

    /// @inheritdoc ISettlement
    function setVoiders(address omissions_, address disputes_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_omissions != address(0)) revert SettlementVoidersAlreadySet(_omissions, _disputes);
        if (omissions_ == address(0) || disputes_ == address(0)) revert SettlementZeroAddress();
        _omissions = omissions_;
        _disputes = disputes_;
        emit VoidersSet(omissions_, disputes_);
    }

    /// @inheritdoc ISettlement
    function voidSettledRound(uint256 epoch, RoundRecord calldata record, uint256 penalty) external {
        if (msg.sender != _omissions && msg.sender != _disputes) revert SettlementNotVoider(msg.sender);
        bytes32 roundId = record.roundId;
        if (_pending[epoch] == 0) revert SettlementEpochNotPending(epoch);
        if (_voided[roundId]) revert SettlementRoundVoided(roundId);
        _voided[roundId] = true;
        // the round's deltas are still pending: finalizeEpoch leaves them out, given this record again
        _voidChains[epoch] = EpochFinality.extendChain(_voidChains[epoch], EpochFinality.roundDeltasHash(record));
        ++_voidCounts[epoch];
        _addReputation(address(uint160(uint256(roundId) >> 96)), -int256(penalty));
        emit RoundVoided(epoch, roundId, penalty);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ISettlement
    function reputationOf(address node) public view returns (uint256) {
        return _nodeWords[node].orFresh().reputation();
    }

    /// @inheritdoc ISettlement
    function reputationsOf(address[] calldata nodes) external view returns (uint256[] memory reps) {
        reps = new uint256[](nodes.length);
        for (uint256 i; i < nodes.length; ++i) reps[i] = reputationOf(nodes[i]);
    }

    /// @inheritdoc ISettlement
    function reputationAt(address node, uint32 period) external view returns (uint256 reputation, bool known) {
        return _nodeWords[node].orFresh().reputationAt(period);
    }

    /// @inheritdoc ISettlement
    function seatsOf(address node, bytes32 seed, uint32 period, bool strict) external view returns (uint256) {
        return Sortition.seats(_shareAt(node, period, strict), seed, node);
    }

    /// @inheritdoc ISettlement
    function voiders() external view returns (address omissions_, address disputes_) {
        return (_omissions, _disputes);
    }



    /// @inheritdoc ISettlement
    function isVoided(bytes32 roundId) external view returns (bool) {
        return _voided[roundId];
    }

    /// @inheritdoc ISettlement
    function epochStatus(uint256 epoch)
        external
        view
        returns (bool settled, bool isFinal, uint256 finalAt, uint256 voidedRounds)
    {
        settled = _epochs[epoch] != 0;
        bytes32 pending = _pending[epoch];
        isFinal = settled && pending == 0;
        if (settled && !isFinal) finalAt = _finalAt(epoch, uint256(pending & bytes32(_PERIOD_MASK)));
        voidedRounds = _voidCounts[epoch];
    }


    /// @inheritdoc ISettlement
    function periodLength() external view returns (uint256) {
        return _periodLength;
    }

    /// @inheritdoc ISettlement
    function currentPeriod() public view returns (uint32) {
        return _currentPeriod();
    }

    function _currentPeriod() internal view override returns (uint32) {
        return uint32(block.timestamp / _periodLength);
    }

    /// @inheritdoc ISettlement
    function committeeSeats() external view returns (uint256) {
        return _seats;
    }

    /// @inheritdoc ISettlement
    function minCommittee() external view returns (uint256) {
        return _minCommittee;
    }

    /// @inheritdoc ISettlement
    function epochCount() external view returns (uint256) {
        return _epochCount;
    }

    /// @inheritdoc ISettlement
    function epochInfo(uint256 epoch) external view returns (bytes32 commitment, uint64 settledAt) {
        bytes32 packed = _epochs[epoch];
        commitment = packed & ~bytes32(uint256(type(uint40).max));
        settledAt = uint64(uint40(uint256(packed)));
    }

    /// @inheritdoc ISettlement
    function recordsCommitment(bytes32[] calldata digests) external pure returns (bytes32) {
        return RecordHashing.commitment(digests);
    }

    /// @inheritdoc ISettlement
    function recordDigest(RoundRecord calldata record) external view returns (bytes32) {
        return _hashTypedDataV4(RecordHashing.hashRecord(record));
    }

    /// @inheritdoc ISettlement
    function serviceDigest(bytes32 roundId, bytes32 servedCid) external view returns (bytes32) {
        return _hashTypedDataV4(RecordHashing.hashService(roundId, servedCid));
    }

    /// @inheritdoc ISettlement
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc ISettlement
    function nodeRegistry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc ISettlement
    function capabilityRegistry() external view returns (address) {
        return address(_capability);
    }

    /// @inheritdoc ISettlement
    function sourceRegistry() external view returns (address) {
        return address(_sourceRegistry);
    }

    // ---------------------------------------------------------------- weights

    /// @dev `node`'s expected seats (times 2^128) in weight period `period`: stake, total and minimum stake as they
    ///      were just before the period began, reputation when it began, capable when it began. `strict` (omission
    ///      proofs) also needs the pass to have been granted before the period began, so a node cannot turn a pass
    ///      it earned after a draw into an omission proof against a coordinator that drew without it.
    function _shareAt(address node, uint256 period, bool strict) private view returns (uint256) {
        uint256 start = period * _periodLength;
        (uint256 stake, uint256 total) = _eligibleStakeAt(node, start);
        if (stake == 0 || !_capableAt(node, start, strict)) return 0;
        (uint256 rep, bool known) = _nodeWords[node].orFresh().reputationAt(period);
        return known ? Sortition.share(_seats, stake, total, rep) : 0;
    }

    /// @dev `node`'s stake just before `start` (0 when below the minimum then) and the total stake then.
    function _eligibleStakeAt(address node, uint256 start) private view returns (uint256 stake, uint256 total) {
        address[] memory one = new address[](1);
        one[0] = node;
        (uint256[] memory stakes, uint256 total_, uint256 minimum) = _registry.stakesAt(one, start - 1);
        return (stakes[0] >= minimum ? stakes[0] : 0, total_);
    }

    /// @dev Capable when `start` came: the pass was valid then. `strict` (omission proofs) also needs it to have
    ///      been graded by then (graded = validUntil - validity), which a revoked pass cannot show (its validUntil is
    ///      the revocation time), so a revoked pass never supports an omission proof.
    function _capableAt(address node, uint256 start, bool strict) private view returns (bool) {
        ICapabilityRegistry.Pass memory pass = _capability.passOf(node);
        if (pass.validUntil <= start) return false;
        if (!strict) return true;
        if (_capability.revokedAt(node) == pass.validUntil) return false;
        return pass.validUntil - _capability.suite(pass.suiteId).validity <= start;
    }

    function _canCoordinate(address node) internal view override returns (bool) {
        return _registry.isActive(node) && _capability.isCapable(node);
    }

    function _slashForVoids(address coordinator, uint256 unpaid) internal override {
        INodeRegistry.NodeInfo memory info = _registry.nodeInfo(coordinator);
        uint256 held = uint256(info.staked) + info.thawing;
        uint256 share = held * VOID_SLASH_BPS / _BPS;
        uint256 fine = _registry.minStake() * VOID_FINE_MIN_STAKE_BPS / _BPS;
        uint256 amount = (share > fine ? share : fine) * unpaid;
        if (amount > held) amount = held;
        if (amount > 0) _registry.slash(coordinator, amount, "unpaid voids", bytes32(0));
    }

    /// @dev Moves `node`'s stored reputation by `delta` (clamped), outside an epoch's tables.
    function _addReputation(address node, int256 delta) internal override {
        _nodeWords[node] = _nodeWords[node].orFresh().rotate(currentPeriod()).addClamped(delta);
    }

    // ---------------------------------------------------------------- finality

    /// @dev When a pending epoch of weight period `period` may become final: once no omission proof (they close when
    ///      period + 2 begins) and no dispute (the dispute contract's window and the deadlines of the disputes opened
    ///      on it) can void one of its rounds any more.
    function _finalAt(uint256 epoch, uint256 period) private view returns (uint256 at) {
        if (_disputes == address(0)) revert SettlementVoidersNotSet();
        at = (period + 2) * _periodLength;
        uint256 byDisputes = IDisputes(_disputes).finalAfter(epoch, uint64(uint256(_epochs[epoch]) & type(uint40).max));
        if (byDisputes > at) at = byDisputes;
    }

    function _checkBounds(bytes32 name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert SettlementParameterOutOfBounds(name, value, min, max);
    }

    // ---------------------------------------------------------------- tables

    /// @dev The epoch's context; its weight period must have begun and still be able to settle.
    function _newContext(uint256 period) private view returns (uint256 ctx) {
        uint256 current = currentPeriod();
        if (period > current) revert SettlementFuturePeriod(period, current);
        if (current > period + 1) revert SettlementPeriodExpired(period, current);
        ctx = _alloc(EpochCodec.CTX_WORDS);
        _set(ctx, EpochCodec.CTX_CURRENT_PERIOD, current);
        _set(ctx, EpochCodec.CTX_DOMAIN, uint256(_domainSeparatorV4()));
        _set(ctx, EpochCodec.CTX_RECORD_TYPEHASH, uint256(RecordHashing.ROUND_RECORD_TYPEHASH));
        _set(ctx, EpochCodec.CTX_SOURCE_DELTA_TYPEHASH, uint256(RecordHashing.SOURCE_DELTA_TYPEHASH));
        _set(ctx, EpochCodec.CTX_SERVICE_TYPEHASH, uint256(RecordHashing.SOURCE_SERVICE_TYPEHASH));
        _set(ctx, EpochCodec.CTX_EVENT_TOPIC, uint256(RoundSettled.selector));
        _set(ctx, EpochCodec.CTX_PERIOD, period);
        _set(ctx, EpochCodec.CTX_MIN_COMMITTEE, _minCommittee);
    }

    /// @dev Reads every node once (sorted) into the node table [address, share, word]: its expected seats for the
    ///      epoch's weight period (0 when it was below the minimum stake or not capable when the period began) and
    ///      its storage word, history rotated for this period's writes.
    function _loadNodes(uint256 ctx, address[] calldata nodes) private view {
        if (nodes.length > MAX_TABLE) revert SettlementTableTooLarge(nodes.length, MAX_TABLE);
        uint256 tbl = _alloc(nodes.length * 3);
        _set(ctx, EpochCodec.CTX_NODES, tbl);
        _set(ctx, EpochCodec.CTX_NODE_COUNT, nodes.length);
        if (nodes.length == 0) return;
        (uint256[] memory stakes, uint256 total, uint256 minimum) =
            _registry.stakesAt(nodes, _get(ctx, EpochCodec.CTX_PERIOD) * _periodLength - 1);
        address prev;
        for (uint256 i; i < nodes.length; ++i) {
            address node = nodes[i];
            if (node <= prev) revert SettlementTableNotSorted(i, node);
            prev = node;
            _set(tbl, i * 0x60, uint256(uint160(node)));
            _set(tbl, i * 0x60 + 0x20, _weigh(ctx, node, stakes[i] >= minimum ? stakes[i] : 0, total));
            _set(tbl, i * 0x60 + 0x40, _PENDING_BIAS);
        }
    }

    /// @dev `node`'s share in the epoch's period given its eligible stake when the period began. Capable = its pass
    ///      was valid when the period began (a pass revoked later was still valid then: CapabilityRegistry sets a
    ///      revoked pass's validUntil to the revocation time). Reputation = its final reputation then.
    function _weigh(uint256 ctx, address node, uint256 stake, uint256 total) private view returns (uint256) {
        if (stake == 0) return 0;
        uint256 period = _get(ctx, EpochCodec.CTX_PERIOD);
        if (!_capableAt(node, period * _periodLength, false)) return 0;
        // the reputation a period that can still settle began with is always known (NodeWords)
        (uint256 rep,) = _nodeWords[node].orFresh().reputationAt(period);
        return Sortition.share(_seats, stake, total, rep);
    }

    /// @dev Checks every source once (sorted) into the source table [address, pending net deltas]. Whether it is
    ///      still active matters when the epoch becomes final.
    function _loadSources(uint256 ctx, address[] calldata sources) private pure {
        uint256 n = sources.length;
        if (n > MAX_TABLE) revert SettlementTableTooLarge(n, MAX_TABLE);
        uint256 tbl = _alloc(n * 2);
        _set(ctx, EpochCodec.CTX_SOURCES, tbl);
        _set(ctx, EpochCodec.CTX_SOURCE_COUNT, n);
        address prev;
        for (uint256 i; i < n; ++i) {
            address source = sources[i];
            if (source <= prev) revert SettlementTableNotSorted(i, source);
            prev = source;
            _set(tbl, i * 0x40, uint256(uint160(source)));
            _set(tbl, i * 0x40 + 0x20, _PENDING_BIAS | (_PENDING_BIAS << 32));
        }
    }

    /// @dev The epoch's net deltas from its tables: per node, per source (reliability and usefulness).
    function _pendingTables(uint256 ctx, address[] calldata nodes, address[] calldata sources)
        private
        pure
        returns (EpochDeltas memory d)
    {
        d.nodes = nodes;
        d.sources = sources;
        d.deltas = new int32[](nodes.length);
        d.reliability = new int32[](sources.length);
        d.usefulness = new int32[](sources.length);
        uint256 tbl = _get(ctx, EpochCodec.CTX_NODES);
        // unchecked: each field holds 2^31 + a sum of at most 256 deltas of |d| <= 50_000, in (0, 2^32)
        unchecked {
            for (uint256 i; i < nodes.length; ++i) {
                d.deltas[i] = int32(int256(_get(tbl, i * 0x60 + 0x40) & NodeWords.MASK32) - int256(_PENDING_BIAS));
            }
            tbl = _get(ctx, EpochCodec.CTX_SOURCES);
            for (uint256 i; i < sources.length; ++i) {
                uint256 w = _get(tbl, i * 0x40 + 0x20);
                d.reliability[i] = int32(int256(w & NodeWords.MASK32) - int256(_PENDING_BIAS));
                d.usefulness[i] = int32(int256((w >> 32) & NodeWords.MASK32) - int256(_PENDING_BIAS));
            }
        }
    }

    // ---------------------------------------------------------------- rounds

    /// @dev Settles every record in memory; returns their digests in order. Records come in runs of one
    ///      coordinator: its rights are checked and its sequence read and written once per run.
    function _settleRecords(uint256 ctx, bytes calldata records) private returns (bytes32[] memory digests) {
        uint256 base;
        assembly ("memory-safe") {
            base := records.offset
        }
        uint256 end = base + records.length;
        _set(ctx, EpochCodec.CTX_END, end);
        if (records.length < 2) revert SettlementMalformedRecords(0, records.length);
        uint256 count = uint16(bytes2(records[:2]));
        if (count == 0) revert SettlementEmptyEpoch();
        digests = new bytes32[](count);
        uint256 p = base + 2;
        for (uint256 i; i < count;) {
            // run header: address coordinator | uint16 records in the run (>= 1, at most what is left)
            if (p + 22 > end) revert SettlementMalformedRecords(p - base, records.length);
            uint256 runEnd = i + uint16(bytes2(_b32(p + 20)));
            if (runEnd == i || runEnd > count) revert SettlementMalformedRecords(p + 20 - base, records.length);
            _startRun(ctx, address(bytes20(_b32(p))), i > 0);
            for (p += 22; i < runEnd; ++i) {
                (p, digests[i]) = EpochCodec.settleRecord(ctx, p);
                if (_get(ctx, EpochCodec.CTX_ERROR) != 0) _revertRecord(ctx, base, records.length);
            }
        }
        if (p != end) revert SettlementMalformedRecords(p - base, records.length);
        _flushRun(ctx);
    }

    /// @dev A run of `coordinator`'s rounds begins: store the previous run's sequence, check the sender may
    ///      settle this coordinator's rounds, load its last settled sequence.
    function _startRun(uint256 ctx, address coordinator, bool flushPrevious) private {
        if (flushPrevious) _flushRun(ctx);
        if (coordinator != msg.sender && !hasRole(SETTLER_ROLE, msg.sender)) {
            revert SettlementNotCoordinator(coordinator, msg.sender);
        }
        (uint64 lastSeq, uint64 batchEnd, bytes32 seed) = _runBatch(coordinator, _get(ctx, EpochCodec.CTX_PERIOD));
        _set(ctx, EpochCodec.CTX_COORDINATOR, uint256(uint160(coordinator)));
        _set(ctx, EpochCodec.CTX_RUN_PREFIX, uint256(uint160(coordinator)) << 96);
        _set(ctx, EpochCodec.CTX_LAST_SEQ, lastSeq);
        _set(ctx, EpochCodec.CTX_BATCH_END, batchEnd);
        _set(ctx, EpochCodec.CTX_BATCH_SEED, uint256(seed));
        _set(ctx, EpochCodec.CTX_RUN_FIRST, lastSeq);
    }

    /// @dev Stores the run's last sequence, and the credit its settled rounds earned.
    function _flushRun(uint256 ctx) private {
        uint256 last = _get(ctx, EpochCodec.CTX_LAST_SEQ);
        address coordinator = address(uint160(_get(ctx, EpochCodec.CTX_COORDINATOR)));
        _closeRun(coordinator, uint64(last), last - _get(ctx, EpochCodec.CTX_RUN_FIRST));
    }

    /// @dev Turns the error EpochCodec left in the context into the matching custom error.
    function _revertRecord(uint256 ctx, uint256 base, uint256 length) private pure {
        uint256 code = _get(ctx, EpochCodec.CTX_ERROR);
        uint256 a = _get(ctx, EpochCodec.CTX_ERROR_A);
        uint256 b = _get(ctx, EpochCodec.CTX_ERROR_B);
        bytes32 roundId = bytes32(_get(ctx, EpochCodec.CTX_ROUND));
        if (code == EpochCodec.ERR_MALFORMED) revert SettlementMalformedRecords(a - base, length);
        if (code == EpochCodec.ERR_REPLAY) revert SettlementRoundReplayed(roundId, uint96(a), b);
        if (code == EpochCodec.ERR_NOT_DRAWN) revert SettlementNotDrawn(roundId, address(uint160(a)), b);
        if (code == EpochCodec.ERR_SMALL_COMMITTEE) revert SettlementCommitteeTooSmall(roundId, a, b);
        if (code == EpochCodec.ERR_EMPTY_ROUND) revert SettlementEmptyRound(roundId);
        if (code == EpochCodec.ERR_INDEX) revert SettlementIndexOutOfRange(roundId, a, b);
        if (code == EpochCodec.ERR_NOT_SORTED) revert SettlementEntriesNotSorted(roundId, address(uint160(a)));
        if (code == EpochCodec.ERR_DELTA) {
            revert SettlementDeltaOutOfBounds(roundId, address(uint160(a)), int256(b), FixedPoint.MAX_DELTA);
        }
        if (code == EpochCodec.ERR_SOURCE_SIGNATURE) {
            revert SettlementBadSourceSignature(roundId, address(uint160(a)), address(uint160(b)));
        }
        if (code == EpochCodec.ERR_SIGNERS_ORDER) revert SettlementSignersNotSorted(roundId, a);
        if (code == EpochCodec.ERR_SIGNATURE) {
            revert SettlementBadSignature(roundId, address(uint160(a)), address(uint160(b)));
        }
        revert SettlementQuorumNotReached(roundId, a, b); // EpochCodec.ERR_QUORUM, the last code
    }

    // ---------------------------------------------------------------- memory and calldata words

    function _alloc(uint256 words) private pure returns (uint256 ptr) {
        uint256[] memory a = new uint256[](words);
        assembly ("memory-safe") {
            ptr := add(a, 0x20)
        }
    }

    function _set(uint256 ptr, uint256 offset, uint256 value) private pure {
        assembly ("memory-safe") {
            mstore(add(ptr, offset), value)
        }
    }

    function _get(uint256 ptr, uint256 offset) private pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := mload(add(ptr, offset))
        }
    }

    function _b32(uint256 p) private pure returns (bytes32 v) {
        assembly ("memory-safe") {
            v := calldataload(p)
        }
    }
}
