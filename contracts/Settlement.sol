// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ICapabilityRegistry} from "./interfaces/ICapabilityRegistry.sol";
import {ISourceRegistry} from "./interfaces/ISourceRegistry.sol";
import {FixedPoint} from "./libraries/FixedPoint.sol";
import {RecordHashing} from "./libraries/RecordHashing.sol";
import {EpochCodec} from "./libraries/EpochCodec.sol";

// Assembly here reads calldata and memory words of the packed epoch and the node table, and writes node words:
// the settlement gas budget (see scripts/gas/settlement.ts) is met only this way.
// solhint-disable no-inline-assembly

/// @title Settlement
/// @notice Settles epochs of quorum-signed round records and keeps node reputation. See {ISettlement}.
/// @dev Gas design: each unique node and source is checked and read once per epoch and written once at the
///      end (deltas are applied in record order, with clamping, in memory tables); participants are table
///      indices; signatures are compared with the participant at the stated position; replay protection is
///      one sequence number per coordinator; one event per round carries all its deltas; a node's capability
///      expiry is cached in its reputation word (a pass is never shortened). The per-record work is in
///      {EpochCodec}.
contract Settlement is ISettlement, AccessControl, EIP712 {
    /// @notice May settle rounds coordinated by anyone (a coordinator may always settle its own rounds).
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");
    /// @notice Largest node or source table of an epoch (indices are one byte).
    uint256 public constant MAX_TABLE = 256;

    uint256 private constant _MASK32 = 0xffffffff;
    /// @dev Node word: reputation (bits 0..31) | seen (bit 96) | cached capability expiry (bits 128..191).
    uint256 private constant _SEEN = 1 << 96;
    uint256 private constant _CAPABLE_SHIFT = 128;

    INodeRegistry private immutable _registry;
    ICapabilityRegistry private immutable _capability;
    ISourceRegistry private immutable _sourceRegistry;

    uint256 private _epochCount;
    /// @dev commitment (high 216 bits) | settledAt (low 40 bits).
    mapping(uint256 epoch => bytes32) private _epochs;
    mapping(address coordinator => uint96) private _lastSeq;
    mapping(address node => uint256) private _nodeWords;

    /// @param admin receives `DEFAULT_ADMIN_ROLE`.
    constructor(address registry_, address capability_, address sources_, address admin)
        EIP712("Chorus Settlement", "1")
    {
        if (registry_ == address(0) || capability_ == address(0) || sources_ == address(0) || admin == address(0)) {
            revert SettlementZeroAddress();
        }
        _registry = INodeRegistry(registry_);
        _capability = ICapabilityRegistry(capability_);
        _sourceRegistry = ISourceRegistry(sources_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- settlement

    /// @inheritdoc ISettlement
    function settleEpoch(address[] calldata nodes, address[] calldata sources, bytes calldata records)
        external
        returns (uint256 epoch)
    {
        epoch = _epochCount + 1;
        uint256 ctx = _newContext();
        _loadNodes(ctx, nodes);
        _loadSources(ctx, sources);
        bytes32[] memory digests = _settleRecords(ctx, records);
        bytes32 commitment = RecordHashing.commitment(digests);
        _epochs[epoch] = commitment | bytes32(block.timestamp);
        _epochCount = epoch;
        uint32[] memory reputations = _storeNodes(ctx, nodes);
        emit EpochSettled(epoch, msg.sender, digests.length, commitment, nodes, reputations);
        if (sources.length > 0) _storeSources(ctx, sources, epoch);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ISettlement
    function reputationOf(address node) public view returns (uint256) {
        uint256 word = _nodeWords[node];
        return word & _SEEN != 0 ? word & _MASK32 : FixedPoint.INITIAL_REPUTATION;
    }

    /// @inheritdoc ISettlement
    function reputationsOf(address[] calldata nodes) external view returns (uint256[] memory reps) {
        reps = new uint256[](nodes.length);
        for (uint256 i; i < nodes.length; ++i) reps[i] = reputationOf(nodes[i]);
    }

    /// @inheritdoc ISettlement
    function lastSequence(address coordinator) external view returns (uint96) {
        return _lastSeq[coordinator];
    }

    /// @inheritdoc ISettlement
    function isClosed(bytes32 roundId) external view returns (bool) {
        return uint96(uint256(roundId)) <= _lastSeq[address(uint160(uint256(roundId) >> 96))];
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

    // ---------------------------------------------------------------- tables

    function _newContext() private view returns (uint256 ctx) {
        ctx = _alloc(EpochCodec.CTX_WORDS);
        _set(ctx, EpochCodec.CTX_DOMAIN, uint256(_domainSeparatorV4()));
        _set(ctx, EpochCodec.CTX_RECORD_TYPEHASH, uint256(RecordHashing.ROUND_RECORD_TYPEHASH));
        _set(ctx, EpochCodec.CTX_SOURCE_DELTA_TYPEHASH, uint256(RecordHashing.SOURCE_DELTA_TYPEHASH));
        _set(ctx, EpochCodec.CTX_SERVICE_TYPEHASH, uint256(RecordHashing.SOURCE_SERVICE_TYPEHASH));
        _set(ctx, EpochCodec.CTX_EVENT_TOPIC, uint256(RoundSettled.selector));
    }

    /// @dev Checks every node once (sorted, active, capable) and reads its stake and word into the node table.
    ///      Active = staked at least the registry's current minimum (`INodeRegistry.isActive`, without waiting
    ///      for a `refresh` after governance lowered the minimum). Capable = the cached pass expiry is in the
    ///      future; the registry is asked again only once the cached expiry has passed.
    function _loadNodes(uint256 ctx, address[] calldata nodes) private view {
        uint256 n = nodes.length;
        if (n > MAX_TABLE) revert SettlementTableTooLarge(n, MAX_TABLE);
        uint256 tbl = _alloc(n * 3);
        _set(ctx, EpochCodec.CTX_NODES, tbl);
        _set(ctx, EpochCodec.CTX_NODE_COUNT, n);
        if (n == 0) return;
        uint256 minStake = _registry.minStake();
        (uint256 bad, uint256 stale) = _readNodes(nodes, tbl, minStake);
        if (bad < n) {
            address node = nodes[bad];
            if (node == address(0) || (bad > 0 && node <= nodes[bad - 1])) revert SettlementTableNotSorted(bad, node);
            revert SettlementNodeNotEligible(node, false, _capability.passOf(node).validUntil > block.timestamp);
        }
        // Cached capability expiries that have passed: ask the registry (a newer pass may extend them).
        for (uint256 i; stale != 0; ++i) {
            if (stale & (1 << i) == 0) continue;
            stale &= ~(1 << i);
            uint256 validUntil = _capability.passOf(nodes[i]).validUntil;
            if (validUntil <= block.timestamp) revert SettlementNodeNotEligible(nodes[i], true, false);
            uint256 at = tbl + i * 0x60 + 0x40;
            uint256 word = _get(at, 0);
            _set(at, 0, (word & ~(uint256(type(uint64).max) << _CAPABLE_SHIFT)) | (validUntil << _CAPABLE_SHIFT));
        }
    }

    /// @dev The node-table loop: [address, stake, word] per node. Returns the index of the first node that is
    ///      out of order (or not a clean address) or below `minStake` (`nodes.length` if none), and a bitmap of
    ///      the nodes whose cached capability expiry has passed.
    function _readNodes(address[] calldata nodes, uint256 tbl, uint256 minStake)
        private
        view
        returns (uint256 bad, uint256 stale)
    {
        address registry = address(_registry);
        bytes4 stakeOf = INodeRegistry.stakeOf.selector;
        uint256 slot;
        assembly ("memory-safe") {
            slot := _nodeWords.slot
            let n := nodes.length
            bad := n
            let scratch := mload(0x40)
            let prev := 0
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let node := calldataload(add(nodes.offset, shl(5, i)))
                if or(iszero(gt(node, prev)), shr(160, node)) {
                    bad := i
                    break
                }
                prev := node
                mstore(scratch, stakeOf)
                mstore(add(scratch, 4), node)
                if iszero(and(gt(returndatasize(), 0x1f), staticcall(gas(), registry, scratch, 0x24, scratch, 0x20))) {
                    // the registry is trusted code: only out-of-gas gets here; pass its revert on
                    returndatacopy(scratch, 0, returndatasize())
                    revert(scratch, returndatasize())
                }
                let entry := add(tbl, mul(i, 0x60))
                mstore(entry, node)
                mstore(add(entry, 0x20), mload(scratch))
                if lt(mload(scratch), minStake) {
                    bad := i
                    break
                }
                mstore(0x00, node)
                mstore(0x20, slot)
                let word := sload(keccak256(0x00, 0x40))
                // never settled: initial reputation 250_000 (FixedPoint.INITIAL_REPUTATION), seen (bit 96)
                if iszero(and(word, shl(96, 1))) { word := or(250000, shl(96, 1)) }
                // cached capability expiry (bits 128..191) not in the future: ask the registry
                if iszero(gt(shr(128, word), timestamp())) { stale := or(stale, shl(i, 1)) }
                mstore(add(entry, 0x40), word)
            }
        }
    }

    /// @dev Checks every source once (sorted, active) and reads its scores, in one call, into the source table.
    function _loadSources(uint256 ctx, address[] calldata sources) private view {
        uint256 n = sources.length;
        if (n > MAX_TABLE) revert SettlementTableTooLarge(n, MAX_TABLE);
        uint256 tbl = _alloc(n * 2);
        _set(ctx, EpochCodec.CTX_SOURCES, tbl);
        _set(ctx, EpochCodec.CTX_SOURCE_COUNT, n);
        if (n == 0) return;
        uint256[] memory packed = _sourceRegistry.packedScoresOf(sources);
        address prev;
        for (uint256 i; i < n; ++i) {
            address source = sources[i];
            if (source <= prev) revert SettlementTableNotSorted(i, source);
            prev = source;
            if (packed[i] >> 64 == 0) revert SettlementSourceNotActive(source);
            _set(tbl, i * 0x40, uint256(uint160(source)));
            _set(tbl, i * 0x40 + 0x20, packed[i] & type(uint64).max);
        }
    }

    function _storeNodes(uint256 ctx, address[] calldata nodes) private returns (uint32[] memory reps) {
        uint256 tbl = _get(ctx, EpochCodec.CTX_NODES);
        reps = new uint32[](nodes.length);
        assembly ("memory-safe") {
            let slot := _nodeWords.slot
            for { let i := 0 } lt(i, nodes.length) { i := add(i, 1) } {
                let word := mload(add(tbl, add(mul(i, 0x60), 0x40)))
                mstore(add(reps, shl(5, add(i, 1))), and(word, 0xffffffff))
                // the addresses were checked clean and sorted when the table was loaded
                mstore(0x00, calldataload(add(nodes.offset, shl(5, i))))
                mstore(0x20, slot)
                sstore(keccak256(0x00, 0x40), word)
            }
        }
    }

    function _storeSources(uint256 ctx, address[] calldata sources, uint256 epoch) private {
        uint256 tbl = _get(ctx, EpochCodec.CTX_SOURCES);
        uint32[] memory rel = new uint32[](sources.length);
        uint32[] memory use = new uint32[](sources.length);
        for (uint256 i; i < sources.length; ++i) {
            uint256 sc = _get(tbl, i * 0x40 + 0x20);
            rel[i] = uint32(sc & _MASK32);
            use[i] = uint32(sc >> 32);
        }
        _sourceRegistry.setScores(epoch, sources, rel, use);
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
        _set(ctx, EpochCodec.CTX_COORDINATOR, uint256(uint160(coordinator)));
        _set(ctx, EpochCodec.CTX_RUN_PREFIX, uint256(uint160(coordinator)) << 96);
        _set(ctx, EpochCodec.CTX_LAST_SEQ, _lastSeq[coordinator]);
    }

    function _flushRun(uint256 ctx) private {
        _lastSeq[address(uint160(_get(ctx, EpochCodec.CTX_COORDINATOR)))] = uint96(_get(ctx, EpochCodec.CTX_LAST_SEQ));
    }

    /// @dev Turns the error EpochCodec left in the context into the matching custom error.
    function _revertRecord(uint256 ctx, uint256 base, uint256 length) private pure {
        uint256 code = _get(ctx, EpochCodec.CTX_ERROR);
        uint256 a = _get(ctx, EpochCodec.CTX_ERROR_A);
        uint256 b = _get(ctx, EpochCodec.CTX_ERROR_B);
        bytes32 roundId = bytes32(_get(ctx, EpochCodec.CTX_ROUND));
        if (code == EpochCodec.ERR_MALFORMED) revert SettlementMalformedRecords(a - base, length);
        if (code == EpochCodec.ERR_REPLAY) revert SettlementRoundReplayed(roundId, uint96(a));
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
