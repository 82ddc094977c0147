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
///      - a context of `CTX_WORDS` words: shared words (CTX_*) and a per-record frame this routine fills (REC_*).
///      On failure the routine writes an error code and two values to the context and returns; the caller
///      reverts with the matching custom error. Per-record scratch lives past the free memory pointer and is
///      never claimed: nothing in it outlives the call.
library EpochCodec {
    // The context: CTX_WORDS words. Word i is at byte offset 32 * i; each constant below names one word (the Yul
    // can only take literal constants, so the offsets are written out; test/contracts/codec-layout.test.ts checks
    // they are distinct words below CTX_WORDS * 32 and that the Yul uses no other offset or error code).
    // Words shared by every record of the epoch (CTX_*) and the per-record frame the routine fills (REC_*).
    uint256 internal constant CTX_WORDS = 42;
    uint256 internal constant CTX_NODES = 0x00; // 0: pointer to the node table
    uint256 internal constant CTX_NODE_COUNT = 0x20; // 1
    uint256 internal constant CTX_SOURCES = 0x40; // 2: pointer to the source table
    uint256 internal constant CTX_SOURCE_COUNT = 0x60; // 3
    uint256 internal constant CTX_DOMAIN = 0x80; // 4: EIP-712 domain separator
    uint256 internal constant CTX_CURRENT_PERIOD = 0xa0; // 5: the weight period now (Settlement's own)
    uint256 internal constant CTX_END = 0xc0; // 6: calldata offset where the records end
    uint256 internal constant CTX_RECORD_TYPEHASH = 0xe0; // 7
    uint256 internal constant CTX_SOURCE_DELTA_TYPEHASH = 0x100; // 8
    uint256 internal constant CTX_SERVICE_TYPEHASH = 0x120; // 9
    uint256 internal constant CTX_EVENT_TOPIC = 0x140; // 10: topic 0 of RoundSettled
    uint256 internal constant CTX_ERROR = 0x160; // 11: error code, 0 = none
    uint256 internal constant CTX_ERROR_A = 0x180; // 12
    uint256 internal constant CTX_ERROR_B = 0x1a0; // 13
    uint256 internal constant CTX_RUN_PREFIX = 0x1c0; // 14: coordinator << 96 of the current run
    uint256 internal constant CTX_ROUND = 0x1e0; // 15: round id of the record being settled
    uint256 internal constant CTX_COORDINATOR = 0x200; // 16: coordinator of the current run of records
    uint256 internal constant CTX_LAST_SEQ = 0x220; // 17: its last sequence so far
    uint256 internal constant REC_N = 0x240; // 18: participants of the record
    uint256 internal constant REC_INDICES = 0x260; // 19: calldata offset of its node indices
    uint256 internal constant REC_M = 0x280; // 20: source entries
    uint256 internal constant REC_SOURCE_ENTRIES = 0x2a0; // 21: calldata offset of the source entries
    uint256 internal constant REC_K = 0x2c0; // 22: signatures
    uint256 internal constant REC_POSITIONS = 0x2e0; // 23: calldata offset of the signer positions
    uint256 internal constant REC_SCRATCH = 0x300; // 24: S, the hash input scratch (10 words)
    uint256 internal constant REC_PARTICIPANTS = 0x320; // 25: P, participants' addresses (n words)
    uint256 internal constant REC_DELTAS = 0x340; // 26: D, their deltas (n words)
    uint256 internal constant REC_SOURCE_HASHES = 0x360; // 27: H, SourceDelta struct hashes (m words)
    uint256 internal constant REC_EVENT_BYTES = 0x380; // 28: B, the RoundSettled event bytes
    uint256 internal constant REC_TOTAL_SEATS = 0x3a0; // 29: seats of the listed members
    uint256 internal constant REC_WINNER_POSITION = 0x3c0; // 30
    uint256 internal constant REC_WINNER = 0x3e0; // 31
    uint256 internal constant REC_PARTICIPANTS_HASH = 0x400; // 32
    uint256 internal constant REC_DELTAS_HASH = 0x420; // 33
    uint256 internal constant REC_OFFSET = 0x440; // 34: calldata offset of the record
    uint256 internal constant CTX_PERIOD = 0x460; // 35: the epoch's weight period
    uint256 internal constant CTX_MIN_COMMITTEE = 0x480; // 36: fewest members a record may list
    uint256 internal constant CTX_BATCH_END = 0x4a0; // 37: the run's coordinator's last reserved sequence
    uint256 internal constant CTX_BATCH_SEED = 0x4c0; // 38: and its batch seed
    uint256 internal constant CTX_RUN_FIRST = 0x4e0; // 39: its last sequence before the run
    uint256 internal constant REC_ROUND_SEED = 0x500; // 40: keccak256(batch seed, round id)
    uint256 internal constant REC_SEATS = 0x520; // 41: V, seats per participant (n words)

    /// @dev FixedPoint.MAX_DELTA, and twice it: |d| <= MAX_DELTA iff d + MAX_DELTA (unsigned) <= DELTA_SPAN.
    uint256 internal constant MAX_DELTA = 50_000;
    uint256 internal constant DELTA_SPAN = 100_000;

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
                mstore(add(c, CTX_ERROR), code)
                mstore(add(c, CTX_ERROR_A), a)
                mstore(add(c, CTX_ERROR_B), b)
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
                let end := mload(add(c, CTX_END))
                if gt(add(r0, 77), end) {
                    fail(c, ERR_MALFORMED, r0, 0)
                    leave
                }
                let x := shr(160, calldataload(r0)) // seq
                mstore(add(c, CTX_ROUND), or(mload(add(c, CTX_RUN_PREFIX)), x))
                mstore(add(c, REC_OFFSET), r0)
                // the caller set CTX_LAST_SEQ and CTX_BATCH_END for this run's coordinator: sequences are
                // consecutive, within the reserved batch
                if or(iszero(eq(x, add(mload(add(c, CTX_LAST_SEQ)), 1))), gt(x, mload(add(c, CTX_BATCH_END)))) {
                    fail(c, ERR_REPLAY, mload(add(c, CTX_LAST_SEQ)), mload(add(c, CTX_BATCH_END)))
                    leave
                }
                mstore(add(c, CTX_LAST_SEQ), x)
                // the round's seed: keccak256(batch seed, round id)
                mstore(0x00, mload(add(c, CTX_BATCH_SEED)))
                mstore(0x20, mload(add(c, CTX_ROUND)))
                mstore(add(c, REC_ROUND_SEED), keccak256(0x00, 0x40))
                let n := byte(0, calldataload(add(r0, 76)))
                if iszero(n) {
                    fail(c, ERR_EMPTY_ROUND, 0, 0)
                    leave
                }
                if lt(n, mload(add(c, CTX_MIN_COMMITTEE))) {
                    fail(c, ERR_SMALL_COMMITTEE, n, mload(add(c, CTX_MIN_COMMITTEE)))
                    leave
                }
                mstore(add(c, REC_N), n)
                mstore(add(c, REC_INDICES), add(r0, 77))
                x := add(add(r0, 78), mul(n, 5)) // m
                if gt(add(x, 1), end) {
                    fail(c, ERR_MALFORMED, add(r0, 77), 0)
                    leave
                }
                let m := byte(0, calldataload(x))
                mstore(add(c, REC_M), m)
                mstore(add(c, REC_SOURCE_ENTRIES), add(x, 1))
                x := add(add(x, 1), mul(m, 105)) // k
                if gt(add(x, 1), end) {
                    fail(c, ERR_MALFORMED, mload(add(c, REC_SOURCE_ENTRIES)), 0)
                    leave
                }
                let k := byte(0, calldataload(x))
                mstore(add(c, REC_K), k)
                mstore(add(c, REC_POSITIONS), add(x, 1))
                nxt := add(add(x, 1), mul(k, 65))
                if gt(nxt, end) {
                    fail(c, ERR_MALFORMED, add(x, 1), 0)
                    nxt := 0
                    leave
                }
                // scratch: S hash input (10 words) | P participants (n words) | D deltas (n words) |
                //          V seats (n words) | H source hashes (m words) | event head (3 words) | B event bytes
                x := mload(0x40)
                mstore(add(c, REC_SCRATCH), x)
                mstore(add(c, REC_PARTICIPANTS), add(x, 0x140))
                mstore(add(c, REC_DELTAS), add(x, add(0x140, shl(5, n))))
                mstore(add(c, REC_SEATS), add(x, add(0x140, shl(6, n))))
                mstore(add(c, REC_SOURCE_HASHES), add(x, add(0x140, mul(0x60, n))))
                mstore(add(c, REC_EVENT_BYTES), add(x, add(add(0x1a0, mul(0x60, n)), shl(5, m))))
            }

            // Participants and their deltas, in one pass: table indices strictly increasing (so sorted by
            // address, no duplicates) and in range; addresses to P and deltas to D (for the hashes); total stake;
            // |d| <= 50_000 (FixedPoint.MAX_DELTA), summed into the node's pending net delta for the epoch.
            function participants(c) -> ok {
                let xEnd := add(mload(add(c, REC_INDICES)), mload(add(c, REC_N))) // end of the indices
                {
                    let wp := byte(0, calldataload(xEnd))
                    if iszero(lt(wp, mload(add(c, REC_N)))) {
                        fail(c, ERR_INDEX, wp, mload(add(c, REC_N)))
                        leave
                    }
                    mstore(add(c, REC_WINNER_POSITION), wp)
                }
                let pp := mload(add(c, REC_PARTICIPANTS)) // P cursor; D = P + off
                let off := shl(5, mload(add(c, REC_N)))
                let dx := add(xEnd, 1) // delta cursor
                let minT := 0 // lowest table index the next participant may have
                let total := 0
                for { let x := mload(add(c, REC_INDICES)) } lt(x, xEnd) { x := add(x, 1) } {
                    let t := byte(0, calldataload(x))
                    // minT <= t < len, as one unsigned comparison
                    if iszero(lt(sub(t, minT), sub(mload(add(c, CTX_NODE_COUNT)), minT))) {
                        if iszero(lt(t, mload(add(c, CTX_NODE_COUNT)))) {
                            fail(c, ERR_INDEX, t, mload(add(c, CTX_NODE_COUNT)))
                            leave
                        }
                        fail(c, ERR_NOT_SORTED, mload(add(mload(add(c, CTX_NODES)), mul(t, 0x60))), 0)
                        leave
                    }
                    minT := add(t, 1)
                    t := add(mload(add(c, CTX_NODES)), mul(t, 0x60)) // the node's table entry
                    let d := signextend(3, shr(224, calldataload(dx)))
                    // d + MAX_DELTA as unsigned is above DELTA_SPAN exactly when |d| > MAX_DELTA
                    if gt(add(d, MAX_DELTA), DELTA_SPAN) {
                        fail(c, ERR_DELTA, mload(t), d)
                        leave
                    }
                    mstore(pp, mload(t))
                    mstore(add(pp, off), d)
                    {
                        // seats = floor(share + u), u = keccak256(round seed | node) >> 128 (Sortition.seats)
                        mstore(0x00, mload(add(c, REC_ROUND_SEED)))
                        mstore(0x20, shl(96, mload(t)))
                        mstore(0x00, shr(128, add(mload(add(t, 0x20)), shr(128, keccak256(0x00, 0x34)))))
                        if iszero(mload(0x00)) {
                            fail(c, ERR_NOT_DRAWN, mload(t), mload(add(t, 0x20)))
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
                pp := mload(add(c, REC_PARTICIPANTS))
                mstore(add(c, REC_TOTAL_SEATS), total)
                mstore(add(c, REC_WINNER), mload(add(pp, shl(5, mload(add(c, REC_WINNER_POSITION))))))
                mstore(add(c, REC_PARTICIPANTS_HASH), keccak256(pp, off))
                mstore(add(c, REC_DELTAS_HASH), keccak256(add(pp, off), off))
                ok := 1
            }

            // Source entry j at calldata x (table index at least `minT`): bounds, its event bytes (after the node
            // part of B: uint8 index | int32 reliability | int32 usefulness, the raw calldata bytes), the source's
            // statement over what it served, its SourceDelta hash and its pending net deltas. Returns the next
            // minimum index.
            function source(c, x, j, minT) -> nextMin {
                let t := byte(0, calldataload(x))
                if iszero(lt(sub(t, minT), sub(mload(add(c, CTX_SOURCE_COUNT)), minT))) {
                    if iszero(lt(t, mload(add(c, CTX_SOURCE_COUNT)))) {
                        fail(c, ERR_INDEX, t, mload(add(c, CTX_SOURCE_COUNT)))
                        leave
                    }
                    fail(c, ERR_NOT_SORTED, mload(add(mload(add(c, CTX_SOURCES)), shl(6, t))), 0)
                    leave
                }
                nextMin := add(t, 1)
                let entry := add(mload(add(c, CTX_SOURCES)), shl(6, t))
                let w := calldataload(add(x, 1)) // reliability (4 bytes) | usefulness (4 bytes) | ...
                mstore(
                    add(add(mload(add(c, REC_EVENT_BYTES)), add(2, mul(mload(add(c, REC_N)), 5))), mul(j, 9)),
                    or(shl(248, t), shr(8, and(w, not(0xffffffffffffffffffffffffffffffffffffffffffffffff))))
                )
                let rel := signextend(3, shr(224, w))
                w := signextend(3, shr(192, w)) // usefulness
                if gt(add(rel, MAX_DELTA), DELTA_SPAN) {
                    fail(c, ERR_DELTA, mload(entry), rel)
                    leave
                }
                if gt(add(w, MAX_DELTA), DELTA_SPAN) {
                    fail(c, ERR_DELTA, mload(entry), w)
                    leave
                }
                let S := mload(add(c, REC_SCRATCH))
                mstore(S, mload(add(c, CTX_SERVICE_TYPEHASH)))
                mstore(add(S, 0x20), mload(add(c, CTX_ROUND)))
                mstore(add(S, 0x40), calldataload(add(x, 9)))
                // the statement's digest and its recovery use the words after the statement
                let sd := typedDigest(add(S, 0x80), mload(add(c, CTX_DOMAIN)), keccak256(S, 0x60))
                mstore(add(S, 0x80), recover(add(S, 0x80), sd, add(x, 41)))
                if iszero(eq(mload(add(S, 0x80)), mload(entry))) {
                    fail(c, ERR_SOURCE_SIGNATURE, mload(entry), mload(add(S, 0x80)))
                    leave
                }
                mstore(S, mload(add(c, CTX_SOURCE_DELTA_TYPEHASH)))
                mstore(add(S, 0x20), mload(entry))
                mstore(add(S, 0x40), rel)
                mstore(add(S, 0x60), w)
                mstore(add(S, 0x80), calldataload(add(x, 9)))
                mstore(add(mload(add(c, REC_SOURCE_HASHES)), shl(5, j)), keccak256(S, 0xa0))
                // the source's pending net deltas, reliability | usefulness << 32, each biased by 2^31 as the
                // nodes' are: adding both halves at once cannot carry from one into the other
                entry := add(entry, 0x20)
                mstore(entry, add(mload(entry), add(rel, shl(32, w))))
            }

            function sources(c) -> ok {
                let minT := 0
                let x := mload(add(c, REC_SOURCE_ENTRIES))
                for { let j := 0 } lt(j, mload(add(c, REC_M))) { j := add(j, 1) } {
                    minT := source(c, x, j, minT)
                    if mload(add(c, CTX_ERROR)) { leave }
                    x := add(x, 105)
                }
                ok := 1
            }

            // EIP-712 digest of the RoundRecord.
            function recordDigest(c) -> d {
                let S := mload(add(c, REC_SCRATCH))
                let r0 := mload(add(c, REC_OFFSET))
                mstore(add(S, 0x120), keccak256(mload(add(c, REC_SOURCE_HASHES)), shl(5, mload(add(c, REC_M)))))
                mstore(S, mload(add(c, CTX_RECORD_TYPEHASH)))
                mstore(add(S, 0x20), mload(add(c, CTX_ROUND)))
                mstore(add(S, 0x40), mload(add(c, REC_ROUND_SEED)))
                mstore(add(S, 0x60), mload(add(c, CTX_PERIOD)))
                mstore(add(S, 0x80), calldataload(add(r0, 12)))
                mstore(add(S, 0xa0), calldataload(add(r0, 44)))
                mstore(add(S, 0xc0), mload(add(c, REC_WINNER)))
                mstore(add(S, 0xe0), mload(add(c, REC_PARTICIPANTS_HASH)))
                mstore(add(S, 0x100), mload(add(c, REC_DELTAS_HASH)))
                d := typedDigest(S, mload(add(c, CTX_DOMAIN)), keccak256(S, 0x140))
            }

            // Signer positions strictly increasing and below n, each signature recovering to the participant
            // at its position; signers' stake reaches 2/3 of the participants' stake. ecrecover inline, with the
            // digest written once: s in the upper half (the malleable twin) or a failed recovery gives 0.
            function signatures(c, d) -> ok {
                let x := mload(add(c, REC_POSITIONS)) // position cursor
                let sig := add(x, mload(add(c, REC_K))) // signature cursor; also where positions end
                let S := mload(add(c, REC_SCRATCH))
                mstore(S, d)
                let signed := 0
                let minPos := 0
                for { let end := sig } lt(x, end) { x := add(x, 1) } {
                    let pos := byte(0, calldataload(x))
                    if iszero(lt(sub(pos, minPos), sub(mload(add(c, REC_N)), minPos))) {
                        if iszero(lt(pos, mload(add(c, REC_N)))) {
                            fail(c, ERR_INDEX, pos, mload(add(c, REC_N)))
                            leave
                        }
                        fail(c, ERR_SIGNERS_ORDER, pos, 0)
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
                    d := mload(add(mload(add(c, REC_PARTICIPANTS)), shl(5, pos))) // the participant at pos
                    if iszero(eq(mload(0x00), d)) {
                        fail(c, ERR_SIGNATURE, d, mload(0x00))
                        leave
                    }
                    signed := add(signed, mload(add(mload(add(c, REC_SEATS)), shl(5, pos)))) // its seats
                    sig := add(sig, 64)
                }
                // 3 * signed >= 2 * total (sums of seats below 2^136: no overflow)
                if lt(mul(3, signed), mul(2, mload(add(c, REC_TOTAL_SEATS)))) {
                    fail(c, ERR_QUORUM, signed, mload(add(c, REC_TOTAL_SEATS)))
                    leave
                }
                ok := 1
            }

            // RoundSettled(roundId indexed, transcriptCid, deltas): the event data is
            // transcriptCid | offset 0x40 | length | B (padded). B = the record's own bytes
            // n | n x uint8 node index | uint8 winner position | n x int32 delta (copied from calldata), then
            // m x (uint8 source index | int32 reliability | int32 usefulness) (written by `source`).
            function emitRound(c) {
                let b := mload(add(c, REC_EVENT_BYTES))
                let len := add(2, mul(mload(add(c, REC_N)), 5))
                calldatacopy(b, add(mload(add(c, REC_OFFSET)), 76), len)
                len := add(len, mul(mload(add(c, REC_M)), 9))
                mstore(add(b, len), 0) // zero padding
                let e := sub(b, 0x60)
                mstore(e, calldataload(add(mload(add(c, REC_OFFSET)), 44)))
                mstore(add(e, 0x20), 0x40)
                mstore(add(e, 0x40), len)
                log2(e, add(0x60, and(add(len, 31), not(31))), mload(add(c, CTX_EVENT_TOPIC)), mload(add(c, CTX_ROUND)))
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
