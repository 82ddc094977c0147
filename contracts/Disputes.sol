// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IDisputes} from "./interfaces/IDisputes.sol";
import {ISettlement} from "./interfaces/ISettlement.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {RecordHashing} from "./libraries/RecordHashing.sol";

/// @title Disputes
/// @notice Equivocation proofs and arbitrated false-result disputes, after The Graph Horizon's: stake snapshotted and
///         locked at dispute creation, thawing never shorter than the dispute window plus arbitration, bounded
///         slashing per verifier. See {IDisputes}.
///         The arbitrator's reach is bounded: what upheld disputes take from one signer for one round never
///         exceeds `maxSlashPerRoundBps` of its stake (staked + thawing) at each uphold, and that cap is at most
///         MAX_SLASH_PER_ROUND_BPS; `falseResultSlashBps` may not exceed it.
contract Disputes is IDisputes, AccessControlDefaultAdminRules {
    using SafeERC20 for IERC20;

    /// @notice May uphold or reject disputes.
    bytes32 public constant ARBITRATOR_ROLE = keccak256("ARBITRATOR_ROLE");
    /// @notice Hard ceiling of the per-round slash cap: the arbitrator never takes more than half a signer's
    ///         stake for one round.
    uint16 public constant MAX_SLASH_PER_ROUND_BPS = 5_000;

    /// @notice `falseResultSlashBps` = `slashBps` exceeds the per-round cap `capBps`.
    error DisputesSlashAboveRoundCap(uint256 slashBps, uint256 capBps);

    /// @notice Share of a signer's stake upheld disputes may take for one round, in basis points.
    uint16 public immutable maxSlashPerRoundBps;
    mapping(bytes32 roundId => mapping(address signer => uint256)) private _roundSlashedBps;
    uint256 private constant _BPS = 10_000;
    uint64 private constant _MIN_PERIOD = 60;
    uint64 private constant _MAX_PERIOD = 365 days;

    ISettlement private immutable _settlement;
    INodeRegistry private immutable _registry;
    IERC20 private immutable _token;
    Params private _params;

    uint256 private _disputeCount;
    mapping(uint256 id => Dispute) private _disputes;
    /// @dev Per round and signer: Open while a dispute holds it, Upheld once one was upheld.
    mapping(bytes32 roundId => mapping(address signer => DisputeStatus)) private _signerStatus;
    mapping(bytes32 roundId => uint256) private _openDisputes;
    mapping(bytes32 roundId => bool) private _upheld;
    /// @dev Latest deadline of the disputes opened on an epoch: it cannot become final before.
    mapping(uint256 epoch => uint64) private _heldUntil;
    mapping(bytes32 roundId => mapping(address signer => bool)) private _equivocationSlashed;
    /// @dev Proof commitments: keccak256(abi.encode(prover, digestA, digestB, salt)) => block of the commitment.
    mapping(bytes32 commitment => uint256) private _proofCommits;

    /// @param admin receives `DEFAULT_ADMIN_ROLE` (two-step transfer after `adminDelay` seconds); `arbitrator`
    ///        receives `ARBITRATOR_ROLE`. `maxSlashPerRoundBps_` in [falseResultSlashBps, MAX_SLASH_PER_ROUND_BPS].
    constructor(
        address settlement_,
        address registry_,
        address admin,
        uint48 adminDelay,
        address arbitrator,
        Params memory p,
        uint16 maxSlashPerRoundBps_
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (settlement_ == address(0) || registry_ == address(0) || admin == address(0) || arbitrator == address(0)) {
            revert DisputesZeroAddress();
        }
        _checkBps("equivocationSlashBps", p.equivocationSlashBps, 1);
        _checkBps("equivocationRewardBps", p.equivocationRewardBps, 0);
        _checkBps("falseResultSlashBps", p.falseResultSlashBps, 1);
        _checkBps("falseResultRewardBps", p.falseResultRewardBps, 0);
        if (p.deposit == 0) revert DisputesInvalidParameter("deposit", 0, 1, type(uint256).max);
        _checkPeriod("disputeWindow", p.disputeWindow);
        _checkPeriod("arbitrationPeriod", p.arbitrationPeriod);
        if (maxSlashPerRoundBps_ == 0 || maxSlashPerRoundBps_ > MAX_SLASH_PER_ROUND_BPS) {
            revert DisputesInvalidParameter("maxSlashPerRoundBps", maxSlashPerRoundBps_, 1, MAX_SLASH_PER_ROUND_BPS);
        }
        if (p.falseResultSlashBps > maxSlashPerRoundBps_) {
            revert DisputesSlashAboveRoundCap(p.falseResultSlashBps, maxSlashPerRoundBps_);
        }
        maxSlashPerRoundBps = maxSlashPerRoundBps_;
        uint256 floor = uint256(p.disputeWindow) + p.arbitrationPeriod;
        uint256 thawing = INodeRegistry(registry_).thawingPeriod();
        if (thawing < floor) revert DisputesThawingTooShort(thawing, floor);
        _settlement = ISettlement(settlement_);
        _registry = INodeRegistry(registry_);
        _token = IERC20(INodeRegistry(registry_).token());
        _params = p;
        _grantRole(ARBITRATOR_ROLE, arbitrator);
    }

    // ---------------------------------------------------------------- equivocation

    /// @inheritdoc IDisputes
    function commitEquivocationProof(bytes32 commitment) external {
        if (_proofCommits[commitment] == 0) _proofCommits[commitment] = block.number;
    }

    /// @inheritdoc IDisputes
    function proveEquivocation(
        SettledRecord calldata settled,
        bytes calldata signatureA,
        ISettlement.RoundRecord calldata b,
        bytes calldata signatureB,
        bytes32 salt
    ) external returns (address signer, uint256 amount) {
        ISettlement.RoundRecord calldata a = settled.record;
        if (a.roundId != b.roundId) revert DisputesDifferentRounds(a.roundId, b.roundId);
        bytes32 digestA = _checkSettled(settled.epoch, settled.epochDigests, settled.index, a);
        bytes32 digestB = _recordDigest(b);
        if (digestA == digestB) revert DisputesSameRecord(digestA);
        // b could have settled in a's place only with a's seed and weight period
        if (b.seed != a.seed || b.period != a.period) revert DisputesNotConflicting(a.roundId, digestA, digestB);
        signer = _recover(digestA, signatureA);
        address signerB = _recover(digestB, signatureB);
        if (signer != signerB) revert DisputesDifferentSigners(signer, signerB);
        bool rewarded = _mayEarnReward(a, b, keccak256(abi.encode(msg.sender, digestA, digestB, salt)));
        amount = _punishEquivocation(a, signer, digestA, digestB, rewarded);
    }

    /// @dev A reward goes only to a prover that committed to this proof in an earlier block (so copying a proof from
    ///      the mempool earns nothing) and is neither the round's coordinator nor a participant of either record.
    function _mayEarnReward(
        ISettlement.RoundRecord calldata a,
        ISettlement.RoundRecord calldata b,
        bytes32 commitment
    ) private view returns (bool) {
        uint256 committedAt = _proofCommits[commitment];
        if (committedAt == 0 || committedAt >= block.number) return false;
        if (msg.sender == address(uint160(uint256(a.roundId) >> 96))) return false;
        for (uint256 i; i < a.participants.length; ++i) if (a.participants[i] == msg.sender) return false;
        for (uint256 i; i < b.participants.length; ++i) if (b.participants[i] == msg.sender) return false;
        return true;
    }

    function _punishEquivocation(
        ISettlement.RoundRecord calldata a,
        address signer,
        bytes32 digestA,
        bytes32 digestB,
        bool rewarded
    ) private returns (uint256 amount) {
        bytes32 roundId = a.roundId;
        if (_equivocationSlashed[roundId][signer]) revert DisputesAlreadySlashed(roundId, signer);
        amount = _slashable(signer, _params.equivocationSlashBps);
        if (amount == 0) revert DisputesNothingToSlash(signer);
        uint256 reward = rewarded ? amount * _params.equivocationRewardBps / _BPS : 0;

        _equivocationSlashed[roundId][signer] = true;
        emit EquivocationProven(roundId, signer, msg.sender, digestA, digestB, amount, reward);

        _registry.slashWithReward(signer, amount, reward, msg.sender, "equivocation", a.transcriptCid);
    }

    // ---------------------------------------------------------------- arbitrated disputes

    /// @inheritdoc IDisputes
    function openDispute(
        uint256 epoch,
        bytes32[] calldata epochDigests,
        uint256 index,
        ISettlement.RoundRecord calldata record,
        bytes[] calldata signatures,
        bytes32 evidenceCid
    ) external returns (uint256 id) {
        bytes32 digest = _checkSettled(epoch, epochDigests, index, record);
        id = ++_disputeCount;
        Dispute storage d = _disputes[id];
        d.disputer = msg.sender;
        d.deadline = uint64(block.timestamp) + _params.arbitrationPeriod;
        d.status = DisputeStatus.Open;
        d.roundId = record.roundId;
        d.epoch = epoch;
        d.deposit = _params.deposit;
        d.evidenceCid = evidenceCid;
        d.recordDigest = digest;
        ++_openDisputes[record.roundId];
        if (d.deadline > _heldUntil[epoch]) _heldUntil[epoch] = d.deadline;
        _addSigners(d, record, digest, signatures);
        _emitOpened(id, d);

        _token.safeTransferFrom(msg.sender, address(this), d.deposit);
    }

    function _emitOpened(uint256 id, Dispute storage d) private {
        emit DisputeOpened(id, d.roundId, d.disputer, d.epoch, d.deposit, d.evidenceCid, d.signers, d.deadline);
    }

    /// @inheritdoc IDisputes
    function addSigners(uint256 id, ISettlement.RoundRecord calldata record, bytes[] calldata signatures) external {
        Dispute storage d = _requireOpenBeforeDeadline(id);
        bytes32 digest = _recordDigest(record);
        if (digest != d.recordDigest) revert DisputesRecordNotInEpoch(d.epoch, 0, digest);
        uint256 before = d.signers.length;
        _addSigners(d, record, digest, signatures);
        address[] memory added = new address[](d.signers.length - before);
        for (uint256 i; i < added.length; ++i) added[i] = d.signers[before + i];
        emit SignersAdded(id, added);
    }

    /// @dev Records the distinct participants who signed `digest` as accused in `d`, each at most in one open or
    ///      upheld dispute per round, and locks the share of its stake an uphold would take, as it is now.
    function _addSigners(
        Dispute storage d,
        ISettlement.RoundRecord calldata record,
        bytes32 digest,
        bytes[] calldata signatures
    ) private {
        if (signatures.length == 0) revert DisputesNoSigners(record.roundId);
        for (uint256 i; i < signatures.length; ++i) {
            address s = _recover(digest, signatures[i]);
            bool member;
            for (uint256 j; j < record.participants.length && !member; ++j) member = record.participants[j] == s;
            if (!member) revert DisputesSignerNotParticipant(record.roundId, s);
            DisputeStatus status = _signerStatus[record.roundId][s];
            if (status != DisputeStatus.None) revert DisputesSignerAlreadyDisputed(record.roundId, s, status);
            _signerStatus[record.roundId][s] = DisputeStatus.Open;
            d.signers.push(s);
            d.locked.push(_registry.lock(s, _slashable(s, _params.falseResultSlashBps)));
        }
    }

    /// @inheritdoc IDisputes
    function uphold(uint256 id, ISettlement.RoundRecord calldata record) external onlyRole(ARBITRATOR_ROLE) {
        Dispute storage d = _requireOpenBeforeDeadline(id);
        bytes32 digest = _recordDigest(record);
        if (digest != d.recordDigest) revert DisputesRecordNotInEpoch(d.epoch, 0, digest);
        bytes32 roundId = d.roundId;
        address[] memory signers = d.signers;
        uint256[] memory amounts = d.locked;
        d.status = DisputeStatus.Upheld;
        --_openDisputes[roundId];
        bool first = !_upheld[roundId];
        _upheld[roundId] = true;
        for (uint256 i; i < signers.length; ++i) {
            _signerStatus[roundId][signers[i]] = DisputeStatus.Upheld;
            _roundSlashedBps[roundId][signers[i]] += _params.falseResultSlashBps;
        }
        emit DisputeUpheld(id, roundId, signers, amounts);

        // the round's deltas are void: node and source alike (once, whatever the number of upheld disputes)
        if (first) _settlement.voidSettledRound(d.epoch, record, 0);
        address disputer = d.disputer;
        for (uint256 i; i < signers.length; ++i) {
            _registry.unlock(signers[i], amounts[i]);
            if (amounts[i] == 0) continue; // nothing was left to lock for this signer
            uint256 reward = amounts[i] * _params.falseResultRewardBps / _BPS;
            _registry.slashWithReward(signers[i], amounts[i], reward, disputer, "false result", d.evidenceCid);
        }
        _token.safeTransfer(disputer, d.deposit);
    }

    /// @inheritdoc IDisputes
    function reject(uint256 id) external onlyRole(ARBITRATOR_ROLE) {
        Dispute storage d = _requireOpenBeforeDeadline(id);
        d.status = DisputeStatus.Rejected;
        _release(d);
        emit DisputeRejected(id, d.roundId, d.deposit);

        _token.safeTransfer(_registry.treasury(), d.deposit);
    }

    /// @inheritdoc IDisputes
    function reclaim(uint256 id) external {
        Dispute storage d = _requireOpen(id);
        if (block.timestamp < d.deadline) revert DisputesDeadlineNotReached(id, block.timestamp, d.deadline);
        d.status = DisputeStatus.Reclaimed;
        _release(d);
        emit DisputeReclaimed(id, d.roundId, d.deposit);

        _token.safeTransfer(d.disputer, d.deposit);
    }

    /// @dev A dispute that ends without an uphold frees its signers (they may be disputed again) and their stake.
    function _release(Dispute storage d) private {
        bytes32 roundId = d.roundId;
        --_openDisputes[roundId];
        for (uint256 i; i < d.signers.length; ++i) {
            _signerStatus[roundId][d.signers[i]] = DisputeStatus.None;
            _registry.unlock(d.signers[i], d.locked[i]);
        }
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IDisputes
    function dispute(uint256 id) external view returns (Dispute memory) {
        if (id == 0 || id > _disputeCount) revert DisputesUnknownDispute(id);
        return _disputes[id];
    }

    /// @inheritdoc IDisputes
    function finalAfter(uint256 epoch, uint64 settledAt) external view returns (uint256 at) {
        // disputes open while now <= settledAt + window (_checkSettled); the parameters are immutable
        at = uint256(settledAt) + _params.disputeWindow + 1;
        if (_heldUntil[epoch] > at) at = _heldUntil[epoch];
    }

    /// @inheritdoc IDisputes
    function disputeCount() external view returns (uint256) {
        return _disputeCount;
    }

    /// @inheritdoc IDisputes
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc IDisputes
    function minThawingPeriod() external view returns (uint256) {
        return uint256(_params.disputeWindow) + _params.arbitrationPeriod;
    }

    /// @inheritdoc IDisputes
    function equivocationSlashed(bytes32 roundId, address signer) external view returns (bool) {
        return _equivocationSlashed[roundId][signer];
    }

    /// @notice Basis points of `signer`'s stake upheld disputes already took for `roundId`.
    function roundSlashedBps(bytes32 roundId, address signer) external view returns (uint256) {
        return _roundSlashedBps[roundId][signer];
    }

    /// @inheritdoc IDisputes
    function roundStatus(bytes32 roundId) external view returns (DisputeStatus) {
        if (_upheld[roundId]) return DisputeStatus.Upheld;
        return _openDisputes[roundId] > 0 ? DisputeStatus.Open : DisputeStatus.None;
    }

    /// @inheritdoc IDisputes
    function signerStatus(bytes32 roundId, address signer) external view returns (DisputeStatus) {
        return _signerStatus[roundId][signer];
    }

    // ---------------------------------------------------------------- internals

    /// @dev The record must be digest `index` of a settled epoch still within the dispute window.
    function _checkSettled(
        uint256 epoch,
        bytes32[] calldata digests,
        uint256 index,
        ISettlement.RoundRecord calldata record
    ) private view returns (bytes32 digest) {
        (bytes32 stored, uint64 settledAt) = _settlement.epochInfo(epoch);
        if (settledAt == 0) revert DisputesUnknownEpoch(epoch);
        uint256 closesAt = settledAt + _params.disputeWindow;
        if (block.timestamp > closesAt) revert DisputesWindowClosed(epoch, block.timestamp, closesAt);
        bytes32 computed = RecordHashing.commitment(digests);
        if (computed != stored) revert DisputesEpochMismatch(epoch, computed, stored);
        digest = _recordDigest(record);
        if (index >= digests.length || digests[index] != digest) revert DisputesRecordNotInEpoch(epoch, index, digest);
    }

    function _recordDigest(ISettlement.RoundRecord calldata r) private view returns (bytes32) {
        return RecordHashing.digest(_settlement.domainSeparator(), RecordHashing.hashRecord(r));
    }

    function _slashable(address node, uint256 bps) private view returns (uint256) {
        INodeRegistry.NodeInfo memory info = _registry.nodeInfo(node);
        return (uint256(info.staked) + info.thawing) * bps / _BPS;
    }

    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        ECDSA.RecoverError err;
        (signer, err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert DisputesInvalidSignature(digest);
    }

    function _requireOpen(uint256 id) private view returns (Dispute storage d) {
        d = _disputes[id];
        if (d.status == DisputeStatus.None) revert DisputesUnknownDispute(id);
        if (d.status != DisputeStatus.Open) revert DisputesNotOpen(id, d.status);
    }

    function _requireOpenBeforeDeadline(uint256 id) private view returns (Dispute storage d) {
        d = _requireOpen(id);
        if (block.timestamp >= d.deadline) revert DisputesDeadlinePassed(id, block.timestamp, d.deadline);
    }

    function _checkBps(bytes32 name, uint256 value, uint256 min) private pure {
        if (value < min || value > _BPS) revert DisputesInvalidParameter(name, value, min, _BPS);
    }

    function _checkPeriod(bytes32 name, uint64 value) private pure {
        if (value < _MIN_PERIOD || value > _MAX_PERIOD) {
            revert DisputesInvalidParameter(name, value, _MIN_PERIOD, _MAX_PERIOD);
        }
    }
}
