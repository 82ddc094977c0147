/**
 * Signed peer messages. Every message between nodes is an envelope { kind, roundId, from, body, signature }
 * where the signature is the sender's staked key over the EIP-712 struct
 * PeerMessage(string kind, bytes32 roundId, address from, bytes32 bodyHash), in the domain
 * ("Chorus Peer", "1", chainId, NodeRegistry). bodyHash is keccak256 of the body's canonical dag-json bytes.
 * The domain binds a message to one chain and deployment, the roundId to one round, the kind to one step.
 */
import { hashTypedData, isAddressEqual, type Address, type Hex } from "viem";
import { ChorusError } from "../errors.js";
import { canonicalHash } from "./canonical.js";
import { recoverDigestSigner, type DigestSigner } from "./signer.js";

export interface PeerDomain {
  chainId: number;
  registry: Address;
}

export interface Envelope<B = unknown> {
  kind: string;
  roundId: Hex;
  from: Address;
  body: B;
  signature: Hex;
}

const TYPES = {
  PeerMessage: [
    { name: "kind", type: "string" },
    { name: "roundId", type: "bytes32" },
    { name: "from", type: "address" },
    { name: "bodyHash", type: "bytes32" },
  ],
} as const;

export function envelopeDigest(domain: PeerDomain, kind: string, roundId: Hex, from: Address, body: unknown): Hex {
  return hashTypedData({
    domain: { name: "Chorus Peer", version: "1", chainId: domain.chainId, verifyingContract: domain.registry },
    types: TYPES,
    primaryType: "PeerMessage",
    message: { kind, roundId, from, bodyHash: canonicalHash(body) },
  });
}

export function signEnvelope<B>(domain: PeerDomain, signer: DigestSigner, kind: string, roundId: Hex, body: B): Envelope<B> {
  const signature = signer.signDigest(envelopeDigest(domain, kind, roundId, signer.address, body));
  return { kind, roundId, from: signer.address, body, signature };
}

/**
 * Checks an envelope's signature and that it is the expected kind for the expected round, from one of
 * `allowed` senders. Throws ChorusError PEER_BAD_MESSAGE naming what failed.
 */
export function verifyEnvelope<B>(
  domain: PeerDomain,
  env: Envelope<B>,
  expect: { kind: string; roundId: Hex; allowed?: readonly Address[] },
): Envelope<B> {
  if (env.kind !== expect.kind) {
    throw new ChorusError("PEER_BAD_MESSAGE", `expected a '${expect.kind}' message, got '${env.kind}'`, { kind: env.kind });
  }
  if (env.roundId.toLowerCase() !== expect.roundId.toLowerCase()) {
    throw new ChorusError("PEER_REPLAYED", `message is bound to round ${env.roundId}, not ${expect.roundId}`, {
      roundId: env.roundId,
    });
  }
  const signer = recoverDigestSigner(envelopeDigest(domain, env.kind, env.roundId, env.from, env.body), env.signature);
  if (!signer || !isAddressEqual(signer, env.from)) {
    throw new ChorusError("PEER_BAD_SIGNATURE", `signature does not match sender ${env.from}`, { from: env.from });
  }
  if (expect.allowed && !expect.allowed.some((a) => isAddressEqual(a, env.from))) {
    throw new ChorusError("PEER_NOT_MEMBER", `${env.from} is not a member of round ${env.roundId}`, { from: env.from });
  }
  return env;
}
