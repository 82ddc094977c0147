/**
 * Signed peer messages. Every message between nodes is an envelope { kind, roundId, from, body, signature }
 * where the signature is the sender's staked key over the EIP-712 struct
 * PeerMessage(string kind, bytes32 roundId, address from, bytes32 bodyHash), in the domain
 * ("Chorus Peer", "1", chainId, NodeRegistry). bodyHash is keccak256 of the body's canonical dag-json bytes.
 * The domain binds a message to one chain and deployment, the roundId to one round, the kind to one step.
 */
import { concatHex, encodeAbiParameters, hashTypedData, stringToBytes, type Address, type Hex } from "viem";
import { ChorusError } from "../core/index.js";
import { canonicalHash } from "../core/index.js";
import { keccakBytes } from "../core/index.js";
import { recoverDigestSigner, type DigestSigner } from "../core/index.js";

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
  /** Unsigned payload, bound by a hash inside the signed body. */
  attachment?: unknown;
}

const TYPES = {
  PeerMessage: [
    { name: "kind", type: "string" },
    { name: "roundId", type: "bytes32" },
    { name: "from", type: "address" },
    { name: "bodyHash", type: "bytes32" },
  ],
} as const;

const PEER_MESSAGE_TYPEHASH = keccakBytes(
  stringToBytes("PeerMessage(string kind,bytes32 roundId,address from,bytes32 bodyHash)"),
);
const separators = new Map<string, Hex>();

/** EIP-712 domain separator of ("Chorus Peer", "1", chainId, registry), computed once per domain. */
function domainSeparator(domain: PeerDomain): Hex {
  const key = `${domain.chainId}:${domain.registry.toLowerCase()}`;
  let sep = separators.get(key);
  if (!sep) {
    sep = keccakBytes(
      hexBytes(
        encodeAbiParameters(
          [{ type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }, { type: "address" }],
          [
            keccakBytes(
              stringToBytes("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
            ),
            keccakBytes(stringToBytes("Chorus Peer")),
            keccakBytes(stringToBytes("1")),
            BigInt(domain.chainId),
            domain.registry,
          ],
        ),
      ),
    );
    separators.set(key, sep);
  }
  return sep;
}

function hexBytes(h: Hex): Uint8Array {
  return Buffer.from(h.slice(2), "hex");
}

/**
 * The EIP-712 digest of a peer message, computed with the native keccak (equal to viem's hashTypedData over
 * the PeerMessage type; a test checks that).
 */
export function envelopeDigest(domain: PeerDomain, kind: string, roundId: Hex, from: Address, body: unknown): Hex {
  const structHash = keccakBytes(
    hexBytes(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }, { type: "address" }, { type: "bytes32" }],
        [PEER_MESSAGE_TYPEHASH, keccakBytes(stringToBytes(kind)), roundId, from, canonicalHash(body)],
      ),
    ),
  );
  return keccakBytes(hexBytes(concatHex(["0x1901", domainSeparator(domain), structHash])));
}

/** The same digest through viem's reference implementation (tests compare the two). */
export function envelopeDigestReference(
  domain: PeerDomain,
  kind: string,
  roundId: Hex,
  from: Address,
  body: unknown,
): Hex {
  return hashTypedData({
    domain: { name: "Chorus Peer", version: "1", chainId: domain.chainId, verifyingContract: domain.registry },
    types: TYPES,
    primaryType: "PeerMessage",
    message: { kind, roundId, from, bodyHash: canonicalHash(body) },
  });
}

export function signEnvelope<B>(
  domain: PeerDomain,
  signer: DigestSigner,
  kind: string,
  roundId: Hex,
  body: B,
): Envelope<B> {
  const signature = signer.signDigest(envelopeDigest(domain, kind, roundId, signer.address, body));
  return { kind, roundId, from: signer.address, body, signature };
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
/** Longest message kind on the wire. */
export const MAX_KIND_LENGTH = 32;

/**
 * The envelope's own fields, checked for type and size and copied into a new object: anything else the
 * sender put next to them (padding, an unknown field) is dropped here and never stored. The unsigned
 * attachment is not copied either; a caller that expects one reads it from the input. Throws
 * PEER_BAD_MESSAGE naming the field (never quoting the sender's text).
 */
export function envelopeFields(raw: unknown): Envelope {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new ChorusError("PEER_BAD_MESSAGE", "envelope is not an object");
  const e = raw as Record<string, unknown>;
  const bad = (field: string, rule: string) =>
    new ChorusError("PEER_BAD_MESSAGE", `envelope ${field}: ${rule}`, { field });
  if (typeof e.kind !== "string" || e.kind.length === 0 || e.kind.length > MAX_KIND_LENGTH)
    throw bad("kind", `must be a string of 1-${MAX_KIND_LENGTH} characters`);
  if (typeof e.roundId !== "string" || !HEX32.test(e.roundId)) throw bad("roundId", "must be 0x + 64 hex digits");
  if (typeof e.from !== "string" || !ADDRESS.test(e.from)) throw bad("from", "must be 0x + 40 hex digits");
  if (typeof e.signature !== "string" || !SIGNATURE.test(e.signature))
    throw bad("signature", "must be 0x + 130 hex digits");
  if (e.body === undefined) throw bad("body", "is missing");
  return {
    kind: e.kind,
    roundId: e.roundId as Hex,
    from: e.from as Address,
    body: e.body,
    signature: e.signature as Hex,
  };
}

/**
 * Checks an envelope's fields, its signature and that it is the expected kind for the expected round, from
 * one of `allowed` senders; returns it rebuilt from its known fields (see `envelopeFields`). Throws
 * ChorusError PEER_BAD_MESSAGE / PEER_REPLAYED / PEER_BAD_SIGNATURE / PEER_NOT_MEMBER naming what failed.
 */
export function verifyEnvelope<B>(
  domain: PeerDomain,
  raw: unknown,
  expect: { kind: string; roundId: Hex; allowed?: readonly Address[] },
): Envelope<B> {
  const env = envelopeFields(raw) as Envelope<B>;
  if (env.kind !== expect.kind) {
    throw new ChorusError("PEER_BAD_MESSAGE", `expected a '${expect.kind}' message, got '${env.kind}'`, {
      kind: env.kind,
    });
  }
  if (env.roundId.toLowerCase() !== expect.roundId.toLowerCase()) {
    throw new ChorusError("PEER_REPLAYED", `message is bound to round ${env.roundId}, not ${expect.roundId}`, {
      roundId: env.roundId,
    });
  }
  const from = env.from.toLowerCase();
  // The sender check costs nothing; the signature check hashes the whole body: cheap first.
  if (expect.allowed && !expect.allowed.some((a) => a.toLowerCase() === from)) {
    throw new ChorusError("PEER_NOT_MEMBER", `${env.from} is not a member of round ${env.roundId}`, { from: env.from });
  }
  const signer = recoverDigestSigner(envelopeDigest(domain, env.kind, env.roundId, env.from, env.body), env.signature);
  if (!signer || signer !== from) {
    throw new ChorusError("PEER_BAD_SIGNATURE", `signature does not match sender ${env.from}`, { from: env.from });
  }
  return env;
}
