// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {INodeRegistry, IThawingFloor} from "./interfaces/INodeRegistry.sol";

/// @title NodeRegistry
/// @notice Stake, membership and slashing of Chorus nodes. See {INodeRegistry}.
contract NodeRegistry is INodeRegistry, AccessControl {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using EnumerableSet for EnumerableSet.AddressSet;
    using Checkpoints for Checkpoints.Trace208;

    /// @notice May change minimum stake, thawing period and treasury.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice May slash nodes (the settlement and dispute contracts).
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");

    /// @notice Bounds that governance cannot leave.
    uint256 public constant MIN_STAKE_FLOOR = 1;
    uint256 public constant MIN_STAKE_CEILING = 1e27;
    uint64 public constant MIN_THAWING = 60;
    uint64 public constant MAX_THAWING = 365 days;
    /// @notice Longest endpoint URL accepted, in bytes.
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;

    IERC20 private immutable _token;
    uint256 private _minStake;
    uint64 private _thawingPeriod;
    address private _treasury;
    uint256 private _totalHeld;
    mapping(address node => NodeInfo) private _nodes;
    /// @dev The dispute contract (set once): it locks stake under dispute and bounds the thawing period from below.
    address private _disputes;
    mapping(address node => uint256) private _locked;
    EnumerableSet.AddressSet private _active;
    EnumerableSet.AddressSet private _registered;
    /// @dev Staked (not thawing) amount of each node, of all nodes together, and the minimum stake, by timestamp:
    ///      committee draws read them as they were before the draw's period began (see ISettlement).
    mapping(address node => Checkpoints.Trace208) private _stakeHistory;
    Checkpoints.Trace208 private _totalStakeHistory;
    Checkpoints.Trace208 private _minStakeHistory;

    /// @param token_ the staking ERC-20.
    /// @param admin receives `DEFAULT_ADMIN_ROLE` and `GOVERNOR_ROLE`.
    /// @param treasury_ receives slashed stake.
    constructor(address token_, address admin, address treasury_, uint256 minStake_, uint64 thawingPeriod_) {
        if (token_ == address(0) || admin == address(0) || treasury_ == address(0)) revert NodeRegistryZeroAddress();
        _token = IERC20(token_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNOR_ROLE, admin);
        _setMinStake(minStake_);
        _setThawingPeriod(thawingPeriod_);
        _treasury = treasury_;
        emit TreasuryUpdated(address(0), treasury_);
    }

    // ---------------------------------------------------------------- node operations

    /// @inheritdoc INodeRegistry
    function stake(uint256 amount, string calldata endpoint, bytes32 metadataCid) public {
        NodeInfo storage n = _nodes[msg.sender];
        if (n.registered) revert NodeRegistryAlreadyRegistered(msg.sender);
        if (amount < _minStake) revert NodeRegistryInsufficientStake(amount, _minStake);
        _checkEndpoint(endpoint);

        n.registered = true;
        _registered.add(msg.sender);
        n.staked = amount.toUint128();
        n.joinedAt = uint64(block.timestamp);
        n.endpoint = endpoint;
        n.metadataCid = metadataCid;
        _totalHeld += amount;
        emit NodeStaked(msg.sender, amount, endpoint, metadataCid);
        _checkpoint(msg.sender, 0, amount);
        _syncActive(msg.sender, n);

        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc INodeRegistry
    function stakeWithPermit(
        uint256 amount,
        string calldata endpoint,
        bytes32 metadataCid,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        // A front-run permit (someone submitted it first) leaves the allowance in place: go on if it suffices.
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        stake(amount, endpoint, metadataCid);
    }

    /// @inheritdoc INodeRegistry
    function addStake(uint256 amount) external {
        if (amount == 0) revert NodeRegistryZeroAmount();
        NodeInfo storage n = _requireRegistered(msg.sender);
        uint256 staked = n.staked + amount;
        n.staked = staked.toUint128();
        _totalHeld += amount;
        emit StakeAdded(msg.sender, amount, staked);
        _checkpoint(msg.sender, staked - amount, staked);
        _syncActive(msg.sender, n);

        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc INodeRegistry
    function updateNode(string calldata endpoint, bytes32 metadataCid) external {
        NodeInfo storage n = _requireRegistered(msg.sender);
        _checkEndpoint(endpoint);
        n.endpoint = endpoint;
        n.metadataCid = metadataCid;
        emit NodeUpdated(msg.sender, endpoint, metadataCid);
    }

    /// @inheritdoc INodeRegistry
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert NodeRegistryZeroAmount();
        NodeInfo storage n = _requireRegistered(msg.sender);
        uint256 staked = n.staked;
        if (amount > staked) revert NodeRegistryUnstakeExceedsStake(msg.sender, staked, amount);

        uint64 thawEnd = uint64(block.timestamp) + _thawingPeriod;
        // unchecked: amount <= staked was checked just above.
        unchecked {
            n.staked = uint128(staked - amount);
        }
        n.thawing += amount.toUint128();
        n.thawEnd = thawEnd;
        emit UnstakeRequested(msg.sender, amount, n.staked, n.thawing, thawEnd);
        _checkpoint(msg.sender, staked, n.staked);
        _syncActive(msg.sender, n);
    }

    /// @inheritdoc INodeRegistry
    function withdraw() external {
        NodeInfo storage n = _requireRegistered(msg.sender);
        uint256 thawing = n.thawing;
        if (thawing == 0) revert NodeRegistryNothingToWithdraw(msg.sender);
        if (block.timestamp < n.thawEnd) revert NodeRegistryStillThawing(block.timestamp, n.thawEnd);
        // stake locked by an open dispute stays: first the staked part covers it, then thawing stake
        uint256 locked = _locked[msg.sender];
        uint256 held = locked > n.staked ? locked - n.staked : 0;
        if (held >= thawing) revert NodeRegistryStakeLocked(msg.sender, locked, n.staked + thawing);
        uint256 amount = thawing - held;

        n.thawing = uint128(held);
        _totalHeld -= amount;
        emit StakeWithdrawn(msg.sender, amount);

        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc INodeRegistry
    function setDisputes(address disputes_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_disputes != address(0)) revert NodeRegistryDisputesAlreadySet(_disputes);
        if (disputes_ == address(0)) revert NodeRegistryZeroAddress();
        uint256 floor = IThawingFloor(disputes_).minThawingPeriod();
        if (_thawingPeriod < floor) revert NodeRegistryThawingBelowDisputes(_thawingPeriod, floor);
        _disputes = disputes_;
        emit DisputesSet(disputes_);
    }

    /// @inheritdoc INodeRegistry
    function lock(address node, uint256 amount) external returns (uint256 locked) {
        if (msg.sender != _disputes) revert NodeRegistryNotDisputes(msg.sender);
        NodeInfo storage n = _requireRegistered(node);
        uint256 current = _locked[node];
        uint256 free = uint256(n.staked) + n.thawing - current;
        locked = amount < free ? amount : free;
        _locked[node] = current + locked;
        emit StakeLocked(node, locked, current + locked);
    }

    /// @inheritdoc INodeRegistry
    function unlock(address node, uint256 amount) external {
        if (msg.sender != _disputes) revert NodeRegistryNotDisputes(msg.sender);
        uint256 current = _locked[node];
        uint256 released = amount < current ? amount : current;
        _locked[node] = current - released;
        emit StakeUnlocked(node, released, current - released);
    }

    /// @inheritdoc INodeRegistry
    function lockedOf(address node) external view returns (uint256) {
        return _locked[node];
    }

    /// @inheritdoc INodeRegistry
    function disputes() external view returns (address) {
        return _disputes;
    }

    /// @inheritdoc INodeRegistry
    function refresh(address node) external {
        _syncActive(node, _requireRegistered(node));
    }

    // ---------------------------------------------------------------- slashing

    /// @inheritdoc INodeRegistry
    function slash(address node, uint256 amount, string calldata reason, bytes32 evidenceCid)
        external
        onlyRole(SLASHER_ROLE)
    {
        _slash(node, amount, 0, address(0), reason, evidenceCid);
    }

    /// @inheritdoc INodeRegistry
    function slashWithReward(
        address node,
        uint256 amount,
        uint256 reward,
        address beneficiary,
        string calldata reason,
        bytes32 evidenceCid
    ) external onlyRole(SLASHER_ROLE) {
        if (reward > amount) revert NodeRegistryRewardExceedsSlash(amount, reward);
        if (reward > 0 && beneficiary == address(0)) revert NodeRegistryZeroAddress();
        _slash(node, amount, reward, beneficiary, reason, evidenceCid);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc INodeRegistry
    function setMinStake(uint256 newMinStake) external onlyRole(GOVERNOR_ROLE) {
        _setMinStake(newMinStake);
    }

    /// @inheritdoc INodeRegistry
    function setThawingPeriod(uint64 newPeriod) external onlyRole(GOVERNOR_ROLE) {
        _setThawingPeriod(newPeriod);
    }

    /// @inheritdoc INodeRegistry
    function setTreasury(address newTreasury) external onlyRole(GOVERNOR_ROLE) {
        if (newTreasury == address(0)) revert NodeRegistryZeroAddress();
        address old = _treasury;
        _treasury = newTreasury;
        emit TreasuryUpdated(old, newTreasury);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc INodeRegistry
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc INodeRegistry
    function minStake() external view returns (uint256) {
        return _minStake;
    }

    /// @inheritdoc INodeRegistry
    function thawingPeriod() external view returns (uint64) {
        return _thawingPeriod;
    }

    /// @inheritdoc INodeRegistry
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc INodeRegistry
    function nodeInfo(address node) external view returns (NodeInfo memory info) {
        info = _nodes[node];
        info.active = _active.contains(node) && info.staked >= _minStake;
    }

    /// @inheritdoc INodeRegistry
    function stakeOf(address node) external view returns (uint256) {
        return _nodes[node].staked;
    }

    /// @inheritdoc INodeRegistry
    function isActive(address node) external view returns (bool) {
        return _active.contains(node) && _nodes[node].staked >= _minStake;
    }

    /// @inheritdoc INodeRegistry
    function activeCount() external view returns (uint256) {
        return _active.length();
    }

    /// @inheritdoc INodeRegistry
    function activeNodes(uint256 offset, uint256 limit) external view returns (address[] memory nodes) {
        uint256 total = _active.length();
        if (offset >= total) return new address[](0);
        uint256 end = total - offset < limit ? total : offset + limit;
        nodes = new address[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            nodes[i - offset] = _active.at(i);
        }
    }

    /// @inheritdoc INodeRegistry
    function totalHeld() external view returns (uint256) {
        return _totalHeld;
    }

    /// @inheritdoc INodeRegistry
    function totalStaked() external view returns (uint256) {
        return _totalStakeHistory.latest();
    }

    /// @inheritdoc INodeRegistry
    function stakeAt(address node, uint256 timepoint) external view returns (uint256) {
        return _stakeHistory[node].upperLookupRecent(_pastTimepoint(timepoint));
    }

    /// @inheritdoc INodeRegistry
    function stakesAt(address[] calldata nodes, uint256 timepoint)
        external
        view
        returns (uint256[] memory stakes, uint256 total, uint256 minimum)
    {
        uint48 t = _pastTimepoint(timepoint);
        stakes = new uint256[](nodes.length);
        for (uint256 i; i < nodes.length; ++i) stakes[i] = _stakeHistory[nodes[i]].upperLookupRecent(t);
        total = _totalStakeHistory.upperLookupRecent(t);
        minimum = _minStakeHistory.upperLookupRecent(t);
    }

    /// @inheritdoc INodeRegistry
    function registeredCount() external view returns (uint256) {
        return _registered.length();
    }

    /// @inheritdoc INodeRegistry
    function registeredNodes(uint256 offset, uint256 limit) external view returns (address[] memory nodes) {
        uint256 total = _registered.length();
        if (offset >= total) return new address[](0);
        uint256 end = total - offset < limit ? total : offset + limit;
        nodes = new address[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            nodes[i - offset] = _registered.at(i);
        }
    }

    // ---------------------------------------------------------------- internals

    function _slash(
        address node,
        uint256 amount,
        uint256 reward,
        address beneficiary,
        string calldata reason,
        bytes32 evidenceCid
    ) private {
        if (amount == 0) revert NodeRegistryZeroAmount();
        NodeInfo storage n = _requireRegistered(node);
        uint256 staked = n.staked;
        uint256 thawing = n.thawing;
        if (amount > staked + thawing) revert NodeRegistrySlashExceedsStake(node, staked + thawing, amount);

        // Staked stake goes first, then thawing stake.
        uint256 fromStaked = amount < staked ? amount : staked;
        // unchecked: fromStaked <= staked and amount - fromStaked <= thawing (checked above).
        unchecked {
            n.staked = uint128(staked - fromStaked);
            n.thawing = uint128(thawing - (amount - fromStaked));
            _totalHeld -= amount;
        }
        // a lock never exceeds what is left to slash
        if (_locked[node] > staked + thawing - amount) _locked[node] = staked + thawing - amount;
        emit NodeSlashed(node, msg.sender, amount, reward, beneficiary, reason, evidenceCid);
        if (fromStaked > 0) _checkpoint(node, staked, staked - fromStaked);
        _syncActive(node, n);

        if (reward > 0) _token.safeTransfer(beneficiary, reward);
        if (amount > reward) _token.safeTransfer(_treasury, amount - reward);
    }

    /// @dev Records `node`'s staked amount going from `before` to `after` now, and the total with it.
    function _checkpoint(address node, uint256 before, uint256 after_) private {
        uint48 t = uint48(block.timestamp);
        _stakeHistory[node].push(t, uint208(after_));
        _totalStakeHistory.push(t, uint208(_totalStakeHistory.latest() + after_ - before));
    }

    /// @dev A lookup time must be in the past: values at the current timestamp can still change in this block.
    function _pastTimepoint(uint256 timepoint) private view returns (uint48) {
        if (timepoint >= block.timestamp) revert NodeRegistryFutureLookup(timepoint, block.timestamp);
        return uint48(timepoint);
    }

    function _syncActive(address node, NodeInfo storage n) private {
        bool shouldBe = n.staked >= _minStake;
        if (shouldBe && _active.add(node)) emit NodeActivated(node);
        else if (!shouldBe && _active.remove(node)) emit NodeDeactivated(node);
    }

    function _requireRegistered(address node) private view returns (NodeInfo storage n) {
        n = _nodes[node];
        if (!n.registered) revert NodeRegistryNotRegistered(node);
    }

    function _checkEndpoint(string calldata endpoint) private pure {
        uint256 len = bytes(endpoint).length;
        if (len == 0 || len > MAX_ENDPOINT_LENGTH) revert NodeRegistryInvalidEndpoint(len, MAX_ENDPOINT_LENGTH);
    }

    function _setMinStake(uint256 value) private {
        if (value < MIN_STAKE_FLOOR || value > MIN_STAKE_CEILING) {
            revert NodeRegistryParameterOutOfBounds("minStake", value, MIN_STAKE_FLOOR, MIN_STAKE_CEILING);
        }
        uint256 old = _minStake;
        _minStake = value;
        _minStakeHistory.push(uint48(block.timestamp), uint208(value));
        emit MinStakeUpdated(old, value);
    }

    function _setThawingPeriod(uint64 value) private {
        if (value < MIN_THAWING || value > MAX_THAWING) {
            revert NodeRegistryParameterOutOfBounds("thawingPeriod", value, MIN_THAWING, MAX_THAWING);
        }
        // stake must not thaw out before a dispute about it can be opened and resolved
        if (_disputes != address(0)) {
            uint256 floor = IThawingFloor(_disputes).minThawingPeriod();
            if (value < floor) revert NodeRegistryThawingBelowDisputes(value, floor);
        }
        uint64 old = _thawingPeriod;
        _thawingPeriod = value;
        emit ThawingPeriodUpdated(old, value);
    }
}
