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
/// @notice Equivocation proofs and arbitrated false-result disputes. See {IDisputes}.
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
    mapping(bytes32 roundId => DisputeStatus) private _roundStatus;
    mapping(bytes32 roundId => mapping(address signer => bool)) private _equivocationSlashed;

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
        _settlement = ISettlement(settlement_);
        _registry = INodeRegistry(registry_);
        _token = IERC20(INodeRegistry(registry_).token());
        _params = p;
        _grantRole(ARBITRATOR_ROLE, arbitrator);
    }

    // ---------------------------------------------------------------- equivocation

    /// @inheritdoc IDisputes
    function proveEquivocation(
        ISettlement.RoundRecord calldata a,
        bytes calldata signatureA,
        ISettlement.RoundRecord calldata b,
        bytes calldata signatureB
    ) external returns (address signer, uint256 amount) {
        if (a.roundId != b.roundId) revert DisputesDifferentRounds(a.roundId, b.roundId);
        bytes32 digestA = _recordDigest(a);
        bytes32 digestB = _recordDigest(b);
        if (digestA == digestB) revert DisputesSameRecord(digestA);
        signer = _recover(digestA, signatureA);
        address signerB = _recover(digestB, signatureB);
        if (signer != signerB) revert DisputesDifferentSigners(signer, signerB);
        amount = _punishEquivocation(a, signer, digestA, digestB);
    }

    function _punishEquivocation(ISettlement.RoundRecord calldata a, address signer, bytes32 digestA, bytes32 digestB)
        private
        returns (uint256 amount)
    {
        bytes32 roundId = a.roundId;
        if (_equivocationSlashed[roundId][signer]) revert DisputesAlreadySlashed(roundId, signer);
        amount = _slashable(signer, _params.equivocationSlashBps);
        if (amount == 0) revert DisputesNothingToSlash(signer);
        uint256 reward = amount * _params.equivocationRewardBps / _BPS;

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
        DisputeStatus current = _roundStatus[record.roundId];
        if (current != DisputeStatus.None) revert DisputesRoundAlreadyDisputed(record.roundId, current);
        id = _open(epoch, record.roundId, digest, _signersOf(record, digest, signatures), evidenceCid);
    }

    function _open(uint256 epoch, bytes32 roundId, bytes32 digest, address[] memory signers, bytes32 evidenceCid)
        private
        returns (uint256 id)
    {
        uint256 deposit = _params.deposit;
        uint64 deadline = uint64(block.timestamp) + _params.arbitrationPeriod;
        id = ++_disputeCount;
        Dispute storage d = _disputes[id];
        d.disputer = msg.sender;
        d.deadline = deadline;
        d.status = DisputeStatus.Open;
        d.roundId = roundId;
        d.epoch = epoch;
        d.deposit = deposit;
        d.evidenceCid = evidenceCid;
        d.recordDigest = digest;
        d.signers = signers;
        _roundStatus[roundId] = DisputeStatus.Open;
        emit DisputeOpened(id, roundId, msg.sender, epoch, deposit, evidenceCid, signers, deadline);

        _token.safeTransferFrom(msg.sender, address(this), deposit);
    }

    /// @inheritdoc IDisputes
    function uphold(uint256 id) external onlyRole(ARBITRATOR_ROLE) {
        Dispute storage d = _requireOpenBeforeDeadline(id);
        address[] memory signers = d.signers;
        uint256[] memory amounts = new uint256[](signers.length);
        for (uint256 i; i < signers.length; ++i) amounts[i] = _roundBoundedSlash(d.roundId, signers[i]);
        address disputer = d.disputer;
        bytes32 evidence = d.evidenceCid;

        d.status = DisputeStatus.Upheld;
        _roundStatus[d.roundId] = DisputeStatus.Upheld;
        emit DisputeUpheld(id, d.roundId, signers, amounts);

        for (uint256 i; i < signers.length; ++i) {
            if (amounts[i] == 0) continue; // nothing left to take from this signer
            uint256 reward = amounts[i] * _params.falseResultRewardBps / _BPS;
            _registry.slashWithReward(signers[i], amounts[i], reward, disputer, "false result", evidence);
        }
        _token.safeTransfer(disputer, d.deposit);
    }

    /// @inheritdoc IDisputes
    function reject(uint256 id) external onlyRole(ARBITRATOR_ROLE) {
        Dispute storage d = _requireOpenBeforeDeadline(id);
        d.status = DisputeStatus.Rejected;
        _roundStatus[d.roundId] = DisputeStatus.None;
        emit DisputeRejected(id, d.roundId, d.deposit);

        _token.safeTransfer(_registry.treasury(), d.deposit);
    }

    /// @inheritdoc IDisputes
    function reclaim(uint256 id) external {
        Dispute storage d = _requireOpen(id);
        if (block.timestamp < d.deadline) revert DisputesDeadlineNotReached(id, block.timestamp, d.deadline);
        d.status = DisputeStatus.Reclaimed;
        _roundStatus[d.roundId] = DisputeStatus.None;
        emit DisputeReclaimed(id, d.roundId, d.deposit);

        _token.safeTransfer(d.disputer, d.deposit);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IDisputes
    function dispute(uint256 id) external view returns (Dispute memory) {
        if (id == 0 || id > _disputeCount) revert DisputesUnknownDispute(id);
        return _disputes[id];
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
    function equivocationSlashed(bytes32 roundId, address signer) external view returns (bool) {
        return _equivocationSlashed[roundId][signer];
    }

    /// @notice Basis points of `signer`'s stake upheld disputes already took for `roundId`.
    function roundSlashedBps(bytes32 roundId, address signer) external view returns (uint256) {
        return _roundSlashedBps[roundId][signer];
    }

    /// @inheritdoc IDisputes
    function roundStatus(bytes32 roundId) external view returns (DisputeStatus) {
        return _roundStatus[roundId];
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

    /// @dev Distinct participants who signed `digest`.
    function _signersOf(ISettlement.RoundRecord calldata record, bytes32 digest, bytes[] calldata signatures)
        private
        pure
        returns (address[] memory signers)
    {
        if (signatures.length == 0) revert DisputesNoSigners(record.roundId);
        signers = new address[](signatures.length);
        for (uint256 i; i < signatures.length; ++i) {
            address s = _recover(digest, signatures[i]);
            bool member;
            for (uint256 j; j < record.participants.length && !member; ++j) member = record.participants[j] == s;
            if (!member) revert DisputesSignerNotParticipant(record.roundId, s);
            for (uint256 j; j < i; ++j) if (signers[j] == s) revert DisputesDuplicateSigner(record.roundId, s);
            signers[i] = s;
        }
    }

    function _recordDigest(ISettlement.RoundRecord calldata r) private view returns (bytes32) {
        return RecordHashing.digest(_settlement.domainSeparator(), RecordHashing.hashRecord(r));
    }

    /// @dev The false-result slash of `signer` for `roundId`, held to what the per-round cap still allows.
    function _roundBoundedSlash(bytes32 roundId, address signer) private returns (uint256) {
        uint256 taken = _roundSlashedBps[roundId][signer];
        uint256 cap = maxSlashPerRoundBps;
        if (taken >= cap) return 0;
        uint256 bps = _params.falseResultSlashBps;
        if (taken + bps > cap) bps = cap - taken;
        _roundSlashedBps[roundId][signer] = taken + bps;
        return _slashable(signer, bps);
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
