// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISettlement} from "./ISettlement.sol";

/// @title IDisputes
/// @notice Two ways to punish signers of round records, both slashing through the NodeRegistry.
///
///         Equivocation (no arbitration): a node signed two different records of one round that could both settle:
///         one of them settled (shown by its epoch's digests, within the dispute window), and the other has the same
///         round id, seed and weight period (the contract would have accepted it in the first one's place). The node
///         loses `equivocationSlashBps` of its stake (staked + thawing), once per round. `equivocationRewardBps` of
///         it goes to the prover only when the prover committed to the proof (`commitEquivocationProof`) in an
///         earlier block and is neither the round's coordinator nor a participant of either record: a proof copied
///         from the mempool, a self-report or a coordinator trapping its own members earns nothing.
///
///         False result (arbitrated, after The Graph Horizon's disputes): within `disputeWindow` of the epoch that
///         settled a round, anyone deposits `deposit` tokens with an evidence CID against the settled record,
///         proving which participants signed it with their signatures. Opening snapshots and locks, in the
///         NodeRegistry, the `falseResultSlashBps` share of each named signer's stake as it is then; anyone may add
///         the other signers to an open dispute (`addSigners`); each signer is held by at most one open dispute per
///         round, and a round can be disputed for each of its signers. The arbitrator, before `arbitrationPeriod`
///         ends, upholds (the round's deltas are voided, node and source alike; each signer loses what was locked,
///         `falseResultRewardBps` of it to the disputer, who gets the deposit back) or rejects (the deposit goes to
///         the treasury; the signers and their stake are free again). Unresolved at the deadline, the deposit goes
///         back to the disputer and the stake is unlocked. The NodeRegistry's thawing period is never shorter than
///         `disputeWindow + arbitrationPeriod` (`minThawingPeriod`), so disputed stake cannot leave first.
interface IDisputes {
    enum DisputeStatus {
        None,
        Open,
        Upheld,
        Rejected,
        Reclaimed
    }

    struct Dispute {
        address disputer;
        uint64 deadline;
        DisputeStatus status;
        bytes32 roundId;
        uint256 epoch;
        uint256 deposit;
        bytes32 evidenceCid;
        bytes32 recordDigest;
        address[] signers;
        uint256[] locked; // what opening locked of each signer's stake: what an uphold takes
    }

    /// @notice A settled record and where its digest is: digest `index` of `epochDigests`, the digests of all records
    ///         of `epoch` in order.
    struct SettledRecord {
        uint256 epoch;
        bytes32[] epochDigests;
        uint256 index;
        ISettlement.RoundRecord record;
    }

    /// @notice Parameters fixed at deployment. Basis points of 10_000.
    struct Params {
        uint256 deposit; // of an arbitrated dispute, in token wei
        uint16 equivocationSlashBps;
        uint16 equivocationRewardBps;
        uint16 falseResultSlashBps;
        uint16 falseResultRewardBps;
        uint64 disputeWindow; // seconds after an epoch settles during which its rounds can be disputed
        uint64 arbitrationPeriod; // seconds the arbitrator has to resolve a dispute
    }

