// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ICapabilityRegistry
/// @notice Proof of capability graded on chain, so no grader can cheat. A curator publishes a calibration suite
///         of pairwise items (a question and two answers, one known to be better), committing to the answer key.
///         Nodes commit to their choices inside the submission window; after it the curator reveals the key and
///         each node reveals its choices, which the contract grades against the key at once. Choices and key are
///         bitmaps over the items: bit i set means "the second answer of item i is the better one".
///
///         Lifecycle of suite s (all bounds are unix seconds):
///         - commit:     publishedAt <= t < commitEnd       nodes `commit`
///         - key reveal: commitEnd <= t < keyRevealEnd      the curator `revealKey`s
///         - reveal:     key revealed, t < revealEnd         nodes `reveal` and are graded at once
///         A suite whose key is not revealed before keyRevealEnd is void: it grades and penalizes nobody.
///         A node that committed but did not reveal before revealEnd (of a suite that is not void) failed.
///         A pass stays valid for the suite's `validity` seconds after grading; `isCapable` is true while the
///         node's latest pass is valid. A node's pass is never shortened or revoked (a new pass only replaces it
///         when it lasts longer), so readers may cache `passOf(node).validUntil` until that time.
interface ICapabilityRegistry {
    /// @notice A calibration suite.
    struct Suite {
        bytes32 itemsCid; // sha2-256 digest of the dag-json CIDv1 of the items document
        bytes32 keyCommitment; // keccak256(abi.encode(uint256 keyBits, bytes32 keySalt))
        uint16 itemCount; // 1..256
        uint16 passThreshold; // 1..itemCount correct choices needed to pass
        uint64 publishedAt;
        uint64 commitEnd;
        uint64 keyRevealEnd;
        uint64 revealEnd;
        uint64 validity; // seconds a pass stays valid
        bool keyRevealed;
        uint256 key; // the answer key once revealed
    }

    /// @notice What a curator sets when publishing a suite.
    struct SuiteParams {
        bytes32 itemsCid;
        bytes32 keyCommitment;
        uint16 itemCount;
        uint16 passThreshold;
        uint64 commitEnd;
        uint64 keyRevealEnd;
        uint64 revealEnd;
        uint64 validity;
    }

    /// @notice State of one node's attempt at one suite (Failed includes "committed, never revealed").
    enum AttemptStatus {
        None,
        Committed,
        Passed,
        Failed,
        Void
    }

    /// @notice A node's latest pass.
    struct Pass {
        uint64 suiteId;
        uint64 validUntil;
        uint16 score;
    }

    // ---------------------------------------------------------------- errors
    /// @notice Suite `suiteId` does not exist.
    error CapabilityUnknownSuite(uint256 suiteId);
    /// @notice `itemCount` must be in 1..256 and `passThreshold` in 1..itemCount.
    error CapabilityInvalidItems(uint256 itemCount, uint256 passThreshold);
    /// @notice The windows must satisfy now < commitEnd < keyRevealEnd < revealEnd.
    error CapabilityInvalidWindows(uint256 nowTime, uint256 commitEnd, uint256 keyRevealEnd, uint256 revealEnd);
    /// @notice `validity` must be in 1..MAX_VALIDITY seconds.
    error CapabilityInvalidValidity(uint256 validity, uint256 maxValidity);
    /// @notice The submission window of `suiteId` closed at `commitEnd`; it is `nowTime`.
    error CapabilityCommitClosed(uint256 suiteId, uint256 nowTime, uint256 commitEnd);
    /// @notice The key of `suiteId` may only be revealed in [`opens`, `closes`); it is `nowTime`.
    error CapabilityKeyRevealClosed(uint256 suiteId, uint256 nowTime, uint256 opens, uint256 closes);
    /// @notice The key of `suiteId` was already revealed.
    error CapabilityKeyAlreadyRevealed(uint256 suiteId);
    /// @notice The revealed key of `suiteId` does not match its commitment.
    error CapabilityKeyMismatch(uint256 suiteId, bytes32 computed, bytes32 committed);
    /// @notice The key of `suiteId` has bits at or above its item count `itemCount`.
    error CapabilityKeyOutOfRange(uint256 suiteId, uint256 itemCount);
    /// @notice The key of `suiteId` is not revealed yet: nodes reveal after it.
    error CapabilityKeyNotRevealed(uint256 suiteId);
    /// @notice The reveal window of `suiteId` closed at `revealEnd`; it is `nowTime`.
    error CapabilityRevealClosed(uint256 suiteId, uint256 nowTime, uint256 revealEnd);
    /// @notice `node` has no open commitment for `suiteId` (never committed, or already graded).
    error CapabilityNotCommitted(uint256 suiteId, address node);
    /// @notice The revealed choices and salt of `node` do not match its commitment.
    error CapabilityCommitmentMismatch(uint256 suiteId, address node, bytes32 computed, bytes32 committed);
    /// @notice The zero address was given where an account is required.
    error CapabilityZeroAddress();

