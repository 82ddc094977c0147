// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IThawingFloor
/// @notice What the node registry asks its dispute contract: the shortest thawing period that still lets a dispute
///         about stake be opened and resolved before the stake leaves (dispute window + arbitration period).
interface IThawingFloor {
    function minThawingPeriod() external view returns (uint256);
}

/// @title INodeRegistry
/// @notice Staking and membership of Chorus nodes. A node stakes the Chorus ERC-20 to join, announces the URL
///         where it serves peers and the IPFS CID (sha2-256 digest of a dag-json document) of its metadata
///         (model, capabilities, signing key). Stake leaves through a thawing period; stake that is thawing stays
///         slashable. A node whose stake falls below the minimum leaves the active set.
interface INodeRegistry {
    /// @notice Everything the registry knows about one node.
    struct NodeInfo {
        uint128 staked; // stake that counts for membership and weight
        uint128 thawing; // stake on its way out, still slashable
        uint64 thawEnd; // when `thawing` may be withdrawn
        uint64 joinedAt; // when the node first staked
        bool registered;
        bool active;
        bytes32 metadataCid;
        string endpoint;
    }

    // ---------------------------------------------------------------- errors
    /// @notice Joining or keeping stake needs at least `need`; the node would have `have`.
    error NodeRegistryInsufficientStake(uint256 have, uint256 need);
    /// @notice `node` already joined: use `addStake` / `updateNode`.
    error NodeRegistryAlreadyRegistered(address node);
    /// @notice `node` never staked.
    error NodeRegistryNotRegistered(address node);
    /// @notice An amount of zero was given where a positive amount is required.
    error NodeRegistryZeroAmount();
    /// @notice The endpoint is empty or longer than `maxLength` bytes.
    error NodeRegistryInvalidEndpoint(uint256 length, uint256 maxLength);
    /// @notice `node` asked to unstake `requested` but has only `staked` staked.
    error NodeRegistryUnstakeExceedsStake(address node, uint256 staked, uint256 requested);
    /// @notice Nothing thawing for `node`.
    error NodeRegistryNothingToWithdraw(address node);
    /// @notice The thawing stake unlocks at `thawEnd`; it is `nowTime`.
    error NodeRegistryStillThawing(uint256 nowTime, uint256 thawEnd);
    /// @notice A slash of `requested` exceeds what `node` has (`available` = staked + thawing).
    error NodeRegistrySlashExceedsStake(address node, uint256 available, uint256 requested);
    /// @notice The reward `reward` of a slash exceeds the slashed `amount`.
    error NodeRegistryRewardExceedsSlash(uint256 amount, uint256 reward);
    /// @notice Governance tried to set `parameter` to `value` outside [`min`, `max`].
    error NodeRegistryParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);
    /// @notice The zero address was given where an account is required.
    error NodeRegistryZeroAddress();
    /// @notice Only the dispute contract may lock or unlock stake; `sender` is not it.
    error NodeRegistryNotDisputes(address sender);
    /// @notice The dispute contract is set already, to `disputes`.
    error NodeRegistryDisputesAlreadySet(address disputes);
    /// @notice A thawing period of `thawing` seconds is shorter than the dispute window plus arbitration, `floor`.
    error NodeRegistryThawingBelowDisputes(uint256 thawing, uint256 floor);
    /// @notice `node` has `locked` of its `held` stake locked by open disputes: nothing thawed can leave.
    error NodeRegistryStakeLocked(address node, uint256 locked, uint256 held);
    /// @notice A history lookup at `timepoint` is not in the past (it is `nowTime`).
    error NodeRegistryFutureLookup(uint256 timepoint, uint256 nowTime);

    // ---------------------------------------------------------------- events
    /// @notice `node` joined with `amount` at `endpoint`, metadata `metadataCid`.
    event NodeStaked(address indexed node, uint256 amount, string endpoint, bytes32 metadataCid);
    /// @notice `node` added `amount`; its stake is now `staked`.
    event StakeAdded(address indexed node, uint256 amount, uint256 staked);
    /// @notice `node` changed its endpoint or metadata.
    event NodeUpdated(address indexed node, string endpoint, bytes32 metadataCid);
    /// @notice `node` moved `amount` into thawing; all its thawing stake unlocks at `thawEnd`.
    event UnstakeRequested(address indexed node, uint256 amount, uint256 staked, uint256 thawing, uint64 thawEnd);
    /// @notice `node` withdrew `amount` of thawed stake.
    event StakeWithdrawn(address indexed node, uint256 amount);
    /// @notice `slasher` took `amount` from `node`: `reward` went to `beneficiary`, the rest to the treasury.
    event NodeSlashed(
        address indexed node,
        address indexed slasher,
        uint256 amount,
        uint256 reward,
        address beneficiary,
        string reason,
        bytes32 evidenceCid
    );
    /// @notice `node` entered the active set.
    event NodeActivated(address indexed node);
    /// @notice `node` left the active set (stake below the minimum).
    event NodeDeactivated(address indexed node);
    /// @notice The minimum stake changed.
    event MinStakeUpdated(uint256 oldValue, uint256 newValue);
    /// @notice The thawing period changed.
    event ThawingPeriodUpdated(uint64 oldValue, uint64 newValue);
    /// @notice The dispute contract was set (once, for good).
    event DisputesSet(address disputes);
    /// @notice `amount` more of `node`'s stake is locked by a dispute; `locked` in all.
    event StakeLocked(address indexed node, uint256 amount, uint256 locked);
    /// @notice `amount` of `node`'s locked stake was released; `locked` is left.
    event StakeUnlocked(address indexed node, uint256 amount, uint256 locked);
    /// @notice The treasury that receives slashed stake changed.
    event TreasuryUpdated(address oldTreasury, address newTreasury);

    // ---------------------------------------------------------------- node operations
    /// @notice Join the swarm: pull `amount` tokens (approved beforehand) and register.
    /// @param amount at least `minStake()`.
    /// @param endpoint URL where the node serves its peers (1..256 bytes).
    /// @param metadataCid sha2-256 digest of the node's dag-json metadata document on IPFS.
    function stake(uint256 amount, string calldata endpoint, bytes32 metadataCid) external;

    /// @notice `stake` with an EIP-2612 permit instead of a prior approval.
    function stakeWithPermit(
        uint256 amount,
        string calldata endpoint,
        bytes32 metadataCid,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /// @notice Add `amount` to the caller's stake; re-activates a node that is back at the minimum.
    function addStake(uint256 amount) external;

    /// @notice Change the caller's endpoint and metadata.
    function updateNode(string calldata endpoint, bytes32 metadataCid) external;

    /// @notice Start thawing `amount` of the caller's stake. Every call restarts the thawing clock of all the
    ///         caller's thawing stake. A node left below the minimum leaves the active set.
    function requestUnstake(uint256 amount) external;

    /// @notice Withdraw all thawed stake once the thawing period is over.
    function withdraw() external;

    /// @notice Set the dispute contract (only `DEFAULT_ADMIN_ROLE`, once); the thawing period must already be at
    ///         least its `minThawingPeriod`, and every later `setThawingPeriod` is held to it.
    function setDisputes(address disputes_) external;
    /// @notice Lock up to `amount` of `node`'s slashable stake (staked + thawing) that is not locked yet, so it
    ///         cannot be withdrawn while a dispute is open. Only the dispute contract. Returns what was locked.
    function lock(address node, uint256 amount) external returns (uint256 locked);
    /// @notice Release up to `amount` of `node`'s locked stake. Only the dispute contract.
    function unlock(address node, uint256 amount) external;
    /// @notice Stake of `node` locked by open disputes.
    function lockedOf(address node) external view returns (uint256);
    /// @notice The dispute contract (0 until set).
    function disputes() external view returns (address);

    /// @notice Re-evaluate `node`'s membership of the active set (after governance raised the minimum).
    function refresh(address node) external;

    // ---------------------------------------------------------------- slashing
    /// @notice Take `amount` from `node` (staked first, then thawing) and pay it to the treasury.
    /// @dev Only `SLASHER_ROLE`.
    function slash(address node, uint256 amount, string calldata reason, bytes32 evidenceCid) external;

    /// @notice Slash and reward in one call: `reward` of the slashed `amount` goes to `beneficiary`, the rest
    ///         to the treasury. Only `SLASHER_ROLE`.
    function slashWithReward(
        address node,
        uint256 amount,
        uint256 reward,
        address beneficiary,
        string calldata reason,
        bytes32 evidenceCid
    ) external;

    // ---------------------------------------------------------------- governance
    /// @notice Set the minimum stake (only `GOVERNOR_ROLE`, within [MIN_STAKE_FLOOR, MIN_STAKE_CEILING]).
    function setMinStake(uint256 newMinStake) external;

    /// @notice Set the thawing period (only `GOVERNOR_ROLE`, within [MIN_THAWING, MAX_THAWING]).
    function setThawingPeriod(uint64 newPeriod) external;

    /// @notice Set the treasury (only `GOVERNOR_ROLE`).
    function setTreasury(address newTreasury) external;

    // ---------------------------------------------------------------- views
    /// @notice The token staked here.
    function token() external view returns (address);
    /// @notice Minimum stake to be active.
    function minStake() external view returns (uint256);
    /// @notice Seconds between `requestUnstake` and `withdraw`.
    function thawingPeriod() external view returns (uint64);
    /// @notice Receiver of slashed stake.
    function treasury() external view returns (address);
    /// @notice Everything about `node`.
    function nodeInfo(address node) external view returns (NodeInfo memory);
    /// @notice Staked (not thawing) amount of `node`.
    function stakeOf(address node) external view returns (uint256);
    /// @notice True when `node` is in the active set and at or above the current minimum.
    function isActive(address node) external view returns (bool);
    /// @notice Number of nodes in the active set.
    function activeCount() external view returns (uint256);
    /// @notice Up to `limit` active nodes starting at index `offset` (order is not stable across changes).
    function activeNodes(uint256 offset, uint256 limit) external view returns (address[] memory nodes);
    /// @notice Sum of all staked and thawing amounts held for nodes.
    function totalHeld() external view returns (uint256);
    /// @notice Sum of the staked (not thawing) amounts of all registered nodes.
    function totalStaked() external view returns (uint256);
    /// @notice Staked amount of `node` as it was at the end of second `timepoint` (which must be in the past).
    function stakeAt(address node, uint256 timepoint) external view returns (uint256);
    /// @notice Staked amounts of `nodes`, the total staked amount and the minimum stake, each as it was at the end
    ///         of second `timepoint` (in the past). Committee draws read their weights here (see ISettlement).
    function stakesAt(address[] calldata nodes, uint256 timepoint)
        external
        view
        returns (uint256[] memory stakes, uint256 total, uint256 minimum);
    /// @notice Number of nodes that ever staked.
    function registeredCount() external view returns (uint256);
    /// @notice Up to `limit` nodes that ever staked, from index `offset` (in order of first stake).
    function registeredNodes(uint256 offset, uint256 limit) external view returns (address[] memory nodes);
}
