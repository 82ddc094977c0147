// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISourceRegistry
/// @notice Data sources for retrieval-augmented rounds. A source registers under its owner key (the address
///         that also signs its service statements), with the URL it serves at and the CID (sha2-256 digest of
///         a dag-json CIDv1) of its corpus manifest. It carries two scores on the reputation scale
///         [0, 1_000_000], both starting at 500_000: reliability (are its contexts right?) and usefulness (do
///         they matter for answers?). Only the settlement contract moves scores, from quorum-signed round
///         records. Scores survive leaving: a source that leaves and registers again keeps them.
///
///         Sources post a bond. `register` pulls the Chorus token until the source's bond reaches `minBond`
///         (set by `GOVERNOR_ROLE` within [MIN_BOND, MAX_BOND]); a source that comes back tops its bond up. The
///         bond is locked while the source is active and for `unbondingDelay` seconds after it leaves (fixed at
///         deployment, at least the dispute window plus the arbitration period by the deploy scripts), then
///         `withdrawBond` returns it. `ARBITRATOR_ROLE` may forfeit any part of a bond still held (to the
///         NodeRegistry treasury, with an event); a source whose bond falls below `minBond` that way leaves the
///         active set. Spam sources therefore cost a bond each, and a forfeitable one.
interface ISourceRegistry {
    /// @notice Everything the registry knows about one source.
    struct Source {
        bool registered; // ever registered
        bool active; // registered and not left
        uint32 reliability;
        uint32 usefulness;
        uint64 registeredAt;
        uint64 updatedAt; // last settlement that moved its scores
        bytes32 manifestCid;
        string endpoint;
    }

    /// @notice What the deployment sets.
    struct Init {
        address admin; // DEFAULT_ADMIN_ROLE (two-step transfer, `adminDelay`)
        uint48 adminDelay;
        address arbitrator; // ARBITRATOR_ROLE: may forfeit bonds
        address governor; // GOVERNOR_ROLE: sets minBond within bounds (the timelock)
        address registry; // NodeRegistry: its token bonds sources, its treasury receives forfeits
        uint256 minBond;
        uint64 unbondingDelay;
    }

    /// @notice A source's bond: `amount` held; withdrawable from `unlocksAt` (0 while active).
    struct Bond {
        uint128 amount;
        uint64 unlocksAt;
    }

    /// @notice The part of a source that settlement reads and writes.
    struct Score {
        bool active;
        uint32 reliability;
        uint32 usefulness;
    }

