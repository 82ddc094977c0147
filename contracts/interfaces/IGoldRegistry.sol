// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IGoldRegistry
/// @notice Gold sets: known-answer items that curators mix into live traffic, so that reputation can be
///         anchored in measured truth (issue 20; contracts/README.md, "Gold rounds").
///
///         A curator (any account with a bond) commits a set: a Merkle root over `itemCount` leaves, one per
///         item, each binding the item's prompt hash, its answer and a salt of its own. It then sends each item
///         through ordinary gateways as an ordinary client. The root hides which prompts are gold (each leaf is
///         salted), so no coordinator or node can tell a gold query from a user's before the item is revealed.
///         After the item's round has settled, the curator reveals the leaf (prompt hash, answer, salt, proof)
///         and names the weight period of the round it sent the item in; anyone can then grade the first settled
///         round of that period whose query holds that prompt, created after the commit and before the reveal
///         (src/protocol/gold.ts). That period must begin at least two full weight periods after the commit
///         (`GoldRoundTooEarly`): a curator cannot commit a key after seeing a round's answers, even through a
///         coordinator's batch opened a period before the commit.
///
///         Every set locks `setBond` until `releaseAt` = `revealEnd + challengeWindow`. Every item must be
///         revealed before `revealEnd`, or anyone may forfeit the bond to the NodeRegistry treasury (a curator
///         cannot keep only the items that hurt its targets). A reveal must match the committed root
///         (`GoldRevealMismatch`). A prompt is revealed at most once across all sets (`GoldItemReplayed`): an
///         item that was already public cannot be graded again, and a set holding one can never complete,
///         so its bond is forfeit. `ARBITRATOR_ROLE` may void a set whose revealed key is wrong, until
///         `releaseAt` (bond forfeit; graders ignore void sets).
interface IGoldRegistry {
    /// @notice Where a set stands.
    enum SetStatus {
        None,
        Committed, // bond locked, items being revealed
        Complete, // every item revealed before revealEnd; bond locked until releaseAt
        Released, // complete and past releaseAt: bond back to the curator's free bond
        Forfeited, // not every item revealed by revealEnd: bond to the treasury
        Void // voided by the arbitrator: bond to the treasury, graders ignore it
    }

    /// @notice One gold set.
    struct GoldSet {
        address curator;
        uint16 itemCount;
        uint16 revealed;
        SetStatus status;
        uint64 committedAt;
        uint64 revealEnd;
        uint64 releaseAt;
        uint128 bond;
        bytes32 root;
        uint256 revealedBits; // bit i set: item i revealed
    }

    /// @notice The first (and only) reveal of a prompt.
    struct PromptReveal {
        uint256 setId;
        uint16 index;
        uint64 revealedAt;
        uint32 roundPeriod; // the weight period of the round the item grades
    }

    /// @notice What the deployment sets.
    struct Init {
        address admin; // DEFAULT_ADMIN_ROLE (two-step transfer, `adminDelay`)
        uint48 adminDelay;
        address arbitrator; // ARBITRATOR_ROLE: may void a set with a wrong key
        address registry; // NodeRegistry: its token bonds curators, its treasury receives forfeits
        address settlement; // Settlement: its weight periods time the curator's wait
        uint256 setBond; // token wei locked per committed set
        uint64 revealWindow; // seconds from commit to revealEnd
        uint64 challengeWindow; // seconds from revealEnd to releaseAt
    }

    // ---------------------------------------------------------------- errors
    /// @notice A zero address in the deployment.
    error GoldZeroAddress();
    /// @notice `name` = `value` is outside [`min`, `max`].
    error GoldInvalidParameter(string name, uint256 value, uint256 min, uint256 max);
    /// @notice `account` holds `free` unlocked bond, `need` is required.
    error GoldBondTooLow(address account, uint256 free, uint256 need);
    /// @notice No set `setId`.
    error GoldUnknownSet(uint256 setId);
    /// @notice Set `setId` is `status`, and the call needs it `Committed` (or `Complete` to release or void).
    error GoldSetNotOpen(uint256 setId, SetStatus status);
    /// @notice Item `index` is outside a set of `itemCount` items.
    error GoldItemOutOfRange(uint256 setId, uint256 index, uint256 itemCount);
    /// @notice Item `index` of set `setId` is already revealed.
    error GoldItemAlreadyRevealed(uint256 setId, uint256 index);
    /// @notice The revealed leaf does not prove into the set's root.
    error GoldRevealMismatch(uint256 setId, uint256 index, bytes32 leaf, bytes32 root);
    /// @notice The prompt was already revealed as gold (set `firstSetId`, item `firstIndex`): an item is gold once.
    error GoldItemReplayed(bytes32 promptHash, uint256 firstSetId, uint256 firstIndex);
    /// @notice Reveals of set `setId` closed at `revealEnd` (now `time`).
    error GoldRevealClosed(uint256 setId, uint256 time, uint256 revealEnd);
    /// @notice Set `setId` cannot be forfeited or released before `at` (now `time`).
    error GoldTooEarly(uint256 setId, uint256 time, uint256 at);
    /// @notice Set `setId` can no longer be voided: its bond was released at `releaseAt`.
    error GoldChallengeClosed(uint256 setId, uint256 time, uint256 releaseAt);
    /// @notice Item `index` of set `setId` names round period `roundPeriod`; the earliest its set allows is
    ///         `earliestPeriod` (the commit's period + 2).
    error GoldRoundTooEarly(uint256 setId, uint256 index, uint256 roundPeriod, uint256 earliestPeriod);
    /// @notice Only a set's curator reveals its items (the round period is the revealer's choice).
    error GoldNotCurator(uint256 setId, address caller, address curator);
    /// @notice Item `index` of set `setId` names round period `roundPeriod`, after the current one (`currentPeriod`).
    error GoldRoundInFuture(uint256 setId, uint256 index, uint256 roundPeriod, uint256 currentPeriod);