    // ---------------------------------------------------------------- errors
    /// @notice The zero address was given where a contract or account is required.
    error DisputesZeroAddress();
    /// @notice Parameter `name` = `value` is outside [`min`, `max`].
    error DisputesInvalidParameter(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice An equivocation needs two records of the same round, not `roundA` and `roundB`.
    error DisputesDifferentRounds(bytes32 roundA, bytes32 roundB);
    /// @notice Both records have digest `digest`: that is one record, not an equivocation.
    error DisputesSameRecord(bytes32 digest);
    /// @notice A signature over `digest` is malformed or does not recover.
    error DisputesInvalidSignature(bytes32 digest);
    /// @notice The two records were signed by different nodes.
    error DisputesDifferentSigners(address signerA, address signerB);
    /// @notice `signer` was already slashed for equivocating on `roundId`.
    error DisputesAlreadySlashed(bytes32 roundId, address signer);
    /// @notice `node` has no stake left to slash (or the fraction rounds to zero).
    error DisputesNothingToSlash(address node);
    /// @notice Epoch `epoch` was never settled.
    error DisputesUnknownEpoch(uint256 epoch);
    /// @notice Disputes against epoch `epoch` closed at `closesAt`; it is `nowTime`.
    error DisputesWindowClosed(uint256 epoch, uint256 nowTime, uint256 closesAt);
    /// @notice The digests given for `epoch` commit to `computed`, not the stored `stored`.
    error DisputesEpochMismatch(uint256 epoch, bytes32 computed, bytes32 stored);
    /// @notice Digest `index` of the epoch is not the record's digest `digest`.
    error DisputesRecordNotInEpoch(uint256 epoch, uint256 index, bytes32 digest);
    /// @notice `signer` signed the record of `roundId` but is not one of its participants.
    error DisputesSignerNotParticipant(bytes32 roundId, address signer);
    /// @notice A dispute needs at least one signature.
    error DisputesNoSigners(bytes32 roundId);
    /// @notice `signer` of `roundId` is already held by an open dispute or was upheld (`status`).
    error DisputesSignerAlreadyDisputed(bytes32 roundId, address signer, DisputeStatus status);
    /// @notice Records `digestA` (settled) and `digestB` of `roundId` have different seeds or periods: the second
    ///         could never have settled, so signing it is no equivocation.
    error DisputesNotConflicting(bytes32 roundId, bytes32 digestA, bytes32 digestB);
    /// @notice The NodeRegistry's thawing period `thawing` is shorter than dispute window + arbitration, `floor`.
    error DisputesThawingTooShort(uint256 thawing, uint256 floor);
    /// @notice Dispute `id` does not exist.
    error DisputesUnknownDispute(uint256 id);
    /// @notice Dispute `id` is `status`, not open.
    error DisputesNotOpen(uint256 id, DisputeStatus status);
    /// @notice Dispute `id` could only be resolved before `deadline`; it is `nowTime`.
    error DisputesDeadlinePassed(uint256 id, uint256 nowTime, uint256 deadline);
    /// @notice The deposit of dispute `id` can be reclaimed from `deadline`; it is `nowTime`.
    error DisputesDeadlineNotReached(uint256 id, uint256 nowTime, uint256 deadline);

    // ---------------------------------------------------------------- events
    /// @notice `signer` signed records `digestA` and `digestB` of `roundId`; it lost `amount`, `reward` of which
    ///         went to `prover`.
    event EquivocationProven(
        bytes32 indexed roundId,
        address indexed signer,
        address indexed prover,
        bytes32 digestA,
        bytes32 digestB,
        uint256 amount,
        uint256 reward
    );
    /// @notice `disputer` deposited `deposit` against the record of `roundId` settled in `epoch`.
    event DisputeOpened(
        uint256 indexed id,
        bytes32 indexed roundId,
        address indexed disputer,
        uint256 epoch,
        uint256 deposit,
        bytes32 evidenceCid,
        address[] signers,
        uint64 deadline
    );
    /// @notice `signers` were added to open dispute `id`.
    event SignersAdded(uint256 indexed id, address[] signers);
    /// @notice The arbitrator upheld dispute `id`: `signers` lose `amounts`.
    event DisputeUpheld(uint256 indexed id, bytes32 indexed roundId, address[] signers, uint256[] amounts);
    /// @notice The arbitrator rejected dispute `id`; the deposit went to the treasury.
    event DisputeRejected(uint256 indexed id, bytes32 indexed roundId, uint256 deposit);
    /// @notice Dispute `id` was left unresolved; its deposit went back to the disputer.
    event DisputeReclaimed(uint256 indexed id, bytes32 indexed roundId, uint256 deposit);

    // ---------------------------------------------------------------- actions
    /// @notice Commit to a proof before showing it: keccak256(abi.encode(prover, digestA, digestB, salt)).
    function commitEquivocationProof(bytes32 commitment) external;

    /// @notice Prove that one node signed the settled record `settled.record` (signature `signatureA`) and another
    ///         record `b` of the same round with the same seed and period (`signatureB`). `salt` opens the prover's
    ///         commitment, if any.
    function proveEquivocation(
        SettledRecord calldata settled,
        bytes calldata signatureA,
        ISettlement.RoundRecord calldata b,
        bytes calldata signatureB,
        bytes32 salt
    ) external returns (address signer, uint256 amount);

    /// @notice Dispute the settled `record` (digest number `index` of `epochDigests`, the digests of all records
    ///         of `epoch` in order), signed by the signers of `signatures`. Pulls `deposit` tokens (approve first).
    function openDispute(
        uint256 epoch,
        bytes32[] calldata epochDigests,
        uint256 index,
        ISettlement.RoundRecord calldata record,
        bytes[] calldata signatures,
        bytes32 evidenceCid
    ) external returns (uint256 id);

    /// @notice Add the signers of `signatures` (over the disputed `record`) to open dispute `id` (anyone), locking
    ///         their stake as opening does.
    function addSigners(uint256 id, ISettlement.RoundRecord calldata record, bytes[] calldata signatures) external;

    /// @notice Uphold dispute `id` before its deadline (only `ARBITRATOR_ROLE`); `record` is the disputed record,
    ///         whose deltas are voided.
    function uphold(uint256 id, ISettlement.RoundRecord calldata record) external;
    /// @notice Reject dispute `id` before its deadline (only `ARBITRATOR_ROLE`).
    function reject(uint256 id) external;
    /// @notice After the deadline of an unresolved dispute, send the deposit back to its disputer (anyone).
    function reclaim(uint256 id) external;

    // ---------------------------------------------------------------- views
    /// @notice Dispute `id` (1, 2, ...).
    function dispute(uint256 id) external view returns (Dispute memory);
    /// @notice Number of disputes opened.
    function disputeCount() external view returns (uint256);
    /// @notice The parameters fixed at deployment.
    function params() external view returns (Params memory);
    /// @notice True when `signer` was slashed for equivocating on `roundId`.
    function equivocationSlashed(bytes32 roundId, address signer) external view returns (bool);
    /// @notice Upheld once a dispute of `roundId` was upheld, Open while one is open, None otherwise.
    function roundStatus(bytes32 roundId) external view returns (DisputeStatus);
    /// @notice Open while a dispute holds `signer` of `roundId`, Upheld once one was upheld, None otherwise.
    function signerStatus(bytes32 roundId, address signer) external view returns (DisputeStatus);
    /// @notice The shortest thawing period the NodeRegistry may have: dispute window + arbitration period.
    function minThawingPeriod() external view returns (uint256);

    /// @notice When `epoch` (settled at `settledAt`) can become final as far as disputes go: after its dispute window,
    ///         and not before the deadline of any dispute opened on it. {ISettlement-finalizeEpoch} asks.
    function finalAfter(uint256 epoch, uint64 settledAt) external view returns (uint256);
}