    // ---------------------------------------------------------------- errors
    /// @notice `source` is already registered and active.
    error SourceRegistryAlreadyActive(address source);
    /// @notice `source` is not an active source.
    error SourceRegistryNotActive(address source);
    /// @notice The endpoint is empty or longer than `maxLength` bytes.
    error SourceRegistryInvalidEndpoint(uint256 length, uint256 maxLength);
    /// @notice Arrays given together have different lengths.
    error SourceRegistryLengthMismatch(uint256 sources, uint256 reliability, uint256 usefulness);
    /// @notice A score above 1_000_000 was given for `source`.
    error SourceRegistryScoreOutOfRange(address source, uint256 reliability, uint256 usefulness);
    /// @notice The zero address was given where an account is required.
    error SourceRegistryZeroAddress();
    /// @notice Parameter `name` = `value` is outside [`min`, `max`].
    error SourceRegistryInvalidParameter(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice `source` has no bond that can be withdrawn now (active, none held, or unlocking at `unlocksAt`).
    error SourceRegistryBondLocked(address source, uint256 amount, uint256 unlocksAt, uint256 nowTime);
    /// @notice A forfeit of `requested` exceeds the bond `held` of `source`.
    error SourceRegistryForfeitExceedsBond(address source, uint256 held, uint256 requested);

    // ---------------------------------------------------------------- events
    /// @notice `source` registered (or came back) serving at `endpoint` with corpus manifest `manifestCid`.
    event SourceRegistered(address indexed source, string endpoint, bytes32 manifestCid);
    /// @notice `source` changed its endpoint or manifest.
    event SourceUpdated(address indexed source, string endpoint, bytes32 manifestCid);
    /// @notice `source` left; it keeps its scores.
    event SourceLeft(address indexed source);
    /// @notice Settlement epoch `epoch` set the scores of `sources` (the per-round deltas that led there are in
    ///         the settlement contract's `RoundSettled` events of that epoch).
    event SourceScoresUpdated(uint256 indexed epoch, address[] sources, uint32[] reliability, uint32[] usefulness);

    /// @notice `source` posted `amount`; its bond is now `bond`.
    event SourceBondPosted(address indexed source, uint256 amount, uint256 bond);
    /// @notice `source`'s bond unlocks at `unlocksAt` (it left).
    event SourceBondUnlocking(address indexed source, uint256 bond, uint64 unlocksAt);
    /// @notice `source` withdrew its bond `amount`.
    event SourceBondWithdrawn(address indexed source, uint256 amount);
    /// @notice `arbitrator` forfeited `amount` of `source`'s bond to the treasury; `remaining` is left.
    event SourceBondForfeited(
        address indexed source,
        address indexed arbitrator,
        uint256 amount,
        uint256 remaining,
        bytes32 evidenceCid
    );
    /// @notice Governance changed the minimum bond.
    event MinBondUpdated(uint256 oldValue, uint256 newValue);

    // ---------------------------------------------------------------- sources
    /// @notice Register the caller as a source (or re-activate it after `leave`, keeping its scores). Pulls
    ///         `minBond` minus the bond it still holds (approve first).
    function register(string calldata endpoint, bytes32 manifestCid) external;
    /// @notice Change the caller's endpoint and manifest.
    function update(string calldata endpoint, bytes32 manifestCid) external;
    /// @notice Leave: the source gets no more score updates until it registers again; its bond unlocks
    ///         `unbondingDelay` seconds later.
    function leave() external;
    /// @notice Withdraw the caller's whole bond once it left and the unbonding delay is over.
    function withdrawBond() external;

    // ---------------------------------------------------------------- arbitration and governance
    /// @notice Forfeit `amount` of `source`'s bond to the treasury (only `ARBITRATOR_ROLE`; at most the bond it
    ///         holds, active or unbonding). A source left below `minBond` leaves the active set.
    function forfeitBond(address source, uint256 amount, bytes32 evidenceCid) external;
    /// @notice Set the bond new registrations need (only `GOVERNOR_ROLE`, within [MIN_BOND, MAX_BOND]);
    ///         active sources keep the bond they posted.
    function setMinBond(uint256 minBond) external;

    // ---------------------------------------------------------------- settlement
    /// @notice Set the scores of active `sources` (only `SCORER_ROLE`: the settlement contract).
    function setScores(
        uint256 epoch,
        address[] calldata sources,
        uint32[] calldata reliability,
        uint32[] calldata usefulness
    ) external;

    // ---------------------------------------------------------------- views
    /// @notice Everything about `source`.
    function sourceOf(address source) external view returns (Source memory);
    /// @notice Scores and activity of many sources in one call (unregistered sources read as inactive with the
    ///         initial scores).
    function scoresOf(address[] calldata sources) external view returns (Score[] memory scores);
    /// @notice `scoresOf` packed for the settlement contract: reliability | usefulness << 32 | active << 64.
    function packedScoresOf(address[] calldata sources) external view returns (uint256[] memory packed);
    /// @notice True when `source` is registered and has not left.
    function isActive(address source) external view returns (bool);
    /// @notice `source`'s bond.
    function bondOf(address source) external view returns (Bond memory);
    /// @notice The bond a registration needs.
    function minBond() external view returns (uint256);
    /// @notice Seconds a bond stays locked after its source leaves.
    function unbondingDelay() external view returns (uint64);
    /// @notice Number of active sources.
    function activeCount() external view returns (uint256);
    /// @notice Up to `limit` active sources from index `offset` (order not stable across changes).
    function activeSources(uint256 offset, uint256 limit) external view returns (address[] memory);
}
