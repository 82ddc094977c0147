// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISettlement} from "../interfaces/ISettlement.sol";
import {ISourceRegistry} from "../interfaces/ISourceRegistry.sol";
import {NodeWords} from "./NodeWords.sol";

/// @title EpochFinality
/// @notice How a pending epoch of {Settlement} becomes final: its net deltas, less those of its voided rounds, move
///         each node's reputation and each active source's scores once, clamped to [0, 1_000_000]. An external
///         library (Settlement delegates to it, on its own storage) so that Settlement fits the contract size limit;
///         it runs once per epoch, so the call costs nothing measurable per round.
library EpochFinality {
    using NodeWords for uint256;

    /// @notice What finalizing an epoch needs from Settlement besides its storage.
    struct Context {
        ISourceRegistry sources;
        uint256 epoch;
        uint256 current; // the weight period now
        bytes32 voidChain; // hash chain of the delta hashes of the epoch's voided rounds, in void order
        uint256 voidCount;
    }

    /// @notice Applies `d` less the deltas of `voided` (the epoch's voided rounds, in void order: participants and
    ///         their deltas, sources and theirs, as their `RoundSettled` events hold them) to the node words and the
    ///         source registry; returns the nodes' new reputations.
    function finalize(
        mapping(address node => uint256) storage words,
        Context calldata c,
        ISettlement.EpochDeltas calldata d,
        ISettlement.EpochDeltas[] calldata voided
    ) external returns (uint32[] memory reputations) {
        if (voided.length != c.voidCount) {
            revert ISettlement.SettlementVoidedMismatch(c.epoch, voided.length, c.voidCount);
        }
        (int256[] memory nodeNet, int256[] memory relNet, int256[] memory useNet) = _net(d, voided);
        if (_chain(voided) != c.voidChain) {
            revert ISettlement.SettlementVoidedMismatch(c.epoch, voided.length, c.voidCount);
        }
        reputations = _finalizeNodes(words, c.current, d.nodes, nodeNet);
        if (d.sources.length > 0) _finalizeSources(c.sources, c.epoch, d.sources, relNet, useNet);
    }

    /// @notice The hash of delta tables: what a pending epoch stores, and what a voided round adds to its epoch's
    ///         void chain.
    function hashDeltas(ISettlement.EpochDeltas memory d) internal pure returns (bytes32) {
        return keccak256(abi.encode(d.nodes, d.deltas, d.sources, d.reliability, d.usefulness));
    }

    /// @notice The delta hash of a settled round's record (its participants and sources are sorted, as tables are).
    function roundDeltasHash(ISettlement.RoundRecord calldata record) external pure returns (bytes32) {
        uint256 m = record.sources.length;
        ISettlement.EpochDeltas memory d;
        d.nodes = record.participants;
        d.deltas = record.deltas;
        d.sources = new address[](m);
        d.reliability = new int32[](m);
        d.usefulness = new int32[](m);
        for (uint256 j; j < m; ++j) {
            d.sources[j] = record.sources[j].source;
            d.reliability[j] = record.sources[j].reliability;
            d.usefulness[j] = record.sources[j].usefulness;
        }
        return hashDeltas(d);
    }

    /// @notice `chain` extended by a voided round's delta hash.
    function extendChain(bytes32 chain, bytes32 deltasHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(chain, deltasHash));
    }

    /// @dev The void chain of `voided`, in order.
    function _chain(ISettlement.EpochDeltas[] calldata voided) private pure returns (bytes32 chain) {
        for (uint256 r; r < voided.length; ++r) chain = extendChain(chain, hashDeltas(voided[r]));
    }

    /// @dev The net deltas of `d` less those of `voided`.
    function _net(ISettlement.EpochDeltas calldata d, ISettlement.EpochDeltas[] calldata voided)
        private
        pure
        returns (int256[] memory nodeNet, int256[] memory relNet, int256[] memory useNet)
    {
        nodeNet = _widen(d.deltas);
        relNet = _widen(d.reliability);
        useNet = _widen(d.usefulness);
        for (uint256 r; r < voided.length; ++r) _drop(d, voided[r], nodeNet, relNet, useNet);
    }

    /// @dev Moves each node's final reputation by its net delta, clamped; returns the new reputations.
    function _finalizeNodes(
        mapping(address node => uint256) storage words,
        uint256 current,
        address[] calldata nodes,
        int256[] memory net
    ) private returns (uint32[] memory reps) {
        reps = new uint32[](nodes.length);
        for (uint256 i; i < nodes.length; ++i) {
            uint256 word = words[nodes[i]].orFresh().rotate(current).addClamped(net[i]);
            words[nodes[i]] = word;
            reps[i] = uint32(word.reputation());
        }
    }

    /// @dev Takes voided round `v`'s deltas out of the net deltas.
    function _drop(
        ISettlement.EpochDeltas calldata d,
        ISettlement.EpochDeltas calldata v,
        int256[] memory nodeNet,
        int256[] memory relNet,
        int256[] memory useNet
    ) private pure {
        for (uint256 i; i < v.nodes.length; ++i) {
            nodeNet[_indexOf(d.nodes, v.nodes[i])] -= v.deltas[i];
        }
        for (uint256 j; j < v.sources.length; ++j) {
            uint256 t = _indexOf(d.sources, v.sources[j]);
            relNet[t] -= v.reliability[j];
            useNet[t] -= v.usefulness[j];
        }
    }

    /// @dev Moves the scores of the epoch's sources still active by their net deltas, clamped.
    function _finalizeSources(
        ISourceRegistry registry,
        uint256 epoch,
        address[] calldata sources,
        int256[] memory rel,
        int256[] memory use
    ) private {
        uint256 m = sources.length;
        uint256[] memory packed = registry.packedScoresOf(sources);
        address[] memory active = new address[](m);
        uint32[] memory r = new uint32[](m);
        uint32[] memory u = new uint32[](m);
        uint256 count;
        for (uint256 j; j < m; ++j) {
            if (packed[j] >> 64 == 0) {
                emit ISettlement.SourceSkipped(epoch, sources[j]);
                continue;
            }
            active[count] = sources[j];
            r[count] = _clamp(int256(packed[j] & NodeWords.MASK32) + rel[j]);
            u[count] = _clamp(int256((packed[j] >> 32) & NodeWords.MASK32) + use[j]);
            ++count;
        }
        // shrink the arrays to the active sources
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(active, count)
            mstore(r, count)
            mstore(u, count)
        }
        if (count > 0) registry.setScores(epoch, active, r, u);
    }

    /// @dev Position of `account` in the sorted `table` (a voided round's accounts are in its epoch's tables).
    function _indexOf(address[] calldata table, address account) private pure returns (uint256) {
        uint256 lo;
        uint256 hi = table.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (table[mid] < account) lo = mid + 1;
            else hi = mid;
        }
        if (lo == table.length || table[lo] != account) revert ISettlement.SettlementAccountNotInEpoch(account);
        return lo;
    }

    function _widen(int32[] calldata v) private pure returns (int256[] memory w) {
        w = new int256[](v.length);
        for (uint256 i; i < v.length; ++i) w[i] = v[i];
    }

    function _clamp(int256 v) private pure returns (uint32) {
        if (v < 0) return 0;
        if (v > int256(NodeWords.SCALE)) return uint32(NodeWords.SCALE);
        // v is in [0, SCALE]: the cast is exact.
        return uint32(uint256(v));
    }
}