    // ---------------------------------------------------------------- events
    /// @notice `account` posted `amount`; its free bond is now `free`.
    event BondPosted(address indexed account, uint256 amount, uint256 free);
    /// @notice `account` withdrew `amount`; its free bond is now `free`.
    event BondWithdrawn(address indexed account, uint256 amount, uint256 free);
    /// @notice `curator` committed set `setId`: `itemCount` items under `root`, reveals until `revealEnd`.
    event GoldSetCommitted(
        uint256 indexed setId,
        address indexed curator,
        bytes32 root,
        uint16 itemCount,
        uint64 revealEnd,
        uint256 bond
    );
    /// @notice Item `index` of set `setId` was revealed: prompt hash, answer key, and the weight period of the
    ///         round it grades.
    event GoldItemRevealed(
        uint256 indexed setId,
        uint16 index,
        bytes32 indexed promptHash,
        string answer,
        uint32 roundPeriod
    );
    /// @notice Every item of set `setId` was revealed; its bond stays locked until `releaseAt`.
    event GoldSetCompleted(uint256 indexed setId, uint64 releaseAt);
    /// @notice Set `setId`'s bond `amount` went back to its curator's free bond.
    event GoldSetReleased(uint256 indexed setId, address indexed curator, uint256 amount);
    /// @notice Set `setId` missed reveals (`revealed` of `itemCount`): `amount` went to the treasury.
    event GoldSetForfeited(
        uint256 indexed setId,
        address indexed curator,
        uint256 amount,
        uint16 revealed,
        uint16 itemCount
    );
    /// @notice The arbitrator voided set `setId` (evidence at `evidenceCid`): `amount` went to the treasury.
    event GoldSetVoided(uint256 indexed setId, address indexed curator, uint256 amount, bytes32 evidenceCid);

    // ---------------------------------------------------------------- bonds
    /// @notice Post `amount` CHR (needs an allowance) as free bond.
    function postBond(uint256 amount) external;

    /// @notice Withdraw `amount` of free bond (never a locked one).
    function withdrawBond(uint256 amount) external;

    // ---------------------------------------------------------------- sets
    /// @notice Commit a set of `itemCount` (1..256) items under `root` (leaves: {leafOf}; sorted-pair Merkle tree
    ///         as OpenZeppelin's MerkleProof); locks `setBond` of the caller's free bond.
    function commitSet(bytes32 root, uint16 itemCount) external returns (uint256 setId);

    /// @notice Reveal item `index` of set `setId`: its prompt hash, answer key and salt, with the Merkle proof,
    ///         and `roundPeriod`, the weight period of the round the item was sent in (at least the commit's
    ///         period + 2, at most the current one). Only the set's curator may reveal (the period is not in
    ///         the leaf, so a copier of a pending reveal could otherwise name another period and erase the
    ///         grades); only before `revealEnd`; a prompt only once ever.
    function revealItem(
        uint256 setId,
        uint16 index,
        bytes32 promptHash,
        string calldata answer,
        bytes32 salt,
        uint32 roundPeriod,
        bytes32[] calldata proof
    ) external;

    /// @notice After `revealEnd`, anyone forfeits the bond of a set with unrevealed items to the treasury.
    function forfeitSet(uint256 setId) external;

    /// @notice After `releaseAt`, anyone returns a complete set's bond to its curator's free bond.
    function releaseSet(uint256 setId) external;

    /// @notice `ARBITRATOR_ROLE`: void a set whose revealed key is wrong (evidence at `evidenceCid`), while its
    ///         bond is still locked (Committed, or Complete before `releaseAt`). The bond goes to the treasury.
    function voidSet(uint256 setId, bytes32 evidenceCid) external;

    // ---------------------------------------------------------------- views
    /// @notice The leaf of item `index` by `curator`: keccak256(bytes.concat(keccak256(abi.encode(chainid,
    ///         this, curator, index, promptHash, keccak256(bytes(answer)), salt)))).
    function leafOf(
        address curator,
        uint16 index,
        bytes32 promptHash,
        string calldata answer,
        bytes32 salt
    ) external view returns (bytes32);

    /// @notice Set `setId`.
    function setOf(uint256 setId) external view returns (GoldSet memory);

    /// @notice Number of sets committed so far (ids are 1..setCount).
    function setCount() external view returns (uint256);

    /// @notice The earliest round period an item of set `setId` may grade: the commit's period + 2.
    function earliestRoundPeriod(uint256 setId) external view returns (uint256);

    /// @notice The reveal of `promptHash` (setId 0: never revealed).
    function promptReveal(bytes32 promptHash) external view returns (PromptReveal memory);

    /// @notice `account`'s free and locked bond.
    function bondOf(address account) external view returns (uint256 free, uint256 locked);

    /// @notice The deployment's bond and windows.
    function params() external view returns (uint256 setBond, uint64 revealWindow, uint64 challengeWindow);
}
