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
///         node's latest pass is valid. A new pass only replaces the current one when it lasts longer.
///
///         Capability must be earned:
///         - Every attempt is bonded. An account posts a bond (`postBond`, in the Chorus token); each commit
///           locks `attemptBond` of it until the attempt is graded. A pass (or a void suite) releases it; a fail
///           (a wrong reveal, or no reveal by revealEnd, settled by anyone with `settleAttempt`) sends
///           `failForfeitBps` of it to the NodeRegistry treasury. An account without a free bond of at least
///           `attemptBond` cannot commit, staked or not: a node's stake is not this contract's to charge.
///         - Suites are too large to guess. `publishSuite` only accepts (itemCount n, passThreshold t) with
///           1000 * (2t - n)^2 >= 83083 * n. By Hoeffding, one commit that does not read the items (each bit a
///           fair coin against a uniformly drawn key, or any fixed guess) passes with probability
///           P <= exp(-(2t - n)^2 / (2n)) <= exp(-41.5414) < 2^-40 / 10^6 (83.0828 = 2 ln(2^40 * 10^6)), so
///           N <= 10^6 such commits, from any number of accounts, pass with probability <= N * P < 2^-40
///           (union bound). With n <= 256 items (one uint256 bitmap) the smallest accepted suite is 84 of 84;
///           at 256 items the bar is 201 (78.5%), below the 85% calibration bar Chorus uses anyway, so one
///           bitmap word is enough and the commit/reveal encoding is unchanged. The curator must draw the key
///           uniformly (place the better answer first or second by a fair coin).
///         - A pass can be revoked by `ARBITRATOR_ROLE` (`revokePass`), once, within `revocationWindow` seconds of
///           its grading; revoking only ends that pass (its validUntil becomes the revocation time) and touches
///           no bond or stake.
///
///         Caching `passOf(node).validUntil`: validUntil only grows (a longer pass) except through `revokePass`,
///         which sets it to the block time of the revocation and emits `PassRevoked`. A reader that caches it
///         must drop the cached value on `PassRevoked` or compare `revokedAt(node)` with the time it cached.
interface ICapabilityRegistry {
    /// @notice A calibration suite.
    struct Suite {
        bytes32 itemsCid; // sha2-256 digest of the dag-json CIDv1 of the items document
        bytes32 keyCommitment; // keccak256(abi.encode(uint256 keyBits, bytes32 keySalt))
        uint16 itemCount; // 1..256
        uint16 passThreshold; // correct choices needed to pass; 1000 (2t - n)^2 >= 83083 n
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

