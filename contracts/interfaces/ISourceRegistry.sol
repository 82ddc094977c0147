// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ISourceRegistry
/// @notice Data sources for retrieval-augmented rounds. A source registers under its owner key (the address
///         that also signs its service statements), with the URL it serves at and the CID (sha2-256 digest of
///         a dag-json CIDv1) of its corpus manifest. It carries two scores on the reputation scale
///         [0, 1_000_000], both starting at 500_000: reliability (are its contexts right?) and usefulness (do
///         they matter for answers?). Only the settlement contract moves scores, from quorum-signed round
///         records. Scores survive leaving: a source that leaves and registers again keeps them.
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

    // ---------------------------------------------------------------- sources
    /// @notice Register the caller as a source (or re-activate it after `leave`, keeping its scores).
    function register(string calldata endpoint, bytes32 manifestCid) external;
    /// @notice Change the caller's endpoint and manifest.
    function update(string calldata endpoint, bytes32 manifestCid) external;
    /// @notice Leave: the source gets no more score updates until it registers again.
    function leave() external;

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
    /// @notice Number of active sources.
    function activeCount() external view returns (uint256);
    /// @notice Up to `limit` active sources from index `offset` (order not stable across changes).
    function activeSources(uint256 offset, uint256 limit) external view returns (address[] memory);
}
