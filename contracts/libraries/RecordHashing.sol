// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISettlement} from "../interfaces/ISettlement.sol";

/// @title RecordHashing
/// @notice EIP-712 struct hashes of round records and source service statements, shared by Settlement (which
///         hashes packed calldata the same way, in its own loop) and Disputes. src/chain/records.ts defines the
///         same types for viem.
// EIP-712 type strings are what they are, however long: they are hashed at compile time.
// solhint-disable gas-small-strings
library RecordHashing {
    bytes32 internal constant SOURCE_DELTA_TYPEHASH =
        keccak256("SourceDelta(address source,int32 reliability,int32 usefulness,bytes32 servedCid)");
    bytes32 internal constant ROUND_RECORD_TYPEHASH = keccak256(
        "RoundRecord(bytes32 roundId,bytes32 seed,uint32 period,bytes32 queryCid,bytes32 transcriptCid,address winner,"
        "address[] participants,int32[] deltas,SourceDelta[] sources)"
        "SourceDelta(address source,int32 reliability,int32 usefulness,bytes32 servedCid)"
    );
    bytes32 internal constant SOURCE_SERVICE_TYPEHASH = keccak256("SourceService(bytes32 roundId,bytes32 servedCid)");
    // solhint-enable gas-small-strings

    /// @notice hashStruct(SourceDelta).
    function hashSourceDelta(ISettlement.SourceDelta memory d) internal pure returns (bytes32) {
        return keccak256(abi.encode(SOURCE_DELTA_TYPEHASH, d.source, d.reliability, d.usefulness, d.servedCid));
    }

    /// @notice hashStruct(RoundRecord).
    function hashRecord(ISettlement.RoundRecord memory r) internal pure returns (bytes32) {
        uint256 n = r.deltas.length;
        int256[] memory deltas = new int256[](n);
        for (uint256 i; i < n; ++i) deltas[i] = r.deltas[i];
        bytes32[] memory sources = new bytes32[](r.sources.length);
        for (uint256 i; i < sources.length; ++i) sources[i] = hashSourceDelta(r.sources[i]);
        return keccak256(
            abi.encode(
                ROUND_RECORD_TYPEHASH,
                r.roundId,
                r.seed,
                r.period,
                r.queryCid,
                r.transcriptCid,
                r.winner,
                keccak256(abi.encodePacked(r.participants)),
                keccak256(abi.encodePacked(deltas)),
                keccak256(abi.encodePacked(sources))
            )
        );
    }

    /// @notice hashStruct(SourceService).
    function hashService(bytes32 roundId, bytes32 servedCid) internal pure returns (bytes32) {
        return keccak256(abi.encode(SOURCE_SERVICE_TYPEHASH, roundId, servedCid));
    }

    /// @notice The EIP-712 digest of `structHash` under `domainSeparator`.
    function digest(bytes32 domainSeparator, bytes32 structHash) internal pure returns (bytes32 d) {
        // Same as OpenZeppelin MessageHashUtils.toTypedDataHash, in scratch memory.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), domainSeparator)
            mstore(add(ptr, 0x22), structHash)
            d := keccak256(ptr, 0x42)
        }
    }

    /// @notice The epoch commitment: keccak256 of the concatenated record digests, low 40 bits cleared (they
    ///         hold the settlement time in storage).
    function commitment(bytes32[] memory digests) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(digests)) & ~bytes32(uint256(type(uint40).max));
    }
}