    // ---------------------------------------------------------------- events
    /// @notice The curator published suite `suiteId`.
    event SuitePublished(
        uint256 indexed suiteId,
        bytes32 itemsCid,
        uint16 itemCount,
        uint16 passThreshold,
        bytes32 keyCommitment,
        uint64 commitEnd,
        uint64 keyRevealEnd,
        uint64 revealEnd,
        uint64 validity
    );
    /// @notice `node` committed (or re-committed) to its choices for `suiteId`.
    event ChoicesCommitted(uint256 indexed suiteId, address indexed node, bytes32 commitment);
    /// @notice The curator revealed the answer key of `suiteId`.
    event SuiteKeyRevealed(uint256 indexed suiteId, uint256 key);
    /// @notice `node` revealed `choices` for `suiteId` and scored `score`; a pass is valid until `validUntil`
    ///         (0 on a fail).
    event CapabilityGraded(
        uint256 indexed suiteId,
        address indexed node,
        uint256 choices,
        uint16 score,
        bool passed,
        uint64 validUntil
    );

    // ---------------------------------------------------------------- curator
    /// @notice Publish a suite (only `CURATOR_ROLE`). Returns its id (1, 2, ...).
    function publishSuite(SuiteParams calldata params) external returns (uint256 suiteId);

    /// @notice Reveal the answer key of `suiteId` (only `CURATOR_ROLE`, in [commitEnd, keyRevealEnd)).
    /// @param keyBits bit i set = the second answer of item i is better; no bits at or above the item count.
    function revealKey(uint256 suiteId, uint256 keyBits, bytes32 keySalt) external;

    // ---------------------------------------------------------------- nodes
    /// @notice Commit to choices for `suiteId` before its commitEnd; a later commit replaces an earlier one.
    /// @param commitment keccak256(abi.encode(uint256 choices, bytes32 salt, address node)).
    function commit(uint256 suiteId, bytes32 commitment) external;

    /// @notice Reveal the committed choices once the key is out and before revealEnd; grades at once.
    function reveal(uint256 suiteId, uint256 choices, bytes32 salt) external;

    // ---------------------------------------------------------------- views
    /// @notice True while `node`'s latest pass is valid.
    function isCapable(address node) external view returns (bool);
    /// @notice `node`'s latest pass (zeros if none).
    function passOf(address node) external view returns (Pass memory);
    /// @notice Suite `suiteId`.
    function suite(uint256 suiteId) external view returns (Suite memory);
    /// @notice Number of suites published.
    function suiteCount() external view returns (uint256);
    /// @notice True when the key of `suiteId` was not revealed before its keyRevealEnd.
    function isVoid(uint256 suiteId) external view returns (bool);
    /// @notice Status and score of `node`'s attempt at `suiteId`, with Failed for a commit never revealed and
    ///         Void for any attempt at a void suite.
    function attemptOf(uint256 suiteId, address node)
        external
        view
        returns (AttemptStatus status, uint16 score, bytes32 commitment);
}
