// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title EpochCodec
/// @notice The per-record hot path of Settlement, in Yul: parses one packed record (format in ISettlement),
///         checks round-id order and replay, indices, delta bounds, source statements, participant signatures
///         and the quorum, applies the deltas to the epoch's in-memory tables, computes the record's EIP-712
///         digest and emits its `RoundSettled` event. Settlement keeps the tables, storage and custom errors.
///
/// @dev Memory the caller prepares:
///      - node table: per node 3 words [address, share, pending]; pending = 2^31 + the node's net delta so far
///      - source table: per source 2 words [address, pending], pending = (2^31 + net reliability delta) |
///        (2^31 + net usefulness delta) << 32
///      - a context of `CTX_WORDS` words: shared words at the CTX_* offsets, then a per-record frame
///        (0x240..0x45f) this routine fills. The Yul below uses the same offsets as literals.
///      On failure the routine writes an error code and two values to the context and returns; the caller
///      reverts with the matching custom error. Per-record scratch lives past the free memory pointer and is
///      never claimed: nothing in it outlives the call.
library EpochCodec {
    uint256 internal constant CTX_WORDS = 42;
    uint256 internal constant CTX_NODES = 0x00; // pointer to the node table
    uint256 internal constant CTX_NODE_COUNT = 0x20;
    uint256 internal constant CTX_SOURCES = 0x40; // pointer to the source table
    uint256 internal constant CTX_SOURCE_COUNT = 0x60;
    uint256 internal constant CTX_DOMAIN = 0x80; // EIP-712 domain separator
    uint256 internal constant CTX_CURRENT_PERIOD = 0xa0; // the weight period now (Settlement's own)
    uint256 internal constant CTX_END = 0xc0; // calldata offset where the records end
    uint256 internal constant CTX_RECORD_TYPEHASH = 0xe0;
    uint256 internal constant CTX_SOURCE_DELTA_TYPEHASH = 0x100;
    uint256 internal constant CTX_SERVICE_TYPEHASH = 0x120;
    uint256 internal constant CTX_EVENT_TOPIC = 0x140; // topic 0 of RoundSettled
    uint256 internal constant CTX_ERROR = 0x160; // error code, 0 = none
    uint256 internal constant CTX_ERROR_A = 0x180;
    uint256 internal constant CTX_ERROR_B = 0x1a0;
    uint256 internal constant CTX_RUN_PREFIX = 0x1c0; // coordinator << 96 of the current run
    uint256 internal constant CTX_ROUND = 0x1e0; // round id of the record being settled
    uint256 internal constant CTX_COORDINATOR = 0x200; // coordinator of the current run of records
    uint256 internal constant CTX_LAST_SEQ = 0x220; // its last sequence so far
    uint256 internal constant CTX_PERIOD = 0x460; // the epoch's weight period
    uint256 internal constant CTX_MIN_COMMITTEE = 0x480; // fewest members a record may list
    uint256 internal constant CTX_BATCH_END = 0x4a0; // the run's coordinator's last reserved sequence
    uint256 internal constant CTX_BATCH_SEED = 0x4c0; // and its batch seed
    uint256 internal constant CTX_RUN_FIRST = 0x4e0; // its last sequence before the run
    // per-record frame, continued: 0x500 round seed | 0x520 V (seats per participant)
    // per-record frame: 0x240 n | 0x260 indices offset | 0x280 m | 0x2a0 source entries offset | 0x2c0 k |
    // 0x2e0 signer positions offset | 0x300 S | 0x320 P | 0x340 D | 0x360 H | 0x380 B | 0x3a0 total stake |
    // 0x3c0 winner position | 0x3e0 winner | 0x400 participants hash | 0x420 deltas hash | 0x440 record offset

    // error codes
    uint256 internal constant ERR_MALFORMED = 1; // a: calldata offset
    uint256 internal constant ERR_EMPTY_ROUND = 2;
    uint256 internal constant ERR_INDEX = 3; // a: index, b: length
    uint256 internal constant ERR_NOT_SORTED = 4; // a: account
    uint256 internal constant ERR_DELTA = 5; // a: account, b: delta
    uint256 internal constant ERR_SOURCE_SIGNATURE = 6; // a: source, b: recovered
    uint256 internal constant ERR_SIGNERS_ORDER = 7; // a: position
    uint256 internal constant ERR_SIGNATURE = 8; // a: expected, b: recovered
    uint256 internal constant ERR_QUORUM = 9; // a: signed stake, b: total stake
    uint256 internal constant ERR_REPLAY = 10; // a: last sequence, b: batch end
    uint256 internal constant ERR_NOT_DRAWN = 11; // a: node, b: share
    uint256 internal constant ERR_SMALL_COMMITTEE = 12; // a: members, b: minimum

    /// @notice Settles the record at calldata offset `p`; returns the offset after it and its EIP-712 digest.
    ///         Check `CTX_ERROR` afterwards: on failure `next` and `digest` are meaningless.
    // solhint-disable-next-line function-max-lines
    function settleRecord(uint256 ctx, uint256 p) internal returns (uint256 next, bytes32 digest) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            function fail(c, code, a, b) {
                mstore(add(c, 0x160), code)
                mstore(add(c, 0x180), a)
                mstore(add(c, 0x1a0), b)
            }
            // keccak256("\x19\x01" | domain | structHash), written at `scratch`
            function typedDigest(scratch, domain, structHash) -> d {
                mstore(scratch, shl(240, 0x1901))
                mstore(add(scratch, 0x02), domain)
                mstore(add(scratch, 0x22), structHash)
                d := keccak256(scratch, 0x42)
            }
            // Signer of `d` from the EIP-2098 compact signature r | yParity << 255 | s at calldata `at`, using
            // 4 words at `scratch`; 0 for s in the upper half (the malleable twin) or a failed recovery.
            function recover(scratch, d, at) -> signer {
                mstore(0x00, 0)
                let vs := calldataload(add(at, 32))
                mstore(add(scratch, 0x20), add(27, shr(255, vs))) // v from the parity bit
                vs := and(vs, 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff) // s
                mstore(add(scratch, 0x60), vs)
                if iszero(gt(vs, 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0)) {
                    mstore(scratch, d)
                    mstore(add(scratch, 0x40), calldataload(at))
                    // ecrecover precompile; returns nothing on failure, leaving 0 at 0x00
                    pop(staticcall(gas(), 1, scratch, 0x80, 0x00, 0x20))
                }
                signer := mload(0x00)
            }

            // Replay, sizes and scratch layout of the record at r0; returns the offset after it (0 on failure).
            // Record: uint96 seq 12 | queryCid 32 | transcriptCid 32 | n 1 | n indices | winner 1 | 4n deltas |
            // m 1 | 106m source entries | k 1 | k positions | 64k signatures.
            function layout(c, r0) -> nxt {
                let end := mload(add(c, 0xc0))
                if gt(add(r0, 77), end) {
                    fail(c, 1, r0, 0)
                    leave
                }
                let x := shr(160, calldataload(r0)) // seq
                mstore(add(c, 0x1e0), or(mload(add(c, 0x1c0)), x))
                mstore(add(c, 0x440), r0)
                // the caller set CTX_LAST_SEQ and CTX_BATCH_END for this run's coordinator: sequences are
                // consecutive, within the reserved batch
                if or(iszero(eq(x, add(mload(add(c, 0x220)), 1))), gt(x, mload(add(c, 0x4a0)))) {
                    fail(c, 10, mload(add(c, 0x220)), mload(add(c, 0x4a0)))
                    leave
                }
                mstore(add(c, 0x220), x)
                // the round's seed: keccak256(batch seed, round id)
                mstore(0x00, mload(add(c, 0x4c0)))
                mstore(0x20, mload(add(c, 0x1e0)))
                mstore(add(c, 0x500), keccak256(0x00, 0x40))
                let n := byte(0, calldataload(add(r0, 76)))
                if iszero(n) {
                    fail(c, 2, 0, 0)
                    leave
                }
                if lt(n, mload(add(c, 0x480))) {
                    fail(c, 12, n, mload(add(c, 0x480)))
                    leave
                }
                mstore(add(c, 0x240), n)
                mstore(add(c, 0x260), add(r0, 77))
                x := add(add(r0, 78), mul(n, 5)) // m
                if gt(add(x, 1), end) {
                    fail(c, 1, add(r0, 77), 0)
                    leave
                }
                let m := byte(0, calldataload(x))
                mstore(add(c, 0x280), m)
                mstore(add(c, 0x2a0), add(x, 1))
                x := add(add(x, 1), mul(m, 105)) // k
                if gt(add(x, 1), end) {
                    fail(c, 1, mload(add(c, 0x2a0)), 0)
                    leave
                }
                let k := byte(0, calldataload(x))
                mstore(add(c, 0x2c0), k)
                mstore(add(c, 0x2e0), add(x, 1))
                nxt := add(add(x, 1), mul(k, 65))
                if gt(nxt, end) {
                    fail(c, 1, add(x, 1), 0)
                    nxt := 0
                    leave
                }
                // scratch: S hash input (10 words) | P participants (n words) | D deltas (n words) |
                //          V seats (n words) | H source hashes (m words) | event head (3 words) | B event bytes
                x := mload(0x40)
                mstore(add(c, 0x300), x)
                mstore(add(c, 0x320), add(x, 0x140))
                mstore(add(c, 0x340), add(x, add(0x140, shl(5, n))))
                mstore(add(c, 0x520), add(x, add(0x140, shl(6, n))))
                mstore(add(c, 0x360), add(x, add(0x140, mul(0x60, n))))
                mstore(add(c, 0x380), add(x, add(add(0x1a0, mul(0x60, n)), shl(5, m))))
            }

            // Participants and their deltas, in one pass: table indices strictly increasing (so sorted by
            // address, no duplicates) and in range; addresses to P and deltas to D (for the hashes); total stake;
            // |d| <= 50_000 (FixedPoint.MAX_DELTA), summed into the node's pending net delta for the epoch.
            function participants(c) -> ok {
                let xEnd := add(mload(add(c, 0x260)), mload(add(c, 0x240))) // end of the indices
                {
                    let wp := byte(0, calldataload(xEnd))
                    if iszero(lt(wp, mload(add(c, 0x240)))) {
                        fail(c, 3, wp, mload(add(c, 0x240)))
                        leave
                    }
                    mstore(add(c, 0x3c0), wp)
                }
                let pp := mload(add(c, 0x320)) // P cursor; D = P + off
                let off := shl(5, mload(add(c, 0x240)))
                let dx := add(xEnd, 1) // delta cursor
                let minT := 0 // lowest table index the next participant may have
                let total := 0
                for { let x := mload(add(c, 0x260)) } lt(x, xEnd) { x := add(x, 1) } {
                    let t := byte(0, calldataload(x))
                    // minT <= t < len, as one unsigned comparison
                    if iszero(lt(sub(t, minT), sub(mload(add(c, 0x20)), minT))) {
                        if iszero(lt(t, mload(add(c, 0x20)))) {
                            fail(c, 3, t, mload(add(c, 0x20)))
                            leave
                        }
                        fail(c, 4, mload(add(mload(c), mul(t, 0x60))), 0)
                        leave
                    }
                    minT := add(t, 1)
                    t := add(mload(c), mul(t, 0x60)) // the node's table entry
                    let d := signextend(3, shr(224, calldataload(dx)))
                    // d + 50_000 as unsigned is above 100_000 exactly when |d| > 50_000
                    if gt(add(d, 50000), 100000) {
                        fail(c, 5, mload(t), d)
                        leave
                    }
                    mstore(pp, mload(t))
                    mstore(add(pp, off), d)
                    {
                        // seats = floor(share + u), u = keccak256(round seed | node) >> 128 (Sortition.seats)
                        mstore(0x00, mload(add(c, 0x500)))
                        mstore(0x20, shl(96, mload(t)))
                        mstore(0x00, shr(128, add(mload(add(t, 0x20)), shr(128, keccak256(0x00, 0x34)))))
                        if iszero(mload(0x00)) {
                            fail(c, 11, mload(t), mload(add(t, 0x20)))
                            leave
                        }
                        mstore(add(pp, shl(1, off)), mload(0x00))
                        // seats are below 2^136 and n < 256: no overflow
                        total := add(total, mload(0x00))
                    }
                    // the node's pending net delta for the epoch, biased by 2^31 (Settlement.PENDING_BIAS):
                    // |sum| <= 256 records x 50_000 < 2^31, so it never leaves its 32 bits
                    t := add(t, 0x40)
                    mstore(t, add(mload(t), d))
                    pp := add(pp, 0x20)
                    dx := add(dx, 4)
                }
                pp := mload(add(c, 0x320))
                mstore(add(c, 0x3a0), total)
                mstore(add(c, 0x3e0), mload(add(pp, shl(5, mload(add(c, 0x3c0))))))
                mstore(add(c, 0x400), keccak256(pp, off))
                mstore(add(c, 0x420), keccak256(add(pp, off), off))
                ok := 1
            }

            // Source entry j at calldata x (table index at least `minT`): bounds, its event bytes (after the node
            // part of B: uint8 index | int32 reliability | int32 usefulness, the raw calldata bytes), the source's
            // statement over what it served, its SourceDelta hash and its pending net deltas. Returns the next
            // minimum index.
            function source(c, x, j, minT) -> nextMin {
                let t := byte(0, calldataload(x))
                if iszero(lt(sub(t, minT), sub(mload(add(c, 0x60)), minT))) {
                    if iszero(lt(t, mload(add(c, 0x60)))) {
                        fail(c, 3, t, mload(add(c, 0x60)))
                        leave
                    }
                    fail(c, 4, mload(add(mload(add(c, 0x40)), shl(6, t))), 0)
                    leave
                }
                nextMin := add(t, 1)
                let entry := add(mload(add(c, 0x40)), shl(6, t))
                let w := calldataload(add(x, 1)) // reliability (4 bytes) | usefulness (4 bytes) | ...
                mstore(
                    add(add(mload(add(c, 0x380)), add(2, mul(mload(add(c, 0x240)), 5))), mul(j, 9)),
                    or(shl(248, t), shr(8, and(w, not(0xffffffffffffffffffffffffffffffffffffffffffffffff))))
                )
                let rel := signextend(3, shr(224, w))
                w := signextend(3, shr(192, w)) // usefulness
                if gt(add(rel, 50000), 100000) {
                    fail(c, 5, mload(entry), rel)
                    leave
                }
                if gt(add(w, 50000), 100000) {
                    fail(c, 5, mload(entry), w)
                    leave
                }
                let S := mload(add(c, 0x300))
                mstore(S, mload(add(c, 0x120)))
                mstore(add(S, 0x20), mload(add(c, 0x1e0)))
                mstore(add(S, 0x40), calldataload(add(x, 9)))
                // the statement's digest and its recovery use the words after the statement
                let sd := typedDigest(add(S, 0x80), mload(add(c, 0x80)), keccak256(S, 0x60))
                mstore(add(S, 0x80), recover(add(S, 0x80), sd, add(x, 41)))
                if iszero(eq(mload(add(S, 0x80)), mload(entry))) {
                    fail(c, 6, mload(entry), mload(add(S, 0x80)))
                    leave
                }
                mstore(S, mload(add(c, 0x100)))
                mstore(add(S, 0x20), mload(entry))
                mstore(add(S, 0x40), rel)
                mstore(add(S, 0x60), w)
                mstore(add(S, 0x80), calldataload(add(x, 9)))
                mstore(add(mload(add(c, 0x360)), shl(5, j)), keccak256(S, 0xa0))
                // the source's pending net deltas, reliability | usefulness << 32, each biased by 2^31 as the
                // nodes' are: adding both halves at once cannot carry from one into the other
                entry := add(entry, 0x20)
                mstore(entry, add(mload(entry), add(rel, shl(32, w))))
            }

            function sources(c) -> ok {
                let minT := 0
                let x := mload(add(c, 0x2a0))
                for { let j := 0 } lt(j, mload(add(c, 0x280))) { j := add(j, 1) } {
                    minT := source(c, x, j, minT)
                    if mload(add(c, 0x160)) { leave }
                    x := add(x, 105)
                }
                ok := 1
            }

            // EIP-712 digest of the RoundRecord.
            function recordDigest(c) -> d {
                let S := mload(add(c, 0x300))
                let r0 := mload(add(c, 0x440))
                mstore(add(S, 0x120), keccak256(mload(add(c, 0x360)), shl(5, mload(add(c, 0x280)))))
                mstore(S, mload(add(c, 0xe0)))
                mstore(add(S, 0x20), mload(add(c, 0x1e0)))
                mstore(add(S, 0x40), mload(add(c, 0x500)))
                mstore(add(S, 0x60), mload(add(c, 0x460)))
                mstore(add(S, 0x80), calldataload(add(r0, 12)))
                mstore(add(S, 0xa0), calldataload(add(r0, 44)))
                mstore(add(S, 0xc0), mload(add(c, 0x3e0)))
                mstore(add(S, 0xe0), mload(add(c, 0x400)))
                mstore(add(S, 0x100), mload(add(c, 0x420)))
                d := typedDigest(S, mload(add(c, 0x80)), keccak256(S, 0x140))
            }

            // Signer positions strictly increasing and below n, each signature recovering to the participant
            // at its position; signers' stake reaches 2/3 of the participants' stake. ecrecover inline, with the
            // digest written once: s in the upper half (the malleable twin) or a failed recovery gives 0.
            function signatures(c, d) -> ok {
                let x := mload(add(c, 0x2e0)) // position cursor
                let sig := add(x, mload(add(c, 0x2c0))) // signature cursor; also where positions end
                let S := mload(add(c, 0x300))
                mstore(S, d)
                let signed := 0
                let minPos := 0
                for { let end := sig } lt(x, end) { x := add(x, 1) } {
                    let pos := byte(0, calldataload(x))
                    if iszero(lt(sub(pos, minPos), sub(mload(add(c, 0x240)), minPos))) {
                        if iszero(lt(pos, mload(add(c, 0x240)))) {
                            fail(c, 3, pos, mload(add(c, 0x240)))
                            leave
                        }
                        fail(c, 7, pos, 0)
                        leave
                    }
                    minPos := add(pos, 1)
                    d := calldataload(add(sig, 32)) // yParity << 255 | s
                    mstore(add(S, 0x20), add(27, shr(255, d)))
                    mstore(add(S, 0x40), calldataload(sig))
                    d := and(d, 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff)
                    mstore(add(S, 0x60), d)
                    mstore(0x00, 0)
                    if iszero(gt(d, 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0)) {
                        // ecrecover precompile; returns nothing on failure, leaving 0 at 0x00
                        pop(staticcall(gas(), 1, S, 0x80, 0x00, 0x20))
                    }
                    d := mload(add(mload(add(c, 0x320)), shl(5, pos))) // the participant at pos
                    if iszero(eq(mload(0x00), d)) {
                        fail(c, 8, d, mload(0x00))
                        leave
                    }
                    signed := add(signed, mload(add(mload(add(c, 0x520)), shl(5, pos)))) // its seats
                    sig := add(sig, 64)
                }
                // 3 * signed >= 2 * total (sums of seats below 2^136: no overflow)
                if lt(mul(3, signed), mul(2, mload(add(c, 0x3a0)))) {
                    fail(c, 9, signed, mload(add(c, 0x3a0)))
                    leave
                }
                ok := 1
            }

            // RoundSettled(roundId indexed, transcriptCid, deltas): the event data is
            // transcriptCid | offset 0x40 | length | B (padded). B = the record's own bytes
            // n | n x uint8 node index | uint8 winner position | n x int32 delta (copied from calldata), then
            // m x (uint8 source index | int32 reliability | int32 usefulness) (written by `source`).
            function emitRound(c) {
                let b := mload(add(c, 0x380))
                let len := add(2, mul(mload(add(c, 0x240)), 5))
                calldatacopy(b, add(mload(add(c, 0x440)), 76), len)
                len := add(len, mul(mload(add(c, 0x280)), 9))
                mstore(add(b, len), 0) // zero padding
                let e := sub(b, 0x60)
                mstore(e, calldataload(add(mload(add(c, 0x440)), 44)))
                mstore(add(e, 0x20), 0x40)
                mstore(add(e, 0x40), len)
                log2(e, add(0x60, and(add(len, 31), not(31))), mload(add(c, 0x140)), mload(add(c, 0x1e0)))
            }

            function run(c, r0) -> nxt, dg {
                nxt := layout(c, r0)
                if iszero(nxt) { leave }
                if iszero(participants(c)) { leave }
                if iszero(sources(c)) { leave }
                dg := recordDigest(c)
                if iszero(signatures(c, dg)) { leave }
                emitRound(c)
            }

            next, digest := run(ctx, p)
        }
    }
}