    /// @notice What the deployment sets.
    struct Init {
        address admin; // DEFAULT_ADMIN_ROLE (two-step transfer, `adminDelay`)
        uint48 adminDelay; // seconds a default-admin transfer waits (0 allowed on a devnet)
        address curator; // CURATOR_ROLE
        address arbitrator; // ARBITRATOR_ROLE (may revoke passes)
        address governor; // GOVERNOR_ROLE (sets the bond terms within bounds): the timelock
        address registry; // NodeRegistry: its token bonds attempts, its treasury receives forfeits
        uint256 attemptBond;
        uint16 failForfeitBps;
        uint64 revocationWindow;
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
    /// @notice A suite of `itemCount` items passed at `passThreshold` is guessable: the smallest threshold the
    ///         bound accepts for that many items is `minThreshold` (itemCount + 1 when none is).
    error CapabilitySuiteTooWeak(uint256 itemCount, uint256 passThreshold, uint256 minThreshold);
    /// @notice Committing needs a free bond of `need`; `node` has `free`.
    error CapabilityBondTooLow(address node, uint256 free, uint256 need);
    /// @notice Parameter `name` = `value` is outside [`min`, `max`].
    error CapabilityInvalidParameter(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice `node`'s attempt at `suiteId` cannot be settled yet (it is open, or already settled).
    error CapabilityAttemptNotSettleable(uint256 suiteId, address node);
    /// @notice `node` has no pass that can be revoked now: valid until `validUntil`, revocable until
    ///         `revocableUntil`, or already revoked.
    error CapabilityNotRevocable(address node, uint256 validUntil, uint256 revocableUntil);

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

    /// @notice `account` posted `amount` of bond; its free bond is now `free`.
    event BondPosted(address indexed account, uint256 amount, uint256 free);
    /// @notice `account` withdrew `amount` of free bond; `free` is left.
    event BondWithdrawn(address indexed account, uint256 amount, uint256 free);
    /// @notice The attempt of `node` at `suiteId` was settled: `released` went back to its free bond, `forfeited`
    ///         to the treasury.
    event AttemptBondSettled(uint256 indexed suiteId, address indexed node, uint256 released, uint256 forfeited);
    /// @notice `arbitrator` revoked `node`'s pass from `suiteId`: valid until `oldValidUntil`, now until
    ///         `revokedAt`.
    event PassRevoked(
        address indexed node,
        uint256 indexed suiteId,
        address indexed arbitrator,
        uint64 oldValidUntil,
        uint64 revokedAt,
        bytes32 evidenceCid
    );
    /// @notice Governance changed the bond terms.
    event BondTermsUpdated(uint256 attemptBond, uint16 failForfeitBps);

    // ---------------------------------------------------------------- curator
    /// @notice Publish a suite (only `CURATOR_ROLE`). Returns its id (1, 2, ...).
    function publishSuite(SuiteParams calldata params) external returns (uint256 suiteId);

    /// @notice Reveal the answer key of `suiteId` (only `CURATOR_ROLE`, in [commitEnd, keyRevealEnd)).
    /// @param keyBits bit i set = the second answer of item i is better; no bits at or above the item count.
    function revealKey(uint256 suiteId, uint256 keyBits, bytes32 keySalt) external;

    // ---------------------------------------------------------------- nodes
    /// @notice Pull `amount` tokens (approve first) into the caller's free bond.
    function postBond(uint256 amount) external;
    /// @notice Withdraw `amount` of the caller's free bond (bond locked by open attempts stays).
    function withdrawBond(uint256 amount) external;

    /// @notice Commit to choices for `suiteId` before its commitEnd; a later commit replaces an earlier one.
    ///         The first commit of an attempt locks `attemptBond` of the caller's free bond.
    /// @param commitment keccak256(abi.encode(uint256 choices, bytes32 salt, address node)).
    function commit(uint256 suiteId, bytes32 commitment) external;

    /// @notice Reveal the committed choices once the key is out and before revealEnd; grades at once and
    ///         settles the attempt's bond (released on a pass, `failForfeitBps` of it forfeited on a fail).
    function reveal(uint256 suiteId, uint256 choices, bytes32 salt) external;

    /// @notice Settle the bond of an attempt never revealed (anyone): after revealEnd it failed (forfeit); in
    ///         a void suite it is released in full.
    function settleAttempt(uint256 suiteId, address node) external;

    // ---------------------------------------------------------------- arbitration and governance
    /// @notice End `node`'s current pass now (only `ARBITRATOR_ROLE`, once per pass, within
    ///         `revocationWindow` of its grading). Touches no bond and no stake.
    function revokePass(address node, bytes32 evidenceCid) external;

    /// @notice Set the bond of an attempt and the share of it a fail forfeits (only `GOVERNOR_ROLE`), within
    ///         [MIN_ATTEMPT_BOND, MAX_ATTEMPT_BOND] and [MIN_FORFEIT_BPS, 10_000]. Locked bonds keep their amount.
    function setBondTerms(uint256 attemptBond, uint16 failForfeitBps) external;

    // ---------------------------------------------------------------- views
    /// @notice True while `node`'s latest pass is valid.
    function isCapable(address node) external view returns (bool);
    /// @notice `node`'s latest pass (zeros if none).
    function passOf(address node) external view returns (Pass memory);
    /// @notice Suite `suiteId`.
    function suite(uint256 suiteId) external view returns (Suite memory);
    /// @notice The smallest pass threshold accepted for `itemCount` items (itemCount + 1 when none is).
    function minPassThreshold(uint256 itemCount) external pure returns (uint256);
    /// @notice `account`'s free bond and its bond locked by open attempts.
    function bondOf(address account) external view returns (uint256 free, uint256 locked);
    /// @notice The bond each attempt locks, and the share of it a fail forfeits.
    function bondTerms() external view returns (uint256 attemptBond, uint16 failForfeitBps);
    /// @notice Seconds after grading during which a pass may be revoked.
    function revocationWindow() external view returns (uint64);
    /// @notice When `node`'s pass was last revoked (0 if never).
    function revokedAt(address node) external view returns (uint64);
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
